package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

// Config says how to reach a cluster.
type Config struct {
	// Endpoints are the members' client URLs, tried in order. "host:port"
	// means http://host:port (https:// when TLS is set).
	Endpoints []string
	// DialTimeout bounds one connection attempt, so that a dead member
	// costs this long before the next one is tried. Default 2s (etcdctl's).
	DialTimeout time.Duration
	// RequestTimeout bounds each unary call, retries included (etcdctl's
	// --command-timeout). 0: only the caller's context bounds it. Streams
	// (Watch, KeepAlive, Snapshot) are never bounded by it.
	RequestTimeout time.Duration
	// TLS configures https endpoints (server CA, client certificate).
	TLS *tls.Config
	// HTTPClient replaces the client's own HTTP client (tests, proxies).
	// DialTimeout and TLS are then ignored.
	HTTPClient *http.Client

	// Username and Password make the client authenticate as this user on a
	// cluster with auth enabled (see token.go): it gets a token at its first
	// request, sends it with every request, and gets a new one when the
	// server says it is no longer good. Both must be set, as in clientv3.
	Username string
	Password string
	// Token is a token obtained elsewhere (etcdctl's --auth-jwt-token),
	// sent as it is and never renewed. Username and Password are then
	// ignored.
	Token string
}

// Client talks to a raftkv (or etcd) cluster over the JSON API. It is safe
// for concurrent use; create one and share it.
type Client struct {
	cfg       Config
	endpoints []string
	hc        *http.Client
	ownHC     bool

	mu       sync.Mutex
	pinned   int    // index of the endpoint that answered last: try it first
	token    string // the token to send; "" for none (no credentials, or auth off)
	tokenGen uint64 // how many times a token was fetched: 0 before the first
	// authenticating holds one slot: one authentication at a time.
	authenticating chan struct{}
}

// New returns a client; it does not connect until the first request.
func New(cfg Config) (*Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("raftkv client: no endpoints")
	}
	c := &Client{cfg: cfg, authenticating: make(chan struct{}, 1)}
	for _, ep := range cfg.Endpoints {
		u, err := normalizeEndpoint(ep, cfg.TLS != nil)
		if err != nil {
			return nil, err
		}
		c.endpoints = append(c.endpoints, u)
	}
	if cfg.HTTPClient != nil {
		c.hc = cfg.HTTPClient
	} else {
		dialTimeout := cfg.DialTimeout
		if dialTimeout <= 0 {
			dialTimeout = 2 * time.Second
		}
		dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		c.hc = &http.Client{Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSClientConfig:     cfg.TLS,
			TLSHandshakeTimeout: dialTimeout,
			MaxIdleConnsPerHost: 64, // a busy client keeps its connections
			IdleConnTimeout:     90 * time.Second,
		}}
		c.ownHC = true
	}
	return c, nil
}

func normalizeEndpoint(ep string, useTLS bool) (string, error) {
	ep = strings.TrimRight(strings.TrimSpace(ep), "/")
	if ep == "" {
		return "", errors.New("raftkv client: empty endpoint")
	}
	if !strings.Contains(ep, "://") {
		if useTLS {
			return "https://" + ep, nil
		}
		return "http://" + ep, nil
	}
	if !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
		return "", fmt.Errorf("raftkv client: endpoint %q: only http:// and https:// are supported", ep)
	}
	return ep, nil
}

// Endpoints returns the endpoints as URLs.
func (c *Client) Endpoints() []string { return append([]string(nil), c.endpoints...) }

// Close releases idle connections. Requests still running are not stopped:
// cancel their contexts for that.
func (c *Client) Close() error {
	if c.ownHC {
		c.hc.CloseIdleConnections()
	}
	return nil
}

func (c *Client) pin(i int) {
	c.mu.Lock()
	c.pinned = i
	c.mu.Unlock()
}

func (c *Client) first() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pinned
}

// idempotency says what may be retried on another endpoint; see retryable.
type idempotency bool

