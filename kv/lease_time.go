package kv

import (
	"cmp"
	"slices"
	"time"
)

// Lease time is not replicated state. Which leases exist, their TTLs and their
// keys are decided by Apply, identically on every member; *when* a lease runs
// out is decided by the leader alone, from its own clock, which kv never
// reads: the caller passes "now" in. The leader then proposes a LeaseRevoke
// through raft, and every member deletes the keys at the same point of the
// log. (etcd works the same way; its followers keep leases "forever".)
//
// On this member a lease's countdown starts at the first of these calls that
// sees it after it was granted (a leader calls ExpiredLeases every tick, so
// that is within one tick of the grant), and restarts on LeaseRenew. A member
// that becomes leader calls ResetLeaseExpiries: the countdown of every lease
// starts again from a full TTL, so that no lease expires early because the
// old leader's clock and renewals were lost with it. None of this enters
// Hash or Snapshot.

// ExpiredLeases returns the IDs of the leases whose TTL has run out at now,
// oldest expiry first (ties by ID). The caller proposes their revocation; a
// lease stays in the list until the revoke is applied.
func (s *Store) ExpiredLeases(now time.Time) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var expired []*lease
	for _, l := range s.leases {
		l.startCountdown(now)
		if !now.Before(l.expiry) {
			expired = append(expired, l)
		}
	}
	slices.SortFunc(expired, func(a, b *lease) int {
		if c := a.expiry.Compare(b.expiry); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	ids := make([]int64, len(expired))
	for i, l := range expired {
		ids[i] = l.id
	}
	return ids
}

// ResetLeaseExpiries restarts every lease's countdown at now with its full TTL.
func (s *Store) ResetLeaseExpiries(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.leases {
		l.expiry = now.Add(ttlDuration(l.ttl))
	}
}

// LeaseRenew is a keep-alive: the lease's countdown restarts at now. A lease
// that has already run out cannot be renewed (its revoke is on its way), and
// gets ErrLeaseNotFound like a lease that is gone.
func (s *Store) LeaseRenew(id int64, now time.Time) (*LeaseKeepAliveResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[id]
	if l == nil || (!l.expiry.IsZero() && !now.Before(l.expiry)) {
		return nil, ErrLeaseNotFound
	}
	l.expiry = now.Add(ttlDuration(l.ttl))
	return &LeaseKeepAliveResponse{Header: ResponseHeader{Revision: s.rev}, ID: id, TTL: l.ttl}, nil
}

// LeaseTimeToLive reports a lease's granted and remaining TTL (in whole
// seconds, rounded down, as etcd) at now, and optionally its keys in
// ascending order. A lease that does not exist gets TTL -1, as in etcd.
func (s *Store) LeaseTimeToLive(r *LeaseTimeToLiveRequest, now time.Time) *LeaseTimeToLiveResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &LeaseTimeToLiveResponse{Header: ResponseHeader{Revision: s.rev}, ID: r.ID, TTL: -1}
	l := s.leases[r.ID]
	if l == nil {
		return resp
	}
	l.startCountdown(now)
	resp.GrantedTTL = l.ttl
	resp.TTL = max(int64(l.expiry.Sub(now).Seconds()), 0)
	if r.Keys {
		for _, k := range l.sortedKeys() {
			resp.Keys = append(resp.Keys, []byte(k))
		}
	}
	return resp
}

// startCountdown starts l's countdown at now if it has not started on this member.
func (l *lease) startCountdown(now time.Time) {
	if l.expiry.IsZero() {
		l.expiry = now.Add(ttlDuration(l.ttl))
	}
}

// ttlDuration converts a TTL in seconds to a Duration. MaxLeaseTTL seconds
// just fits in a Duration; saturating anyway means no TTL can overflow.
func ttlDuration(ttl int64) time.Duration {
	const maxSeconds = int64(1<<63-1) / int64(time.Second)
	return time.Duration(min(ttl, maxSeconds)) * time.Second
}
