package server

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/raftkv/raftkv/raft"
)

// Linearizable reads go through a read barrier instead of the log (thesis
// §6.4, ReadIndex): the member asks raft for a read index — the leader's
// commit index, confirmed by a heartbeat round — and lets the read proceed
// once it has applied up to that index. Reads are batched: every read that
// arrives while one ReadIndex request is out waits for the next one, so one
// heartbeat round serves them all. Followers do the same; raft forwards
// their request to the leader, and the follower reads its own state once it
// has caught up. Serializable reads skip the barrier and may be stale.

// ReadBarrier calls done (on the member's goroutine) once a read started now
// may be served from this member's store, or with an error. A serializable
// read passes at once.
func (m *Member) ReadBarrier(linearizable bool, deadline time.Time, done func(error)) {
	switch {
	case m.removed:
		done(ErrRemoved)
	case m.fatal != nil:
		done(ErrStopped)
	case !linearizable:
		done(nil)
	default:
		m.reads.queued = append(m.reads.queued, &readWaiter{deadline: deadline, done: done})
	}
}

type readWaiter struct {
	deadline time.Time
	done     func(error)
}

type readBatch struct {
	ctx     []byte
	sentAt  time.Time
	index   uint64
	waiters []*readWaiter
}

// readBarriers are the reads waiting for their barrier: queued for the
// next ReadIndex request, in flight, or answered and waiting for the apply
// index to reach theirs.
type readBarriers struct {
	queued   []*readWaiter // waiting for the next ReadIndex request
	inflight *readBatch    // sent, not answered
	ready    []*readBatch  // answered, waiting for the apply index to reach theirs
}

// start sends a ReadIndex request for the queued reads if none is out.
//
// The request's context is what matches the leader's answer to it, so it
// must never repeat — not even across restarts: an answer to a request of
// this member's previous life can still be on its way, and its index
// predates writes that a read started now must see. Request IDs are unique
// across restarts (ids.go), so the context is one.
func (r *readBarriers) start(m *Member) {
	if r.inflight != nil || len(r.queued) == 0 {
		return
	}
	ctx := binary.BigEndian.AppendUint64(nil, m.ids.Next())
	if err := m.node.ReadIndex(ctx); err != nil {
		return // no leader yet: try again on the next tick or leader change
	}
	r.inflight = &readBatch{ctx: ctx, sentAt: m.env.Clock.Now(), waiters: r.queued}
	r.queued = nil
}

// answered takes raft's ReadIndexResults.
func (r *readBarriers) answered(m *Member, states []raft.ReadIndexResult) {
	for _, rs := range states {
		b := r.inflight
		if b == nil || string(rs.RequestCtx) != string(b.ctx) {
			continue // an answer to a request we already gave up on
		}
		r.inflight = nil
		if rs.Dropped {
			// Leadership changed before the read was confirmed: ask again.
			r.queued = append(b.waiters, r.queued...)
			continue
		}
		b.index = rs.Index
		r.ready = append(r.ready, b)
	}
	r.serve(m)
}

// serve releases the reads whose index has been applied.
func (r *readBarriers) serve(m *Member) {
	kept := r.ready[:0]
	for _, b := range r.ready {
		if b.index > m.applied {
			kept = append(kept, b)
			continue
		}
		for _, w := range b.waiters {
			w.done(nil)
		}
	}
	r.ready = kept
}

// retryLost re-asks for a read index when an answer is overdue: the request
// or its answer may have been lost on the way to or from the leader.
func (r *readBarriers) retryLost(m *Member, now time.Time) {
	if b := r.inflight; b != nil && now.Sub(b.sentAt) > 3*m.cfg.HeartbeatInterval {
		r.inflight = nil
		r.queued = append(b.waiters, r.queued...)
	}
	r.start(m)
}

// expire fails reads whose deadline has passed.
func (r *readBarriers) expire(m *Member, now time.Time) {
	expired := func(w *readWaiter) bool {
		if now.Before(w.deadline) {
			return false
		}
		if m.lead == 0 {
			w.done(ErrNoLeader)
		} else {
			w.done(ErrTimeout)
		}
		return true
	}
	r.queued = slices.DeleteFunc(r.queued, expired)
	if r.inflight != nil {
		r.inflight.waiters = slices.DeleteFunc(r.inflight.waiters, expired)
	}
	for _, b := range r.ready {
		b.waiters = slices.DeleteFunc(b.waiters, expired)
	}
}

func (r *readBarriers) failAll(err error) {
	all := r.queued
	if r.inflight != nil {
		all = append(all, r.inflight.waiters...)
	}
	for _, b := range r.ready {
		all = append(all, b.waiters...)
	}
	*r = readBarriers{}
	for _, w := range all {
		w.done(err)
	}
}
