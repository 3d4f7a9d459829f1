package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/raftkv/raftkv/client/wire"
)

// Some requests only the leader can answer: a lease renewal (only the
// leader decides when a lease expires, leases.go), a lease's time to live
// (only the leader's countdown is the truth), and promoting a learner (only
// the leader knows how far behind the learner is). A follower that receives
// one asks the leader on its client's behalf, over the peer URLs — the
// members' own channel, as etcd does (its /leases and /members/promote peer
// endpoints) — and answers the client itself, with its own header.
//
// The leader serves these under forwardPrefix on its peer listener. A
// forwarded request is never forwarded again: if the receiver turns out not
// to lead either, the follower's client hears "no leader" and retries.

const forwardPrefix = "/raftkv/forward/"

// Forwarded request and answer bodies: plain JSON between members.
type (
	forwardedLease struct {
		ID   int64 `json:"id"`
		Keys bool  `json:"keys,omitempty"`
	}
	forwardedKeepAlive struct {
		TTL int64 `json:"ttl"`
	}
	forwardedTimeToLive struct {
		TTL        int64    `json:"ttl"`
		GrantedTTL int64    `json:"granted_ttl"`
		Keys       [][]byte `json:"keys,omitempty"`
	}
	forwardedPromote struct {
		ID uint64 `json:"id"`
	}
	forwardedMembers struct {
		Members []MemberInfo `json:"members"`
	}
)

// errNotSent marks a forward that certainly never reached the leader (no
// leader known, or the connection could not be made): the request did not
// happen, and the client may try again.
var errNotSent = errors.New("not sent")

// forward asks the leader to serve path with req and decodes its answer
// into resp. An error is the leader's own answer (a *wire.Error), or
// errNotSent, or — when the request may have reached the leader and its
// answer was lost — etcd's "request timed out, possibly due to connection
// lost": the request may have taken effect, and a client must not repeat a
// write on the strength of it.
func (s *Server) forward(ctx context.Context, path string, req, resp any) error {
	v := s.view.Load()
	var leaderURL string
	for _, m := range v.Members {
		if m.ID == v.Lead && len(m.PeerURLs) > 0 {
			leaderURL = m.PeerURLs[0]
		}
	}
	if v.Lead == 0 || v.Lead == v.ID || leaderURL == "" {
		return errNotSent
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("server: forward %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, leaderURL+forwardPrefix+path, bytes.NewReader(body))
	if err != nil {
		return errNotSent
	}
	hreq.Header.Set("Content-Type", "application/json")
	hresp, err := s.peerClient.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return contextError(ctx.Err())
		}
		if dialFailed(err) {
			return errNotSent
		}
		return wire.ErrTimeoutDueToConnectionLost
	}
	defer hresp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(hresp.Body, int64(s.cfg.MaxRequestBytes)+1<<20))
	if err != nil {
		return wire.ErrTimeoutDueToConnectionLost
	}
	if hresp.StatusCode != http.StatusOK {
		var e wire.Error
		if json.Unmarshal(answer, &e) != nil || e.Code == 0 {
			return wire.ErrTimeoutDueToConnectionLost
		}
		return &e
	}
	if err := json.Unmarshal(answer, resp); err != nil {
		return wire.ErrTimeoutDueToConnectionLost
	}
	return nil
}

// serveForwarded is the leader's side: path names the request.
func (s *Server) serveForwarded(w http.ResponseWriter, r *http.Request) {
	reply := func(v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			e := toError(err)
			w.WriteHeader(e.HTTPStatus())
			json.NewEncoder(w).Encode(e)
			return
		}
		json.NewEncoder(w).Encode(v)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		reply(nil, wire.Errorf(wire.InvalidArgument, "forwarded request: bad body"))
		return
	}
	ctx := r.Context()
	switch r.URL.Path[len(forwardPrefix):] {
	case "lease/keepalive":
		var req forwardedLease
		if err := json.Unmarshal(body, &req); err != nil {
			reply(nil, wire.Errorf(wire.InvalidArgument, "forwarded request: %v", err))
			return
		}
		resp, err := s.leaseKeepAliveHere(ctx, req.ID)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(forwardedKeepAlive{TTL: resp.TTL}, nil)
	case "lease/timetolive":
		var req forwardedLease
		if err := json.Unmarshal(body, &req); err != nil {
			reply(nil, wire.Errorf(wire.InvalidArgument, "forwarded request: %v", err))
			return
		}
		resp, err := s.leaseTimeToLiveHere(ctx, req.ID, req.Keys)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(forwardedTimeToLive{TTL: resp.TTL, GrantedTTL: resp.GrantedTTL, Keys: resp.Keys}, nil)
	case "member/promote":
		var req forwardedPromote
		if err := json.Unmarshal(body, &req); err != nil {
			reply(nil, wire.Errorf(wire.InvalidArgument, "forwarded request: %v", err))
			return
		}
		members, err := s.memberPromoteHere(ctx, req.ID)
		if err != nil {
			reply(nil, err)
			return
		}
		reply(forwardedMembers{Members: members}, nil)
	default:
		http.NotFound(w, r)
	}
}

// dialFailed reports whether err means that no byte of the request left:
// the connection to the leader could not be made.
func dialFailed(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
