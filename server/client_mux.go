package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/raftkv/raftkv/server/v3http"
)

// clientHandler is what the client URLs serve over HTTP/1.1: etcd's JSON
// gateway (server/v3http), /metrics, and the learner's pages (/ui and
// /debug/raft, debug.go). The gateway and /metrics carry etcd's CORS
// headers, which let any web page read them; the debug endpoints carry
// none, so a page from elsewhere open in the operator's browser can
// neither read a member's state nor, through /debug/control, act on it.
func (s *Server) clientHandler() http.Handler {
	mux := http.NewServeMux()
	v3http.New(s, v3http.Config{MaxRequestBytes: s.cfg.MaxRequestBytes, Done: s.done}).Register(mux)
	mux.Handle("/metrics", v3http.WithCORS(http.HandlerFunc(s.serveMetrics)))
	mux.HandleFunc("/debug/raft", s.serveDebugRaft)
	mux.HandleFunc("/debug/control", s.serveDebugControl)
	mux.HandleFunc("/ui", s.serveUI)
	if s.cfg.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
