package v3rpc

import (
	"math"
	"runtime"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"github.com/raftkv/raftkv/server/api"
)

// Config is what the gRPC server needs besides its backend.
type Config struct {
	// MaxRequestBytes is --max-request-bytes: the gRPC receive limit is
	// this plus grpcOverheadBytes, as in etcd.
	MaxRequestBytes int
	// MaxConcurrentStreams bounds the streams of one client connection
	// (etcd's --max-concurrent-streams, default unlimited).
	MaxConcurrentStreams uint32
	// ElectionTimeout paces the check that cancels the streams of clients
	// that require a leader, when the member has had none for a while.
	ElectionTimeout time.Duration
	// Metrics counts the calls (nil: none are counted).
	Metrics api.Metrics
	// Options are added to the server's (a TLS identity, for instance).
	Options []grpc.ServerOption
}

// grpcOverheadBytes is what etcd's gRPC server accepts above
// --max-request-bytes: room for the message's framing, so that a request
// of exactly --max-request-bytes reaches the member, which decides.
const grpcOverheadBytes = 512 * 1024

// Keep-alive policy, etcd's defaults: a client may ping every 5 s while it
// has streams open; the server pings an idle connection every 2 h and
// drops it if the ping is not answered in 20 s.
const (
	minClientPingInterval = 5 * time.Second
	serverPingInterval    = 2 * time.Hour
	serverPingTimeout     = 20 * time.Second
)

// New returns a gRPC server with etcd's services over backend.
func New(backend api.Backend, cfg Config) *grpc.Server {
	if cfg.MaxConcurrentStreams == 0 {
		cfg.MaxConcurrentStreams = math.MaxUint32
	}
	if cfg.Metrics == nil {
		cfg.Metrics = api.NoMetrics{}
	}
	ic := interceptors{b: backend, electionTimeout: cfg.ElectionTimeout}
	calls := newCallMetrics(cfg.Metrics)
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxRequestBytes + grpcOverheadBytes),
		grpc.MaxSendMsgSize(math.MaxInt32),
		grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: minClientPingInterval}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: serverPingInterval, Timeout: serverPingTimeout}),
		grpc.ChainUnaryInterceptor(calls.unary, ic.unary),
		grpc.ChainStreamInterceptor(calls.stream, ic.stream),
		grpc.StatsHandler(byteCounter{cfg.Metrics}),
		// A pool of goroutines that serve one RPC after another, instead of
		// a new goroutine per RPC: a new goroutine starts with a small stack
		// and grows it by copying while it decodes the request — measured at
		// 14% of a member's CPU under small reads. A worker keeps its grown
		// stack. When all are busy (long watches hold theirs), gRPC starts
		// a goroutine as it would without the pool.
		grpc.NumStreamWorkers(streamWorkers()),
	}
	gs := grpc.NewServer(append(opts, cfg.Options...)...)
	pb.RegisterKVServer(gs, &kvServer{b: backend})
	pb.RegisterWatchServer(gs, &watchServer{b: backend, metrics: cfg.Metrics})
	pb.RegisterLeaseServer(gs, &leaseServer{b: backend})
	pb.RegisterClusterServer(gs, &clusterServer{b: backend})
	pb.RegisterMaintenanceServer(gs, &maintenanceServer{b: backend})
	pb.RegisterAuthServer(gs, &authServer{b: backend})
	// The standard gRPC health service, which etcd serves too (load
	// balancers and grpc_health_probe ask it): SERVING.
	healthpb.RegisterHealthServer(gs, health.NewServer())
	return gs
}

// streamWorkers is the size of the pool of RPC goroutines: enough that
// unary calls waiting on the log (a put waits for its commit) rarely leave
// a new call without a worker, and few enough that their stacks stay small
// beside the store.
func streamWorkers() uint32 {
	return uint32(16 * runtime.GOMAXPROCS(0))
}
