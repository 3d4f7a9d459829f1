package proxy

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// /ui on a proxy: what the proxy holds for its clients, and where the
// cluster behind it is — a page that refreshes itself every two seconds,
// with a link to each member's own /ui, where the cluster's Raft is drawn.

// statusPage is what /ui shows.
type statusPage struct {
	Advertise, Namespace string
	Endpoints            []string
	Leader               string
	Reached              bool
	Version              string
	ClientWatches        int
	UpstreamWatches      int
	Coalescing           int
	CacheArmed           bool
	CacheEntries         int
	LeaseStreams         int
	Proxies              []string
	Members              []pageMember
}

type pageMember struct {
	Name, ClientURL, UI string
}

var statusTemplate = template.Must(template.New("ui").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>raftkv grpc-proxy {{.Advertise}}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:52em}td,th{padding:.2em .8em;text-align:left}th{color:#555;font-weight:normal}</style>
</head><body>
<h1>raftkv grpc-proxy {{.Advertise}}</h1>
<p>{{if .Reached}}The cluster answers (etcd {{.Version}}, leader {{.Leader}}).{{else}}<b>The cluster does not answer.</b>{{end}}
{{if .Namespace}} Clients see the keys under <code>{{.Namespace}}</code>.{{end}}</p>
<table>
<tr><th>client watches on this proxy</th><td>{{.ClientWatches}}</td></tr>
<tr><th>watches this proxy holds on the cluster</th><td>{{.UpstreamWatches}}</td></tr>
<tr><th>watches sharing another's (coalescing)</th><td>{{.Coalescing}}</td></tr>
<tr><th>serializable read cache</th><td>{{if .CacheArmed}}on, {{.CacheEntries}} answers{{else}}off{{end}}</td></tr>
<tr><th>lease keep-alive streams to the cluster</th><td>{{.LeaseStreams}}</td></tr>
<tr><th>endpoints</th><td>{{range .Endpoints}}{{.}} {{end}}</td></tr>
{{if .Proxies}}<tr><th>proxies registered</th><td>{{range .Proxies}}{{.}} {{end}}</td></tr>{{end}}
</table>
<h2>Members</h2>
<ul>{{range .Members}}<li>{{.Name}} {{.ClientURL}}{{if .UI}} — <a href="{{.UI}}">its /ui</a>{{end}}</li>{{else}}<li>none reachable</li>{{end}}</ul>
<p>Figures: <a href="/proxy/metrics">/proxy/metrics</a> (the proxy's), <a href="/metrics">/metrics</a> (a member's).</p>
</body></html>
`))

func (p *Proxy) serveUI(w http.ResponseWriter, r *http.Request) {
	v := p.view.Load()
	st := p.hub.stats()
	page := statusPage{
		Advertise: p.cfg.AdvertiseClientURL, Namespace: p.cfg.Namespace, Endpoints: p.up.currentEndpoints(),
		Reached: v.reached, Version: v.version.Server, Leader: formatID(v.leader),
		ClientWatches: st.receivers, UpstreamWatches: st.broadcasts, Coalescing: st.coalescing,
		CacheArmed: p.cache.isArmed(), CacheEntries: p.cache.size(), LeaseStreams: p.leases.streams(),
	}
	for _, m := range p.fleet.members() {
		page.Proxies = append(page.Proxies, m.ClientURLs[0])
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if resp, err := p.up.cluster.MemberList(ctx, &pb.MemberListRequest{}); err == nil {
		for _, m := range resp.Members {
			pm := pageMember{Name: m.Name}
			if len(m.ClientURLs) > 0 {
				pm.ClientURL = m.ClientURLs[0]
				if strings.HasPrefix(pm.ClientURL, "http") {
					pm.UI = pm.ClientURL + "/ui"
				}
			}
			page.Members = append(page.Members, pm)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	statusTemplate.Execute(w, page)
}

// formatID writes a member ID as etcd does, in hex.
func formatID(id uint64) string {
	switch id {
	case 0:
		return "none"
	case leaderUnnamed:
		return "elected (unnamed to the proxy while authentication is on)"
	}
	return strconv.FormatUint(id, 16)
}
