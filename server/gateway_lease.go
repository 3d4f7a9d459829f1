package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

func (s *Server) rpcLeaseGrant(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.LeaseGrantRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.write(ctx, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: req.TTL, ID: req.ID}})
	if err != nil {
		return nil, err
	}
	g := r.KV.LeaseGrant
	return &wire.LeaseGrantResponse{Header: toWireHeader(r.Header, g.Header.Revision), ID: g.ID, TTL: g.TTL}, nil
}

func (s *Server) rpcLeaseRevoke(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.LeaseIDRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.write(ctx, &kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: req.ID}})
	if err != nil {
		return nil, err
	}
	return &wire.HeaderOnly{Header: toWireHeader(r.Header, r.KV.LeaseRevoke.Header.Revision)}, nil
}

// rpcLeaseTimeToLive answers from this member's countdown. Every member
// applies grants and keep-alives, so followers know the remaining TTL too;
// only the leader's countdown decides expiry.
func (s *Server) rpcLeaseTimeToLive(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.LeaseTimeToLiveRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, err
	}
	r := s.member.Store().LeaseTimeToLive(&kv.LeaseTimeToLiveRequest{ID: req.ID, Keys: req.Keys}, time.Now())
	return &wire.LeaseTimeToLiveResponse{Header: s.header(r.Header.Revision), ID: r.ID, TTL: r.TTL, GrantedTTL: r.GrantedTTL, Keys: r.Keys}, nil
}

func (s *Server) rpcLeaseLeases(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.Empty
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, err
	}
	r := s.member.Store().Leases()
	out := &wire.LeaseLeasesResponse{Header: s.header(r.Header.Revision)}
	for _, l := range r.Leases {
		out.Leases = append(out.Leases, wire.LeaseStatus{ID: l.ID})
	}
	return out, nil
}

// serveKeepAlive answers each keep-alive request in the body with one
// {"result":...} line, as etcd's gateway does, and ends with the body.
func (s *Server) serveKeepAlive(w http.ResponseWriter, r *http.Request) {
	dec := wire.NewStreamDecoder(http.MaxBytesReader(w, r.Body, s.bodyLimit()))
	rc := http.NewResponseController(w)
	started := false
	for {
		var req wire.LeaseKeepAliveRequest
		err := dec.Decode(&req)
		if err == io.EOF {
			return
		}
		if err != nil {
			if !started {
				writeError(w, decodeStreamError(err))
			} else {
				w.Write(wire.AppendStreamError(nil, decodeStreamError(err)))
			}
			return
		}
		res, werr := s.call(r.Context(), func(m *Member, deadline time.Time, done func(Result)) { m.KeepAlive(req.ID, deadline, done) })
		var out *wire.LeaseKeepAliveResponse
		if werr == wire.ErrNotLeader && r.Header.Get("X-Raftkv-Forwarded") == "" {
			out, werr = s.forwardKeepAlive(r.Context(), &req)
		}
		switch {
		case out != nil: // the leader's answer
		case werr == nil:
			out = &wire.LeaseKeepAliveResponse{Header: toWireHeader(res.Header, res.Renew.Header.Revision), ID: res.Renew.ID, TTL: res.Renew.TTL}
		case errors.Is(werr, wire.ErrLeaseNotFound):
			// etcd answers a keep-alive of a dead lease with its ID and no TTL.
			out = &wire.LeaseKeepAliveResponse{Header: s.header(s.member.Store().Rev()), ID: req.ID}
		default:
			if !started {
				writeError(w, werr)
			} else {
				w.Write(wire.AppendStreamError(nil, werr))
			}
			return
		}
		if !started {
			w.Header()["Content-Type"] = []string{"application/json"}
			w.Header()["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
			started = true
		}
		w.Write(wire.AppendStreamResult(nil, out))
		rc.Flush()
	}
}

// forwardKeepAlive asks the leader to renew a lease (only the leader may:
// Member.KeepAlive) and returns its answer.
func (s *Server) forwardKeepAlive(ctx context.Context, req *wire.LeaseKeepAliveRequest) (*wire.LeaseKeepAliveResponse, *wire.Error) {
	v := s.view.Load()
	if v.Lead == 0 || v.LeaderClientURL == "" {
		return nil, wire.ErrNoLeader
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, v.LeaderClientURL+"/v3/lease/keepalive", bytes.NewReader(wire.Marshal(req)))
	if err != nil {
		return nil, wire.Errorf(wire.Internal, "%v", err)
	}
	hreq.Header.Set("X-Raftkv-Forwarded", "1")
	resp, err := s.httpClient().Do(hreq)
	if err != nil {
		return nil, wire.ErrNoLeader
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, wire.ErrNoLeader
	}
	var out wire.LeaseKeepAliveResponse
	if err := wire.NewStreamDecoder(resp.Body).DecodeResult(&out); err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, we
		}
		return nil, wire.ErrNoLeader
	}
	return &out, nil
}
