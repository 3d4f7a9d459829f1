package server

import (
	"context"
	"errors"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// The Lease service. Grants and revocations are writes. Renewals and
// time-to-live questions are the leader's to answer (leases.go); a follower
// forwards them (forward.go) and answers with its own header, as etcd's
// followers do.

func (s *Server) LeaseGrant(ctx context.Context, req *kv.LeaseGrantRequest) (*kv.LeaseGrantResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.authenticated(ctx); err != nil {
		return nil, Header{}, err
	}
	r, err := s.write(ctx, &kv.Request{LeaseGrant: req})
	if err != nil {
		return nil, Header{}, err
	}
	return r.KV.LeaseGrant, resultHeader(r, r.KV.LeaseGrant.Header.Revision), nil
}

func (s *Server) LeaseRevoke(ctx context.Context, id int64) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	r, err := s.write(ctx, &kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: id}})
	if err != nil {
		return Header{}, err
	}
	return resultHeader(r, r.KV.LeaseRevoke.Header.Revision), nil
}

// LeaseKeepAlive renews a lease here if this member leads, else at the
// leader. A lease that is gone is answered, as etcd answers it, with TTL 0.
func (s *Server) LeaseKeepAlive(ctx context.Context, id int64) (*kv.LeaseKeepAliveResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	c, err := s.authenticated(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	if err := s.checkLeaseKeys(c, []int64{id}, auth.Write); err != nil {
		return nil, Header{}, err
	}
	resp, err := s.leaseKeepAliveHere(ctx, id)
	if errors.Is(err, wire.ErrNotLeader) {
		var fwd forwardedKeepAlive
		err = s.forward(ctx, "lease/keepalive", forwardedLease{ID: id}, &fwd)
		if err == nil {
			return &kv.LeaseKeepAliveResponse{ID: id, TTL: fwd.TTL}, s.header(s.member.Store().Rev()), nil
		}
		err = forwardError(err)
	}
	switch {
	case errors.Is(err, wire.ErrLeaseNotFound):
		return &kv.LeaseKeepAliveResponse{ID: id}, s.header(s.member.Store().Rev()), nil
	case err != nil:
		return nil, Header{}, err
	}
	return resp, s.header(resp.Header.Revision), nil
}

// leaseKeepAliveHere renews a lease on this member, which must lead.
func (s *Server) leaseKeepAliveHere(ctx context.Context, id int64) (*kv.LeaseKeepAliveResponse, error) {
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.KeepAlive(id, deadline, done) })
	if err != nil {
		return nil, err
	}
	return r.Renew, nil
}

// LeaseTimeToLive asks the leader: every member counts a lease down, but
// only the leader's countdown decides when it expires, and a follower's may
// be behind or ahead of it by the time a renewal took to reach it.
func (s *Server) LeaseTimeToLive(ctx context.Context, req *kv.LeaseTimeToLiveRequest) (*kv.LeaseTimeToLiveResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	c, err := s.authenticated(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	if req.Keys {
		if err := s.checkLeaseKeys(c, []int64{req.ID}, auth.Read); err != nil {
			return nil, Header{}, err
		}
	}
	if v := s.view.Load(); v.Lead != v.ID {
		var fwd forwardedTimeToLive
		if err := s.forward(ctx, "lease/timetolive", forwardedLease{ID: req.ID, Keys: req.Keys}, &fwd); err != nil {
			return nil, Header{}, forwardError(err)
		}
		resp := &kv.LeaseTimeToLiveResponse{ID: req.ID, TTL: fwd.TTL, GrantedTTL: fwd.GrantedTTL, Keys: fwd.Keys}
		return resp, s.header(s.member.Store().Rev()), nil
	}
	resp, err := s.leaseTimeToLiveHere(ctx, req.ID, req.Keys)
	if err != nil {
		return nil, Header{}, err
	}
	return resp, s.header(resp.Header.Revision), nil
}

// leaseTimeToLiveHere answers from this member's countdown, once it has
// applied everything committed (a grant just acknowledged is known).
func (s *Server) leaseTimeToLiveHere(ctx context.Context, id int64, keys bool) (*kv.LeaseTimeToLiveResponse, error) {
	if v := s.view.Load(); v.Lead != v.ID {
		return nil, wire.ErrNotLeader
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, err
	}
	return s.member.Store().LeaseTimeToLive(&kv.LeaseTimeToLiveRequest{ID: id, Keys: keys}, time.Now()), nil
}

func (s *Server) LeaseLeases(ctx context.Context) (*kv.LeaseLeasesResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	c, err := s.authenticated(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, Header{}, err
	}
	r := s.member.Store().Leases()
	ids := make([]int64, len(r.Leases))
	for i, l := range r.Leases {
		ids[i] = l.ID
	}
	if err := s.checkLeaseKeys(c, ids, auth.Read); err != nil {
		return nil, Header{}, err
	}
	return r, s.header(r.Header.Revision), nil
}

// forwardError is what a client hears when a forward failed: a forward
// that never left, or that reached a member that no longer leads, means no
// leader could be asked (and nothing happened).
func forwardError(err error) error {
	if errors.Is(err, errNotSent) || errors.Is(err, wire.ErrNotLeader) {
		return wire.ErrNoLeader
	}
	return toError(err)
}
