package server

import (
	"expvar"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/raftkv/raftkv/server/v3http"
)

// clientHandler is what the client URLs serve over HTTP/1.1: etcd's JSON
// gateway (server/v3http), /metrics, and the learner's pages (/ui and
// /debug/*, debug_http.go). Everything carries etcd's CORS headers, which
// let any web page read it — except the debug endpoints and /ui, which
// carry none, so that a page from elsewhere open in the operator's browser
// can neither read a member's state there nor act on it.
func (s *Server) clientHandler() http.Handler {
	mux := http.NewServeMux()
	v3http.New(s, v3http.Config{MaxRequestBytes: s.cfg.MaxRequestBytes, Done: s.done, Metrics: s.metrics.client}).Register(mux)
	mux.HandleFunc("/metrics", s.serveMetrics)
	mux.HandleFunc("/debug/raft", s.serveDebugRaft)
	mux.HandleFunc("/debug/control", s.serveDebugControl)
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/ui", s.serveUI)
	if s.cfg.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	withCORS := v3http.WithCORS(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/") || r.URL.Path == "/ui" {
			// With authentication on, the learner's view is for the
			// operator at the machine only: it shows no keys, but the
			// cluster's shape and traffic are nobody else's business.
			if s.member.Auth().Enabled() && !fromLoopback(r) {
				http.Error(w, "with authentication on, the debug pages are served to loopback clients only", http.StatusForbidden)
				return
			}
			mux.ServeHTTP(w, r)
			return
		}
		withCORS.ServeHTTP(w, r)
	})
}
