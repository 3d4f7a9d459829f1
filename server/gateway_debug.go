package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/raftkv/raftkv/ui"
)

// The learner's view: GET /debug/raft (one snapshot of the member's raft
// state, or a stream of them with ?stream=1), the /ui page that draws the
// whole cluster from those, and — only with --experimental-debug-controls
// and only from loopback — POST /debug/control to pause a member's clock,
// isolate it, or transfer leadership.

const debugLogTail = 40

func (s *Server) debugView(ctx context.Context) (DebugView, error) {
	ch := make(chan DebugView, 1)
	if err := s.do(ctx, func(m *Member) { ch <- m.Debug(debugLogTail) }); err != nil {
		return DebugView{}, err
	}
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		return DebugView{}, ctx.Err()
	}
}

func (s *Server) serveDebugRaft(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Get("stream") == "" {
		v, err := s.debugView(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(v)
		return
	}
	// A stream: one JSON object per line, every heartbeat interval, until
	// the client goes away.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	every := s.cfg.HeartbeatInterval
	if ms, err := strconv.Atoi(r.URL.Query().Get("interval_ms")); err == nil && ms >= 10 {
		every = time.Duration(ms) * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		v, err := s.debugView(r.Context())
		if err != nil {
			return
		}
		if enc.Encode(v) != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

type debugControl struct {
	Action string `json:"action"` // pause, resume, isolate, heal, transfer
	Target string `json:"target"` // transfer: the member to hand leadership to (hex ID)
}

func (s *Server) serveDebugControl(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.ExperimentalDebugControls {
		http.Error(w, "debug controls are off: start raftkv with --experimental-debug-controls", http.StatusForbidden)
		return
	}
	if !fromLoopback(r) {
		http.Error(w, "debug controls are only served to loopback clients", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST a JSON {\"action\": ...}", http.StatusMethodNotAllowed)
		return
	}
	var c debugControl
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&c); err != nil {
		http.Error(w, "bad control: "+err.Error(), http.StatusBadRequest)
		return
	}
	var apply func(m *Member)
	switch c.Action {
	case "pause":
		apply = func(m *Member) { m.SetClockPaused(true) }
	case "resume":
		apply = func(m *Member) { m.SetClockPaused(false) }
	case "isolate":
		apply = func(m *Member) { m.SetIsolated(true) }
	case "heal":
		apply = func(m *Member) { m.SetIsolated(false) }
	case "transfer":
		target, err := strconv.ParseUint(c.Target, 16, 64)
		if err != nil {
			http.Error(w, "transfer needs a target member ID (hex)", http.StatusBadRequest)
			return
		}
		apply = func(m *Member) { m.TransferLeadership(target) }
	default:
		http.Error(w, "unknown action "+strconv.Quote(c.Action)+" (pause, resume, isolate, heal, transfer)", http.StatusBadRequest)
		return
	}
	if err := s.do(r.Context(), apply); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) serveUI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(ui.LivePage())
}