const (
	safeToRepeat  idempotency = true  // reads, keepalives: doing it twice is harmless
	mustNotRepeat idempotency = false // writes: doing it twice is another write
)

// endpointError is a failure to talk to one endpoint (not an answer from it).
type endpointError struct {
	endpoint string
	err      error
	// notSent: the request certainly never reached the server (the
	// connection could not be made), so even a write may go elsewhere.
	notSent bool
}

func (e *endpointError) Error() string {
	return fmt.Sprintf("raftkv client: %s: %v", e.endpoint, e.err)
}

func (e *endpointError) Unwrap() error { return e.err }

// notSent reports whether err means that no byte of the request left: the
// connection was refused, the name did not resolve, or the dial timed out.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var rec tls.RecordHeaderError
	return errors.As(err, &rec)
}

// retryable decides whether a failed attempt may be repeated on the next
// endpoint. The rule is: never risk doing a write twice.
//
//   - A connection that could not be made: the request was not sent, so
//     anything may be retried.
//   - A connection lost after the request was sent, or a response that did
//     not arrive: the outcome is unknown. Reads are retried; writes are not,
//     the error goes to the caller, who may check (read) and decide.
//   - An answer from the server: an error that says the request was refused
//     before it was proposed to raft ("no leader", "too many requests", "not
//     capable", "unhealthy cluster") may be retried for any request; other
//     Unavailable errors (timeouts, "leader changed", "server stopped") only
//     for reads, since a write may have been committed anyway. Any other
//     error (a compacted revision, a missing lease...) is the answer.
func retryable(err error, idem idempotency) bool {
	var ee *endpointError
	if errors.As(err, &ee) {
		return ee.notSent || idem == safeToRepeat
	}
	var we *wire.Error
	if !errors.As(err, &we) {
		return false
	}
	for _, refused := range []*wire.Error{wire.ErrNoLeader, wire.ErrTooManyRequests, wire.ErrNotCapable, wire.ErrUnhealthy} {
		if we.Is(refused) {
			return true
		}
	}
	return idem == safeToRepeat && we.Code == wire.Unavailable
}

// call runs one unary RPC with failover: it tries the endpoints in turn,
// starting with the last one that answered, and goes round again after a
// pause while the context (or, without a deadline, three rounds) allows.
func (c *Client) call(ctx context.Context, path string, req, resp wire.Message, idem idempotency) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	body := req.AppendJSON(make([]byte, 0, 256))
	return c.withToken(ctx, func(token string) error {
		return c.callAs(ctx, token, path, body, resp, idem)
	})
}

// callAs is call with a given token ("" for none), without a timeout of its
// own: the failover rounds of one attempt.
func (c *Client) callAs(ctx context.Context, token, path string, body []byte, resp wire.Message, idem idempotency) error {
	_, hasDeadline := ctx.Deadline()
	pause := 50 * time.Millisecond
	var err error
	for round := 0; hasDeadline || round < 3; round++ {
		err = c.eachEndpoint(ctx, idem, func(ep string) error {
			return c.post(ctx, ep, token, path, body, resp, false)
		})
		if err == nil || ctx.Err() != nil || !retryable(err, idem) {
			return err
		}
		if werr := wait(ctx, pause); werr != nil {
			return contextError(ctx, err)
		}
		pause = min(2*pause, time.Second)
	}
	return err
}

// eachEndpoint runs attempt on one endpoint after another, starting with the
// one that answered last, until one succeeds or an error may not be retried.
func (c *Client) eachEndpoint(ctx context.Context, idem idempotency, attempt func(endpoint string) error) error {
	start := c.first()
	var lastErr error
	for i := range c.endpoints {
		idx := (start + i) % len(c.endpoints)
		err := attempt(c.endpoints[idx])
		if err == nil {
			c.pin(idx)
			return nil
		}
		if ctx.Err() != nil {
			return contextError(ctx, err)
		}
		if !retryable(err, idem) {
			return err
		}
		lastErr = err
	}
	return lastErr
}

