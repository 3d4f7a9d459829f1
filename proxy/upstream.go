package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// upstream is the proxy's side of the cluster: one gRPC connection that
// balances calls round-robin over the members that are up, and the etcd
// service clients on it.
//
// The connection is gRPC's own: it keeps a sub-connection to every
// endpoint, reconnects to each that fails, and hands each call to a ready
// one — so a member that dies is skipped by every later call, and a stream
// that broke on it is opened again, by whoever owned it, on another.
// Every call says who it is made for (the client's token, as "token"
// metadata): the proxy has no identity of its own in the cluster's eyes,
// and a member checks the client's permissions as if it had called itself.
type upstream struct {
	// endpoints are the ones in use (a []string).
	endpoints atomic.Value
	conn      *grpc.ClientConn
	resolver  *manual.Resolver
	useTLS    bool

	kv      pb.KVClient
	watch   pb.WatchClient
	lease   pb.LeaseClient
	cluster pb.ClusterClient
	maint   pb.MaintenanceClient
	auth    pb.AuthClient
}

// resolverScheme names the proxy's resolver; each proxy has its own
// instance (grpc.WithResolvers), so nothing is registered globally.
const resolverScheme = "raftkv-cluster"

// dialUpstream prepares the connection to endpoints; it connects lazily,
// and keeps trying, so a proxy may start before its cluster does.
func dialUpstream(cfg Config) (*upstream, error) {
	addrs, useTLS, err := parseEndpoints(cfg.Endpoints)
	if err != nil {
		return nil, err
	}
	if useTLS && cfg.ClusterTLS == nil {
		cfg.ClusterTLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	r := manual.NewBuilderWithScheme(resolverScheme)
	r.InitialState(resolver.State{Addresses: addrs})
	transport := insecure.NewCredentials()
	if cfg.ClusterTLS != nil {
		transport = credentials.NewTLS(cfg.ClusterTLS)
	}
	opts := []grpc.DialOption{
		grpc.WithResolvers(r),
		grpc.WithTransportCredentials(transport),
		// Round robin over the members that are up: reads and watches
		// spread over the cluster, and a dead member is passed over.
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(math.MaxInt32),
			grpc.MaxCallSendMsgSize(cfg.MaxSendBytes),
			// A call waits for some member to be reachable rather than
			// failing at once while the connections are being made again.
			grpc.WaitForReady(true),
		),
	}
	if cfg.DialKeepAliveTime > 0 {
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time: cfg.DialKeepAliveTime, Timeout: cfg.DialKeepAliveTimeout, PermitWithoutStream: cfg.PermitWithoutStream,
		}))
	}
	conn, err := grpc.NewClient(resolverScheme+":///cluster", opts...)
	if err != nil {
		return nil, fmt.Errorf("proxy: connect to %v: %w", cfg.Endpoints, err)
	}
	conn.Connect()
	u := &upstream{
		conn: conn, resolver: r, useTLS: useTLS,
		kv: pb.NewKVClient(conn), watch: pb.NewWatchClient(conn), lease: pb.NewLeaseClient(conn),
		cluster: pb.NewClusterClient(conn), maint: pb.NewMaintenanceClient(conn), auth: pb.NewAuthClient(conn),
	}
	u.endpoints.Store(slices.Clone(cfg.Endpoints))
	return u, nil
}

// currentEndpoints are the endpoints in use.
func (u *upstream) currentEndpoints() []string { return u.endpoints.Load().([]string) }

func (u *upstream) close() error { return u.conn.Close() }

// setEndpoints replaces the endpoints (--endpoints-auto-sync-interval): the
// calls under way finish where they are; new ones go to the new set.
func (u *upstream) setEndpoints(endpoints []string) error {
	addrs, _, err := parseEndpoints(endpoints)
	if err != nil {
		return err
	}
	u.resolver.UpdateState(resolver.State{Addresses: addrs})
	u.endpoints.Store(slices.Clone(endpoints))
	return nil
}

