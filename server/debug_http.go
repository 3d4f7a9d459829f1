package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/raftkv/raftkv/ui"
)

// The learner's view: GET /debug/raft (one snapshot of the member's raft
// state, or a stream of them with ?stream=1), the /ui page that draws the
// whole cluster from those, and — only with --experimental-debug-controls
// and only from loopback — POST /debug/control to pause a member's clock,
// isolate it, or transfer leadership.
//
// The page talks to the member that served it and to no other: a member
// asked about another (?member=<hex ID>, or "member" in a control) asks
// that member over the peer URLs, the members' own channel. So the debug
// endpoints need no CORS headers and have none: a web page from anywhere
// else, open in the operator's browser, can neither read them nor act on
// them. /debug/control further insists on a loopback Host (a page that
// rebinds its own host name to 127.0.0.1 still sends its own name) and on
// a header no cross-origin page may send without a CORS preflight, which
// gets no permission here.

const debugLogTail = 40

// DebugControlHeader must be on every /debug/control request (the /ui
// page sends it).
const DebugControlHeader = "X-Raftkv-Debug-Control"

// Peer-side paths of the debug view.
const (
	peerDebugRaft    = "/raftkv/debug/raft"
	peerDebugControl = "/raftkv/debug/control"
)

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
	if id := r.URL.Query().Get("member"); id != "" && id != hexID(s.view.Load().ID) {
		s.relayToPeer(w, r, id, http.MethodGet, peerDebugRaft, nil)
		return
	}
	if r.URL.Query().Get("stream") == "" {
		s.serveDebugRaftOnce(w, r)
		return
	}
	// A stream: one JSON object per line, every heartbeat interval, until
	// the client goes away.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
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

func (s *Server) serveDebugRaftOnce(w http.ResponseWriter, r *http.Request) {
	v, err := s.debugView(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	json.NewEncoder(w).Encode(v)
}

type debugControl struct {
	Action string `json:"action"` // pause, resume, isolate, heal, transfer
	Target string `json:"target"` // transfer: the member to hand leadership to (hex ID)
	// Member is the member to act on (hex ID); empty: this one.
	Member string `json:"member,omitempty"`
}

func (s *Server) serveDebugControl(w http.ResponseWriter, r *http.Request) {
	switch {
	case !s.cfg.ExperimentalDebugControls:
		http.Error(w, "debug controls are off: start raftkv with --experimental-debug-controls", http.StatusForbidden)
		return
	case !fromLoopback(r) || !loopbackHost(r.Host):
		http.Error(w, "debug controls are only served to loopback clients, at a loopback address", http.StatusForbidden)
		return
	case r.Header.Get(DebugControlHeader) == "":
		http.Error(w, "debug controls need the "+DebugControlHeader+" header", http.StatusForbidden)
		return
	case r.Method != http.MethodPost:
		http.Error(w, "POST a JSON {\"action\": ...}", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		http.Error(w, "bad control: "+err.Error(), http.StatusBadRequest)
		return
	}
	var c debugControl
	if err := json.Unmarshal(body, &c); err != nil {
		http.Error(w, "bad control: "+err.Error(), http.StatusBadRequest)
		return
	}
	if c.Member != "" && c.Member != hexID(s.view.Load().ID) {
		s.relayToPeer(w, r, c.Member, http.MethodPost, peerDebugControl, body)
		return
	}
	s.applyDebugControl(w, r.Context(), c)
}

func (s *Server) applyDebugControl(w http.ResponseWriter, ctx context.Context, c debugControl) {
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
	if err := s.do(ctx, apply); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// relayToPeer asks member id (hex) over its peer URL and copies its answer.
func (s *Server) relayToPeer(w http.ResponseWriter, r *http.Request, id, method, path string, body []byte) {
	var peerURL string
	for _, m := range s.view.Load().Members {
		if hexID(m.ID) == id && len(m.PeerURLs) > 0 {
			peerURL = m.PeerURLs[0]
		}
	}
	if peerURL == "" {
		http.Error(w, "no member "+id, http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, peerURL+path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := s.peerClient.Do(req)
	if err != nil {
		http.Error(w, fmt.Sprintf("member %s: %v", id, err), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, io.LimitReader(resp.Body, 8<<20))
}

// servePeerDebugRaft answers a member relaying /debug/raft?member=.
func (s *Server) servePeerDebugRaft(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	s.serveDebugRaftOnce(w, r)
}

// servePeerDebugControl answers a member relaying a control. This member
// must allow controls itself, and the relaying member must be on this
// machine: controls stay a loopback affair however they arrive.
func (s *Server) servePeerDebugControl(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.ExperimentalDebugControls {
		http.Error(w, "debug controls are off on this member: start it with --experimental-debug-controls", http.StatusForbidden)
		return
	}
	if !fromLoopback(r) || r.Method != http.MethodPost {
		http.Error(w, "debug controls are only relayed between members on one machine", http.StatusForbidden)
		return
	}
	var c debugControl
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&c); err != nil {
		http.Error(w, "bad control: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.applyDebugControl(w, r.Context(), c)
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackHost reports whether the request's Host names this machine by a
// loopback address or "localhost".
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) serveUI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(ui.LivePage())
}
