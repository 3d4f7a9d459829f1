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

type leaseState struct {
	// revoking remembers revocations proposed recently, so a lease is not
	// revoked twice while the first revoke is on its way through the log.
	revoking map[int64]time.Time
}

func (l *leaseState) init()  { l.revoking = map[int64]time.Time{} }
func (l *leaseState) reset() { l.revoking = map[int64]time.Time{} }

// revokeRetryAfter is how long a proposed revoke may take before it is
// proposed again (it may have been lost to a leader change).
const revokeRetryAfter = 2 * time.Second

func (m *Member) revokeExpiredLeases(now time.Time) {
	for _, id := range m.store.ExpiredLeases(now) {
		if at, ok := m.leases.revoking[id]; ok && now.Sub(at) < revokeRetryAfter {
			continue
		}
		m.leases.revoking[id] = now
		payload, err := (&kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: id}}).Marshal()
		if err != nil {
			continue
		}
		m.logf("lease %x expired; revoking it", id)
		m.propose(kindKV, payload, now.Add(revokeRetryAfter), func(Result) {})
	}
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