// parseEndpoints reads etcd's --endpoints: host:port, or a URL whose scheme
// says whether the member speaks TLS. They must all agree on it.
func parseEndpoints(endpoints []string) ([]resolver.Address, bool, error) {
	if len(endpoints) == 0 {
		return nil, false, errors.New("proxy: no endpoints")
	}
	var addrs []resolver.Address
	schemes := map[bool]bool{}
	for _, ep := range endpoints {
		hostport, useTLS := ep, false
		if strings.Contains(ep, "://") {
			u, err := url.Parse(ep)
			if err != nil {
				return nil, false, fmt.Errorf("proxy: endpoint %q: %w", ep, err)
			}
			switch u.Scheme {
			case "http", "unix":
			case "https", "unixs":
				useTLS = true
			default:
				return nil, false, fmt.Errorf("proxy: endpoint %q: unknown scheme %q", ep, u.Scheme)
			}
			hostport = u.Host
		}
		host, _, err := net.SplitHostPort(hostport)
		if err != nil {
			return nil, false, fmt.Errorf("proxy: endpoint %q: %w", ep, err)
		}
		schemes[useTLS] = true
		a := resolver.Address{Addr: hostport, ServerName: host}
		if !slices.ContainsFunc(addrs, func(b resolver.Address) bool { return b.Addr == a.Addr }) {
			addrs = append(addrs, a)
		}
	}
	if len(schemes) > 1 {
		return nil, false, errors.New("proxy: endpoints mix http and https")
	}
	return addrs, schemes[true], nil
}

// outgoing is the context of a call made on a client's behalf: the
// client's deadline and cancellation, and its token.
func outgoing(ctx context.Context) context.Context {
	md := metadata.MD{}
	if c := api.CredentialsFrom(ctx); c.Token != "" {
		md.Set("token", c.Token)
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// requireLeader marks a stream so that a member without a leader ends it
// (etcd's "hasleader" metadata): a member cut off from the others would
// otherwise keep a watch open that no event can reach; ended, the stream
// is opened again on a member that still hears from a leader.
func requireLeader(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "hasleader", "true")
}

// fromGRPC turns a member's answer back into the error value it started as
// (etcd's code and words); a failure of the connection itself is
// Unavailable, in gRPC's words.
func fromGRPC(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s, ok := status.FromError(err)
	if !ok {
		return &wire.Error{Code: wire.Unavailable, Message: err.Error()}
	}
	return &wire.Error{Code: wire.Code(s.Code()), Message: s.Message()}
}

// isAuthFailure reports whether err says the caller may not do what it
// asked (and asking again will not change that).
func isAuthFailure(err error) bool {
	var e *wire.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == wire.PermissionDenied || e.Code == wire.Unauthenticated ||
		(e.Code == wire.InvalidArgument && strings.HasPrefix(e.Message, "etcdserver: user name"))
}

// retryable reports whether a call that is safe to repeat (a read) should
// be tried again: the member could not serve it (no leader, timed out,
// stopping) or the connection failed, and another member, or the same a
// moment later, may.
func retryable(err error) bool {
	var e *wire.Error
	return errors.As(err, &e) && e.Code == wire.Unavailable
}

// Backoff between the tries of a repeatable call.
const (
	retryFirstWait = 25 * time.Millisecond
	retryMaxWait   = time.Second
	maxReadTries   = 5
)

// repeat runs a call that is safe to repeat until it succeeds, fails for
// good, or has been tried maxReadTries times.
func repeat(ctx context.Context, call func() error) error {
	wait := retryFirstWait
	for try := 1; ; try++ {
		err := call()
		if err == nil || !retryable(err) || try == maxReadTries {
			return err
		}
		if !sleep(ctx, wait) {
			return err
		}
		wait = min(2*wait, retryMaxWait)
	}
}

// sleep waits d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
