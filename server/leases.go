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
// A renewal can be ahead of a revocation in the log and yet have been on
// its way when the leader decided the lease had expired: the decision did
// not see it. Such a renewal must be answered "lease not found", or the
// client would hear "renewed" about a lease that the revocation right
// behind it deletes. The member-level simulator found this twice (its regression scripts
// re-elected-leader-refuses-a-renewal-ahead-of-its-revocation and
// every-renewal-ahead-of-a-revocation-is-refused stage it): a leader found a lease expired, stepped down, won again —
// which restarts every countdown — and renewed the lease before revoking
// it, in that order. So:
//
//   - revoking remembers, for each lease this member decided to revoke,
//     where in the log the revocation went, across leadership changes, until
//     it is applied or overwritten; a renewal applied before that index is
//     answered "not found" (applyRenewal);
//   - a revocation is proposed only while this member leads, at once or
//     never: parked until some later leader, it would revoke a lease that
//     leader may have renewed meanwhile.

type leaseState struct {
	revoking map[int64]revocation
}

// revocation is a revocation this member proposed.
type revocation struct {
	at    time.Time // when it was proposed (to propose again if it is lost)
	index uint64    // where the log placed it
}

func (l *leaseState) init() { l.revoking = map[int64]revocation{} }

// revokeRetryAfter is how long a proposed revoke may take before it is
// proposed again (it may have been lost to a leader change).
const revokeRetryAfter = 2 * time.Second

func (m *Member) revokeExpiredLeases(now time.Time) {
	for _, id := range m.store.ExpiredLeases(now) {
		if r, ok := m.leases.revoking[id]; ok && (now.Sub(r.at) < revokeRetryAfter || r.index > m.applied) {
			continue
		}
		p := m.writeSystem(&kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: id}}, now.Add(revokeRetryAfter), func(r Result) {
			if r.Err == nil {
				m.stats.LeasesExpired++
			}
		})
		if p == nil || p.stalled {
			if p != nil {
				m.finish(p, Result{Err: ErrNotLeader}) // not leading after all (this tick stepped down)
			}
			continue
		}
		m.leases.revoking[id] = revocation{at: now, index: p.index}
		m.logf("lease %x expired; revoking it", id)
	}
}

// settleRevocations forgets revocations that the log has passed: applied
// (the lease is gone) or overwritten by another leader (the lease lives).
func (m *Member) settleRevocations() {
	for id, r := range m.leases.revoking {
		if r.index <= m.applied {
			delete(m.leases.revoking, id)
		}
	}
}

// applyRenewal applies a keep-alive at log index index: every member
// restarts the lease's countdown; the answer (for the member that proposed
// it) is "renewed" only if no revocation this member decided on comes
// after it in the log.
func (m *Member) applyRenewal(id int64, index uint64) (*kv.LeaseKeepAliveResponse, error) {
	resp, err := m.store.LeaseRenew(id, m.env.Clock.Now())
	if r, ok := m.leases.revoking[id]; ok && index < r.index && err == nil {
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
