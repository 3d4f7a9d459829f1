package v3http

import (
	"net/http"

	"github.com/raftkv/raftkv/client/wire"
)

// The plain HTTP endpoints beside the gateway, as etcd serves them: GET
// only (anything else is 405, in the mux's plain text).

func (h *Handler) serveVersion(w http.ResponseWriter, r *http.Request) {
	v := h.backend.Version()
	w.Header()["Content-Type"] = []string{"application/json"}
	w.Write((&wire.Version{Server: v.Server, Cluster: v.Cluster, Storage: v.Storage}).AppendJSON(nil))
}

// serveHealth answers etcd's /health: healthy when there is a leader and a
// linearizable read goes through (?serializable=true skips the read).
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	hl := h.backend.Health(r.Context(), r.URL.Query().Get("serializable") == "true")
	out := wire.Health{Health: "true"}
	if !hl.Healthy {
		out = wire.Health{Health: "false", Reason: hl.Reason}
	}
	w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
	if !hl.Healthy {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(out.AppendJSON(nil))
}

// serveLivez: the process is alive and its member loop runs.
func (h *Handler) serveLivez(w http.ResponseWriter, r *http.Request) {
	plainText(w)
	select {
	case <-h.cfg.Done:
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("stopped\n"))
	default:
		w.Write([]byte("ok\n"))
	}
}

// serveReadyz: the member can serve requests (it knows a leader).
func (h *Handler) serveReadyz(w http.ResponseWriter, r *http.Request) {
	plainText(w)
	if hl := h.backend.Health(r.Context(), true); !hl.Healthy && hl.Reason != "ALARM NOSPACE" && hl.Reason != "ALARM CORRUPT" {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready: " + hl.Reason + "\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func plainText(w http.ResponseWriter) {
	w.Header()["Content-Type"] = []string{"text/plain; charset=utf-8"}
	w.Header()["X-Content-Type-Options"] = []string{"nosniff"}
}
