package kv

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// lease is a granted lease. id, ttl and the attached keys are replicated
// state: every member has the same. expiry is not: only the leader decides
// when a lease expires (see lease_time.go).
type lease struct {
	id  int64
	ttl int64 // granted TTL in seconds
	// keys attached to the lease: those whose latest version carries its ID.
	keys map[string]struct{}
	// expiry is when the lease runs out, as seen by this member; the zero
	// time means its countdown has not started here.
	expiry time.Time
}

// sortedKeys returns the attached keys in ascending order. Go's map order is
// random; anything that leaves the store must not depend on it.
func (l *lease) sortedKeys() []string {
	keys := make([]string, 0, len(l.keys))
	for k := range l.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// moveLease re-attaches key from lease `from` to lease `to` (0: none).
func (s *Store) moveLease(key []byte, from, to int64) {
	if from == to {
		return
	}
	if l := s.leases[from]; l != nil {
		delete(l.keys, string(key))
	}
	if l := s.leases[to]; l != nil {
		l.keys[string(key)] = struct{}{}
	}
}

// leaseGrant creates a lease; it does not change the revision (as in etcd).
func (s *Store) leaseGrant(r *LeaseGrantRequest) (*LeaseGrantResponse, error) {
	// The checks and their order are etcd's lessor.Grant.
	if r.ID == 0 {
		return nil, ErrLeaseNotFound
	}
	if r.TTL > MaxLeaseTTL {
		return nil, ErrLeaseTTLTooLarge
	}
	if _, ok := s.leases[r.ID]; ok {
		return nil, ErrLeaseExist
	}
	// A TTL shorter than an election could let a lease expire merely because
	// the cluster was choosing a leader; etcd raises it, and so do we.
	ttl := max(r.TTL, s.cfg.MinLeaseTTL)
	s.leases[r.ID] = &lease{id: r.ID, ttl: ttl, keys: map[string]struct{}{}}
	return &LeaseGrantResponse{Header: ResponseHeader{Revision: s.rev}, ID: r.ID, TTL: ttl}, nil
}

// leaseRevoke deletes a lease and its keys. The keys are deleted in one write
// transaction (one revision), in key order so that every member produces the
// same events in the same order.
func (s *Store) leaseRevoke(r *LeaseRevokeRequest) (*LeaseRevokeResponse, error) {
	l := s.leases[r.ID]
	if l == nil {
		return nil, ErrLeaseNotFound
	}
	t := s.beginWrite()
	for _, k := range l.sortedKeys() {
		if ki, ok := s.index.Get([]byte(k)); ok && ki.latest() != nil {
			t.tombstone(ki)
		}
	}
	delete(s.leases, r.ID)
	t.commit()
	return &LeaseRevokeResponse{Header: ResponseHeader{Revision: s.rev}}, nil
}

// Leases lists every lease by ascending ID.
func (s *Store) Leases() *LeaseLeasesResponse {
	s.mu.RLock()
	defer s.mu.RUnlock()
	resp := &LeaseLeasesResponse{Header: ResponseHeader{Revision: s.rev}}
	for id := range s.leases {
		resp.Leases = append(resp.Leases, LeaseStatus{ID: id})
	}
	slices.SortFunc(resp.Leases, func(a, b LeaseStatus) int { return cmp.Compare(a.ID, b.ID) })
	return resp
}
