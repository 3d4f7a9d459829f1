package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
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
	p := &Proxy{cfg: cfg, log: cfg.Logger, up: up, ns: namespace{prefix: []byte(cfg.Namespace)}, ctx: ctx, cancel: cancel}
	p.view.Store(&clusterView{})
	p.httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg.ClusterTLS}}
	p.hub = newWatchHub(p)
	p.leases = newKeepAlives(p)
	p.metrics = newMetrics(p)
	p.cache = newRangeCache(p.metrics, cfg.CacheEntries)
	p.follow = &cacheFollower{p: p}
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

// clusterView is what the proxy knows of the cluster between calls.
type clusterView struct {
	header   api.Header
	leader   uint64
	version  api.Version
	authOn   bool
	reached  bool // some member answered the last status question
}

// header is a response header for the answers the proxy makes up itself
// (a refused watch, say): the cluster's, as last seen.
func (p *Proxy) header() api.Header { return p.view.Load().header }

// authOn reports whether the cluster last said authentication is on.
func (p *Proxy) authOn() bool { return p.view.Load().authOn }

// watchStatus asks the cluster, every StatusInterval, who leads (for
// clients that require a leader), which version it speaks, and whether
// authentication is on (the cache serves only while it is off).
func (p *Proxy) watchStatus(ctx context.Context) {
	first := true
	t := time.NewTicker(p.cfg.StatusInterval)
	defer t.Stop()
	for {
		prev := p.view.Load()
		next := p.askStatus(ctx, prev)
		p.view.Store(next)
		switch {
		case next.reached && next.authOn && (first || !prev.authOn):
			p.follow.stop()
		case next.reached && !next.authOn && (first || prev.authOn):
			p.follow.start()
		}
		if next.reached {
			first = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Proxy) askStatus(ctx context.Context, prev *clusterView) *clusterView {
	ctx, cancel := context.WithTimeout(ctx, max(p.cfg.StatusInterval, time.Second))
	defer cancel()
	next := *prev
	next.reached = false
	st, err := p.up.maint.Status(ctx, &pb.StatusRequest{})
	if err != nil {
		next.leader = 0
		return &next
	}
	as, err := p.up.auth.AuthStatus(ctx, &pb.AuthStatusRequest{})
	if err != nil {
		next.leader = 0
		return &next
	}
	next.reached = true
	next.header = pbconv.FromHeader(st.Header)
	next.leader = st.Leader
	next.authOn = as.Enabled
	next.version = api.Version{Server: st.Version, Cluster: clusterVersion(st.Version), Storage: st.StorageVersion}
	return &next
}

// clusterVersion is the cluster version a member of version v reports
// (major.minor.0).
func clusterVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1] + ".0"
}

// Leader is the leader the cluster last named; 0 if it named none or could
// not be reached (clients that require a leader are then refused).
func (p *Proxy) Leader() uint64 { return p.view.Load().leader }

// Version is the cluster's, as last seen: the proxy speaks the API of the
// members behind it.
func (p *Proxy) Version() api.Version { return p.view.Load().version }

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