// withTimeout applies Config.RequestTimeout to a unary call.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.cfg.RequestTimeout > 0 {
		return context.WithTimeout(ctx, c.cfg.RequestTimeout)
	}
	return ctx, func() {}
}

// contextError reports a call cut short by its context: the context's own
// error (etcdctl prints "context deadline exceeded"), with what the last
// attempt saw.
func contextError(ctx context.Context, last error) error {
	if last == nil || errors.Is(last, ctx.Err()) {
		return ctx.Err()
	}
	return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
}

// wait pauses for d or until ctx is done: a retry pause that a cancel ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// callEndpoint runs one RPC against one endpoint, without failover: status,
// hash and defragment are about a particular member.
func (c *Client) callEndpoint(ctx context.Context, endpoint, path string, req, resp wire.Message) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	ep, err := normalizeEndpoint(endpoint, c.cfg.TLS != nil)
	if err != nil {
		return err
	}
	body := req.AppendJSON(nil)
	err = c.withToken(ctx, func(token string) error {
		return c.post(ctx, ep, token, path, body, resp, false)
	})
	if err != nil {
		if ctx.Err() != nil {
			return contextError(ctx, err)
		}
		return err
	}
	return nil
}

// maxResponse bounds a response body read into memory: a confused server
// must not make the client allocate without limit.
const maxResponse = 256 << 20

// post sends one request with a token ("" for none) and decodes its
// answer. A non-200 answer becomes the *wire.Error it carries. With stream,
// the body is a stream of {"result":...} messages of which the first is
// decoded (lease keepalive).
func (c *Client) post(ctx context.Context, endpoint, token, path string, body []byte, resp wire.Message, stream bool) error {
	res, err := c.open(ctx, endpoint, token, "POST", path, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if stream {
		if err := wire.NewStreamDecoder(res.Body).DecodeResult(resp); err != nil {
			return streamError(endpoint, err)
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return &endpointError{endpoint: endpoint, err: err}
	}
	if err := wire.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("raftkv client: %s%s: bad response: %w", endpoint, path, err)
	}
	return nil
}

// streamError tells a server's {"error":...} (an answer) from a broken
// connection (an endpoint failure).
func streamError(endpoint string, err error) error {
	var we *wire.Error
	if errors.As(err, &we) && we.Code != wire.InvalidArgument {
		return we
	}
	return &endpointError{endpoint: endpoint, err: err}
}

// open sends a request and returns the response if its status is 200; any
// other status is turned into the error the body carries. A token goes in
// the Authorization header, bare, as etcd's gateway reads it.
func (c *Client) open(ctx context.Context, endpoint, token, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint+path, rd)
	if err != nil {
		return nil, fmt.Errorf("raftkv client: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, &endpointError{endpoint: endpoint, err: err, notSent: notSent(err)}
	}
	if res.StatusCode == http.StatusOK {
		return res, nil
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, &endpointError{endpoint: endpoint, err: err}
	}
	return nil, httpError(res.StatusCode, data)
}

// httpError turns an error answer into a *wire.Error: the JSON body's code
// and message when it has them — {"code":...} for a unary call, or a
// stream's {"error":{...}}, which etcd sends when it refuses a keepalive
// stream before it starts (a missing token: 400, an invalid one: 401) —
// else a code guessed from the status and the body's text (a proxy's page,
// the mux's "404 page not found").
func httpError(status int, body []byte) error {
	var e wire.Error
	if err := wire.Unmarshal(body, &e); err == nil && e.Code != wire.OK {
		return &e
	}
	var stream struct {
		Error *wire.Error `json:"error"`
	}
	if err := json.Unmarshal(body, &stream); err == nil && stream.Error != nil && stream.Error.Code != wire.OK {
		return stream.Error
	}
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &wire.Error{Code: wire.CodeFromHTTPStatus(status), Message: msg}
}
