package server

import (
	"slices"
	"time"

	"github.com/raftkv/raftkv/kv"
)

// Leases. Which leases exist, their TTLs and their keys are replicated
// state, changed only by applying entries. When a lease runs out is not: the
// leader decides from its own clock and proposes the revocation, so every
// member deletes the lease's keys at the same point of the log. A member
// that becomes leader restarts every countdown from a full TTL (onSoftState)
// — an election must never make a lease expire early.

//
// A revocation this member proposed may still be in the log when a renewal
// that was sent before it is applied — the leader's decision did not see
// that renewal, which was still on its way. Such a renewal must be
// answered "lease not found", or the client would hear "renewed" about a
// lease that the revocation right behind it deletes (the member-level
// simulator found this, sim seed 302: a leader found a lease expired,
// stepped down, won again — which restarts every countdown — and then
// renewed the lease and revoked it, in that order). So:
//
//   - revoking remembers the leases this member decided to revoke, across
//     leadership changes, until a renewal is applied (the lease lives on)
//     or the lease is gone; a renewal of one of them is answered "not
//     found" (applyRenewal);
//   - a revocation is proposed only while this member leads, at once or
//     never: parked until some later leader, it would revoke a lease that
//     leader may have renewed meanwhile.

type leaseState struct {
	// revoking: leases this member decided to revoke, and when.
	revoking map[int64]time.Time
}

func (l *leaseState) init() { l.revoking = map[int64]time.Time{} }

// revokeRetryAfter is how long a proposed revoke may take before it is
// proposed again (it may have been lost to a leader change).
const revokeRetryAfter = 2 * time.Second

func (m *Member) revokeExpiredLeases(now time.Time) {
	for id := range m.leases.revoking {
		if m.store.LeaseTimeToLive(&kv.LeaseTimeToLiveRequest{ID: id}, now).TTL < 0 {
			delete(m.leases.revoking, id) // revoked: nothing left to protect
		}
	}
	for _, id := range m.store.ExpiredLeases(now) {
		if at, ok := m.leases.revoking[id]; ok && now.Sub(at) < revokeRetryAfter {
			continue
		}
		payload, err := (&kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: id}}).Marshal()
		if err != nil {
			continue
		}
		p := m.propose(kindKV, payload, now.Add(revokeRetryAfter), func(Result) {})
		if p != nil && p.stalled {
			m.finish(p, Result{Err: ErrNotLeader}) // not leading after all (this tick stepped down)
			continue
		}
		m.leases.revoking[id] = now
		m.logf("lease %x expired; revoking it", id)
	}
}

// applyRenewal applies a keep-alive: every member restarts the lease's
// countdown; the answer (for the member that proposed it) is "renewed"
// only if this member had not decided to revoke the lease.
func (m *Member) applyRenewal(id int64) (*kv.LeaseKeepAliveResponse, error) {
	now := m.env.Clock.Now()
	_, revoking := m.leases.revoking[id]
	resp, err := m.store.LeaseRenew(id, now)
	if m.store.LeaseTimeToLive(&kv.LeaseTimeToLiveRequest{ID: id}, now).TTL >= 0 {
		// The lease still exists, so the decision to revoke it is
		// settled: the revocation, if it reached the log, comes after
		// this renewal and answers for itself.
		delete(m.leases.revoking, id)
	}
	if revoking && err == nil {
		return nil, kv.ErrLeaseNotFound
	}
	return resp, err
}

// maybePublishAttributes proposes this member's name and client URLs until
// they are in the replicated membership (clients find members through them).
func (m *Member) maybePublishAttributes(now time.Time) {
	if m.attributesPublished || m.lead == 0 {
		return
	}
	if info, ok := m.cluster.member(m.id); ok && info.Name == m.cfg.Name && slices.Equal(info.ClientURLs, m.cfg.AdvertiseClientURLs) {
		m.attributesPublished = true
		return
	}
	if p := m.attributesProposal; p != nil && m.waiting[p.id] == p {
		return // one is on its way
	}
	m.attributesProposal = m.propose(kindMemberAttributes, m.attributesEntry(), now.Add(5*time.Second), func(Result) {})
}
