package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// What the proxy knows of the cluster between calls: who leads (a client
// that requires a leader is refused without one, as a member refuses it),
// which version it speaks (/version), and whether authentication is on
// (the cache serves only while it is off).

// clusterView is what the proxy last learned.
type clusterView struct {
	header  api.Header
	leader  uint64
	version api.Version
	authOn  bool
	reached bool // some member answered the last question
}

// leaderUnnamed stands for a leader the cluster says it has but does not
// name to the proxy: with authentication on, a member tells its status only
// to a client that has logged in, and the proxy has no credentials of its
// own. Its /health, which anyone may ask, still says whether it has one.
const leaderUnnamed = math.MaxUint64

// header is a response header for the answers the proxy makes up itself
// (a refused watch, say): the cluster's, as last seen.
func (p *Proxy) header() api.Header { return p.view.Load().header }

// authOn reports whether the cluster last said authentication is on.
func (p *Proxy) authOn() bool { return p.view.Load().authOn }

// Leader is the leader the cluster last named; 0 if it has none or could
// not be reached (clients that require a leader are then refused).
func (p *Proxy) Leader() uint64 { return p.view.Load().leader }

// Version is the cluster's, as last seen: the proxy speaks the API of the
// members behind it.
func (p *Proxy) Version() api.Version { return p.view.Load().version }

// watchStatus asks the cluster every StatusInterval.
func (p *Proxy) watchStatus(ctx context.Context) {
	t := time.NewTicker(p.cfg.StatusInterval)
	defer t.Stop()
	for {
		prev := p.view.Load()
		next := p.askStatus(ctx, prev)
		p.view.Store(next)
		if next.authOn && !prev.authOn {
			p.follow.stop()
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
	// Anyone may ask whether authentication is on.
	as, err := p.up.auth.AuthStatus(ctx, &pb.AuthStatusRequest{})
	if err != nil {
		next.reached, next.leader = false, 0
		return &next
	}
	next.reached, next.authOn, next.header = true, as.Enabled, pbconv.FromHeader(as.Header)
	st, err := p.up.maint.Status(ctx, &pb.StatusRequest{})
	switch err = fromGRPC(err); {
	case err == nil:
		next.leader = st.Leader
		next.version = api.Version{Server: st.Version, Cluster: clusterVersion(st.Version), Storage: st.StorageVersion}
	case isAuthFailure(err):
		p.askPlainly(ctx, &next)
	default:
		next.leader = 0
	}
	return &next
}

// askPlainly learns over HTTP what a member tells anyone: whether it has a
// leader (/health) and its version (/version).
func (p *Proxy) askPlainly(ctx context.Context, v *clusterView) {
	v.leader = 0
	for _, base := range p.memberURLs() {
		var h wire.Health
		if err := p.getJSON(ctx, base+"/health?serializable=true", &h); err != nil {
			continue
		}
		if h.Healthy() || !strings.Contains(h.Reason, "NO LEADER") {
			v.leader = leaderUnnamed
		}
		var ver wire.Version
		if p.getJSON(ctx, base+"/version", &ver) == nil {
			v.version = api.Version{Server: ver.Server, Cluster: ver.Cluster, Storage: ver.Storage}
		}
		return
	}
}

func (p *Proxy) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

// memberURLs are the members' HTTP base URLs, from the endpoints in use.
func (p *Proxy) memberURLs() []string {
	addrs, useTLS, err := parseEndpoints(p.up.currentEndpoints())
	if err != nil {
		return nil
	}
	scheme := "http"
	if useTLS || p.cfg.ClusterTLS != nil {
		scheme = "https"
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = fmt.Sprintf("%s://%s", scheme, a.Addr)
	}
	return out
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
