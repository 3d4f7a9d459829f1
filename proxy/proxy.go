package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/raftkv/raftkv/server/api"
)

// Proxy is an api.Backend over a cluster: what a member's adapters serve
// for the member, they serve for the proxy (serve.go).
type Proxy struct {
	cfg     Config
	log     *slog.Logger
	up      *upstream
	ns      namespace
	metrics *metrics
	cache   *rangeCache
	hub     *watchHub
	leases  *keepAlives
	follow  *cacheFollower
	fleet   *fleet

	// queueLimit is maxQueued (smaller in tests).
	queueLimit int

	// view is what the proxy last learned of the cluster (watchStatus).
	view atomic.Pointer[clusterView]

	// httpClient reads the members' /metrics.
	httpClient *http.Client
	// The servers of Serve and ServeMetrics, stopped by Close.
	serversMu   sync.Mutex
	grpcServers []*grpc.Server
	httpServers []*http.Server

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ api.Backend = (*Proxy)(nil)

// New starts a proxy for the cluster at cfg.Endpoints. It does not wait for
// the cluster: calls wait for a member to be reachable, within their
// deadline.
func New(cfg Config) (*Proxy, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	up, err := dialUpstream(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{cfg: cfg, log: cfg.Logger, up: up, ns: namespace{prefix: []byte(cfg.Namespace)}, queueLimit: maxQueued, ctx: ctx, cancel: cancel}
	p.view.Store(&clusterView{})
	p.httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg.ClusterTLS}}
	p.hub = newWatchHub(p)
	p.leases = newKeepAlives(p)
	p.metrics = newMetrics(p)
	p.follow = &cacheFollower{p: p}
	p.cache = newRangeCache(p.metrics, cfg.CacheEntries, p.follow.ensure)
	p.fleet = newFleet(p)
	p.background(p.watchStatus)
	if cfg.AutoSyncInterval > 0 {
		p.background(p.autoSync)
	}
	if cfg.ResolverPrefix != "" {
		p.background(p.fleet.register)
	}
	if cfg.ResolverPrefix != "" && cfg.AdvertiseClientURL != "" {
		p.fleet.follow()
	}
	return p, nil
}

func (p *Proxy) background(f func(ctx context.Context)) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f(p.ctx)
	}()
}

// Close stops the proxy: its registration is withdrawn, every watch and
// keep-alive it holds on the cluster is closed, and the connections with
// them. The clients' streams end.
func (p *Proxy) Close() error {
	p.stopServing()
	p.fleet.withdraw()
	p.wg.Wait()
	return p.up.close()
}

// callContext bounds a call that came without a deadline.
func (p *Proxy) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, p.cfg.RequestTimeout)
}

// Health is etcd's proxy health check: the cluster answers a read through
// the proxy (a refusal of permission counts: the cluster answered).
func (p *Proxy) Health(ctx context.Context, serializable bool) api.Health {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := p.up.kv.Range(outgoing(ctx), &pb.RangeRequest{Key: p.ns.key([]byte("health")), Serializable: serializable, CountOnly: true})
	if err = fromGRPC(err); err != nil && !isAuthFailure(err) {
		return api.Health{Reason: fmt.Sprintf("GET ERROR:%s", err)}
	}
	return api.Health{Healthy: true}
}

// autoSync replaces the endpoints, every AutoSyncInterval, with the client
// URLs of the cluster's voting members (etcd's clientv3 Sync).
func (p *Proxy) autoSync(ctx context.Context) {
	t := time.NewTicker(p.cfg.AutoSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		callCtx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
		resp, err := p.up.cluster.MemberList(callCtx, &pb.MemberListRequest{Linearizable: true})
		cancel()
		if err != nil {
			p.log.Warn("endpoints auto-sync: member list failed", "err", err)
			continue
		}
		var eps []string
		for _, m := range resp.Members {
			if m.Name != "" && !m.IsLearner {
				eps = append(eps, m.ClientURLs...)
			}
		}
		if len(eps) == 0 {
			continue
		}
		if err := p.up.setEndpoints(eps); err != nil {
			p.log.Warn("endpoints auto-sync: bad client URLs", "urls", eps, "err", err)
		}
	}
}
