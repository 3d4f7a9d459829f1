package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The dialling side speaks just enough HTTP/1.1 by hand to get through the
// door — one request head out, one response head in — and then the
// connection is a plain byte stream of frames. Using net/http's client
// instead would hide the net.Conn, and with it the read and write deadlines
// that detect a dead peer, behind a connection pool that we do not want.

// dial opens a connection to a peer URL: plain TCP for http://, TLS for
// https://. The TLS handshake happens here, so a peer whose certificate we
// do not trust (or that does not accept ours) fails the dial.
func (t *HTTPTransport) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	nd := &net.Dialer{Timeout: t.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	var conn net.Conn
	var err error
	switch u.Scheme {
	case "http":
		conn, err = nd.DialContext(ctx, "tcp", u.Host)
	case "https":
		td := &tls.Dialer{NetDialer: nd, Config: t.clientTLS}
		conn, err = td.DialContext(ctx, "tcp", u.Host)
	default:
		err = fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", u.Redacted(), err)
	}
	return conn, nil
}

// requestHead renders an HTTP/1.1 request head.
func requestHead(method, host, path string, hdr http.Header) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: raftkv-transport\r\n", method, path, host)
	_ = hdr.Write(&b) // a bytes.Buffer never fails
	b.WriteString("\r\n")
	return b.Bytes()
}

// openStream dials u, asks member `to` to switch the connection to the
// stream protocol, and returns the connection with a reader that may
// already hold bytes that followed the answer.
func (t *HTTPTransport) openStream(ctx context.Context, u *url.URL, to uint64) (net.Conn, *bufio.Reader, error) {
	conn, err := t.dial(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	// Until the handshake is over, Stop or RemovePeer (which cancel ctx)
	// must be able to interrupt it, and so must DialTimeout.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (net.Conn, *bufio.Reader, error) {
		stop()
		conn.Close()
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(t.cfg.DialTimeout))

	hdr := t.handshakeFor(to).header()
	hdr.Set("Connection", "Upgrade")
	hdr.Set("Upgrade", upgradeToken)
	if _, err := conn.Write(requestHead(http.MethodGet, u.Host, streamPath, hdr)); err != nil {
		return fail(fmt.Errorf("transport: handshake with %s: %w", u.Redacted(), err))
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fail(fmt.Errorf("transport: handshake with %s: %w", u.Redacted(), err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fail(refusal(to, t.cfg.ClusterID, resp, readReason(resp.Body)))
	}
	if !stop() {
		return fail(ctx.Err()) // cancelled just as the handshake finished
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, br, nil
}

// readReason reads the start of an error answer's body: the peer's words
// for why it refused us.
func readReason(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 512))
	return strings.TrimSpace(string(b))
}

// handshakeFor is what this member says when it connects to member to.
func (t *HTTPTransport) handshakeFor(to uint64) handshake {
	return handshake{version: protocolVersion, clusterID: t.cfg.ClusterID, from: t.cfg.LocalID, to: to}
}
