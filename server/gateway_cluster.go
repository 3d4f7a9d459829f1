package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

func (s *Server) rpcMemberList(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.MemberListRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.barrier(ctx, req.Linearizable); err != nil {
		return nil, err
	}
	v := s.view.Load()
	// etcd's member list header carries no revision.
	return &wire.MemberListResponse{Header: s.header(0), Members: toWireMembers(v.Members)}, nil
}

func (s *Server) rpcMemberAdd(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.MemberAddRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.PeerURLs) == 0 {
		return nil, wire.ErrMemberBadURLs
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) {
		m.AddMember(req.PeerURLs, req.IsLearner, deadline, done)
	})
	if err != nil {
		return nil, err
	}
	added := toWireMember(*r.Member)
	return &wire.MemberAddResponse{Header: toWireHeader(r.Header, 0), Member: &added, Members: toWireMembers(r.Members)}, nil
}

func (s *Server) rpcMemberRemove(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.MemberIDRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.RemoveMember(req.ID, deadline, done) })
	if err != nil {
		return nil, err
	}
	return &wire.MemberListResponse{Header: toWireHeader(r.Header, 0), Members: toWireMembers(r.Members)}, nil
}

func (s *Server) rpcMemberUpdate(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.MemberUpdateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) {
		m.UpdateMember(req.ID, req.PeerURLs, deadline, done)
	})
	if err != nil {
		return nil, err
	}
	return &wire.MemberUpdateResponse{Header: toWireHeader(r.Header, 0), Members: toWireMembers(r.Members)}, nil
}

// serveMemberPromote promotes a learner. Only the leader can tell whether
// the learner has caught up, so a follower forwards the request to it.
func (s *Server) serveMemberPromote(w http.ResponseWriter, r *http.Request) {
	body, werr := s.readBody(w, r)
	if werr != nil {
		writeError(w, werr)
		return
	}
	var req wire.MemberIDRequest
	if err := decode(body, &req); err != nil {
		writeError(w, err)
		return
	}
	res, werr := s.call(r.Context(), func(m *Member, deadline time.Time, done func(Result)) { m.PromoteMember(req.ID, deadline, done) })
	if werr == wire.ErrNotLeader && r.Header.Get("X-Raftkv-Forwarded") == "" {
		s.forwardToLeader(w, r, body)
		return
	}
	if werr != nil {
		writeError(w, werr)
		return
	}
	writeMessage(w, &wire.MemberListResponse{Header: toWireHeader(res.Header, 0), Members: toWireMembers(res.Members)})
}

// forwardToLeader replays a request on the leader's client URL.
func (s *Server) forwardToLeader(w http.ResponseWriter, r *http.Request, body []byte) {
	v := s.view.Load()
	if v.Lead == 0 || v.LeaderClientURL == "" {
		writeError(w, wire.ErrNoLeader)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, v.LeaderClientURL+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		writeError(w, wire.Errorf(wire.Internal, "%v", err))
		return
	}
	req.Header.Set("X-Raftkv-Forwarded", "1")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		writeError(w, wire.ErrNoLeader)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
