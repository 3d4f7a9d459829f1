package v3rpc

import (
	"context"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// The calls are counted as etcd's gRPC server counts them (its
// go-grpc-prometheus interceptors and its codec's byte counts), into the
// member's api.Metrics, which the JSON gateway reports to as well.

// callMetrics counts calls by method; it is the outermost interceptor, so
// that a call refused by another (no leader) is counted with its code.
type callMetrics struct {
	m       api.Metrics
	mu      sync.Mutex
	methods map[string]api.MethodMetrics
}

func newCallMetrics(m api.Metrics) *callMetrics {
	return &callMetrics{m: m, methods: map[string]api.MethodMetrics{}}
}

// method returns the counters of a method from its full name
// ("/etcdserverpb.KV/Range").
func (c *callMetrics) method(fullMethod string, typ api.RPCType) api.MethodMetrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.methods[fullMethod]; ok {
		return m
	}
	service, name, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	m := c.m.Method(service, name, typ)
	c.methods[fullMethod] = m
	return m
}

// clientAPIVersion is what the client said its API version was (clientv3
// sends it as metadata), "" if it did not say.
func clientAPIVersion(ctx context.Context) string {
	if vs := metadata.ValueFromIncomingContext(ctx, "client-api-version"); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (c *callMetrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m := c.method(info.FullMethod, api.RPCUnary)
	start := time.Now()
	m.Started(clientAPIVersion(ctx))
	m.MessageReceived()
	resp, err := handler(ctx, req)
	if err == nil {
		m.MessageSent()
	}
	m.Handled(wire.Code(status.Code(err)), time.Since(start))
	return resp, err
}

func (c *callMetrics) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	typ := api.RPCBidiStream
	switch {
	case info.IsClientStream && !info.IsServerStream:
		typ = api.RPCClientStream
	case info.IsServerStream && !info.IsClientStream:
		typ = api.RPCServerStream
	}
	m := c.method(info.FullMethod, typ)
	start := time.Now()
	m.Started(clientAPIVersion(ss.Context()))
	err := handler(srv, &countedStream{ServerStream: ss, m: m})
	m.Handled(wire.Code(status.Code(err)), time.Since(start))
	return err
}

// countedStream counts a stream's messages.
type countedStream struct {
	grpc.ServerStream
	m api.MethodMetrics
}

func (s *countedStream) RecvMsg(msg any) error {
	err := s.ServerStream.RecvMsg(msg)
	if err == nil {
		s.m.MessageReceived()
	}
	return err
}

func (s *countedStream) SendMsg(msg any) error {
	err := s.ServerStream.SendMsg(msg)
	if err == nil {
		s.m.MessageSent()
	}
	return err
}

// byteCounter counts the bytes of the messages received and sent
// (etcd_network_client_grpc_{received,sent}_bytes_total).
type byteCounter struct{ m api.Metrics }

func (b byteCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (b byteCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (b byteCounter) HandleConn(context.Context, stats.ConnStats)                       {}

func (b byteCounter) HandleRPC(_ context.Context, s stats.RPCStats) {
	switch p := s.(type) {
	case *stats.InPayload:
		b.m.ReceivedBytes(p.WireLength)
	case *stats.OutPayload:
		b.m.SentBytes(p.WireLength)
	}
}
