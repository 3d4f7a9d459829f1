package server

import (
	"context"
	"net/http"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.Write((&wire.Version{Server: Version, Cluster: Version, Storage: Version}).AppendJSON(nil))
}

// serveHealth answers etcd's /health: healthy when there is a leader and a
// linearizable read goes through (?serializable=true skips the read).
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := wire.Health{Health: "true"}
	v := s.view.Load()
	switch {
	case v.Removed:
		h = wire.Health{Health: "false", Reason: "MEMBER REMOVED"}
	case len(v.Alarms) > 0:
		h = wire.Health{Health: "false", Reason: "ALARM " + v.Alarms[0].Alarm.String()}
	case v.Lead == 0:
		h = wire.Health{Health: "false", Reason: "RAFT NO LEADER"}
	case r.URL.Query().Get("serializable") != "true":
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.barrier(ctx, true); err != nil {
			h = wire.Health{Health: "false", Reason: "QGET ERROR:" + err.Message}
		}
	}
	s.metrics.observeHealth(h.Health == "true")
	w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
	if h.Health != "true" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(h.AppendJSON(nil))
}

func (s *Server) serveLivez(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
	w.Header()["X-Content-Type-Options"] = []string{"nosniff"}
	select {
	case <-s.done:
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("stopped"))
	default:
		w.Write([]byte("ok"))
	}
}

func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
	w.Header()["X-Content-Type-Options"] = []string{"nosniff"}
	if v := s.view.Load(); v.Lead == 0 || v.Removed {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready: no leader"))
		return
	}
	w.Write([]byte("ok"))
}
