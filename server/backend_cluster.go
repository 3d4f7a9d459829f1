package server

import (
	"context"
	"errors"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// The Cluster service: membership changes go through the log as
// configuration changes (thesis §4.1) or, for new peer URLs, as ordinary
// entries (api.go's UpdateMember).

// MemberList lists the members. A linearizable list reads the membership
// on the member's goroutine at the moment its read barrier passes, so it
// holds every change committed before the call; etcd's header for it
// carries no revision.
func (s *Server) MemberList(ctx context.Context, linearizable bool) ([]api.Member, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.authenticated(ctx); err != nil {
		return nil, Header{}, err
	}
	if !linearizable {
		return toAPIMembers(s.view.Load().Members), s.header(0), nil
	}
	var members []MemberInfo
	if err := s.afterBarrier(ctx, func(m *Member) { members = m.Members() }); err != nil {
		return nil, Header{}, err
	}
	return toAPIMembers(members), s.header(0), nil
}

func (s *Server) MemberAdd(ctx context.Context, peerURLs []string, learner bool) (api.Member, []api.Member, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return api.Member{}, nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return api.Member{}, nil, Header{}, err
	}
	if len(peerURLs) == 0 {
		return api.Member{}, nil, Header{}, wire.ErrMemberBadURLs
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.AddMember(peerURLs, learner, deadline, done) })
	if err != nil {
		return api.Member{}, nil, Header{}, err
	}
	return toAPIMember(*r.Member), toAPIMembers(r.Members), resultHeader(r, 0), nil
}

func (s *Server) MemberRemove(ctx context.Context, id uint64) ([]api.Member, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.RemoveMember(id, deadline, done) })
	if err != nil {
		return nil, Header{}, err
	}
	return toAPIMembers(r.Members), resultHeader(r, 0), nil
}

func (s *Server) MemberUpdate(ctx context.Context, id uint64, peerURLs []string) ([]api.Member, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.UpdateMember(id, peerURLs, deadline, done) })
	if err != nil {
		return nil, Header{}, err
	}
	return toAPIMembers(r.Members), resultHeader(r, 0), nil
}

// MemberPromote promotes a learner. Only the leader can tell whether the
// learner has caught up, so a follower forwards the request to it. If the
// leader's answer is lost on the way back, the client hears "request timed
// out, possibly due to connection lost", never "no leader": the promotion
// may have happened, and a client that retried it as if it had not would
// be told "can only promote a learner member" about its own success.
func (s *Server) MemberPromote(ctx context.Context, id uint64) ([]api.Member, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	members, err := s.memberPromoteHere(ctx, id)
	if errors.Is(err, wire.ErrNotLeader) {
		var fwd forwardedMembers
		if err := s.forward(ctx, "member/promote", forwardedPromote{ID: id}, &fwd); err != nil {
			return nil, Header{}, forwardError(err)
		}
		return toAPIMembers(fwd.Members), s.header(0), nil
	}
	if err != nil {
		return nil, Header{}, err
	}
	return toAPIMembers(members), s.header(0), nil
}

func (s *Server) memberPromoteHere(ctx context.Context, id uint64) ([]MemberInfo, error) {
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.PromoteMember(id, deadline, done) })
	if err != nil {
		return nil, err
	}
	return r.Members, nil
}

func toAPIMember(m MemberInfo) api.Member {
	return api.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, IsLearner: m.IsLearner}
}

func toAPIMembers(ms []MemberInfo) []api.Member {
	out := make([]api.Member, len(ms))
	for i, m := range ms {
		out[i] = toAPIMember(m)
	}
	return out
}
