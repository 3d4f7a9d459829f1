package server

import (
	"time"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
)

// Stats counts what a member has done. The member keeps it in plain fields:
// the simulator drives the same Member as a Server does, and the member
// knows nothing of Prometheus. A Server publishes a copy after every step
// (memberView) and its collector turns that copy into etcd's metric
// families when /metrics is read (metrics.go). Stats holds no pointers,
// maps or slices, so a copy shares nothing with the member.
type Stats struct {
	// LeaderChanges counts the times this member learned of a new leader;
	// losing one is not a change (etcd_server_leader_changes_seen_total).
	LeaderChanges int
	// Committed is the commit index of the last hard state persisted.
	Committed uint64
	// Applied counts the entries applied since the member started.
	Applied          uint64
	ProposalsPending int
	ProposalsFailed  int
	Snapshots        int

	// Fsync times each Ready's WAL write and fsync together: wal.Save
	// writes the batch with one system call into the page cache and then
	// syncs, so the fsync is nearly all of it.
	Fsync DurationHistogram
	// WALBytes is the WAL's BytesWritten after the last Ready.
	WALBytes uint64
	// Apply times applying each Ready's committed entries. etcd's nearest
	// quantity is its backend commit; raftkv's state machine lives in
	// memory and has no commit to disk, so this is what the state machine
	// costs per batch.
	Apply DurationHistogram
	// SlowApplies counts entries whose apply took longer than
	// slowApplyDuration.
	SlowApplies uint64
	// HeartbeatSendFailures counts heartbeats this leader sent to a
	// follower more than two heartbeat intervals after the previous one:
	// the member loop fell behind (a slow disk, an overloaded machine).
	HeartbeatSendFailures uint64

	// What the applied key-value requests did, counted as etcd's MVCC
	// layer counts them: every put, delete and range executed (those inside
	// a transaction too); a transaction of more than one of them is one
	// Txn. PutBytes adds up the keys and values put.
	Puts, Deletes, Ranges, Txns uint64
	PutBytes                    uint64
	// Leases granted and revoked by applied entries, renewals this member
	// applied while leading, and revocations this leader decided because a
	// lease ran out.
	LeasesGranted, LeasesRevoked, LeasesRenewed, LeasesExpired uint64
}

// Stats returns a copy of the member's counters.
func (m *Member) Stats() Stats { return m.stats }

// ApplyingSnapshot reports whether the member is installing a snapshot
// sent by the leader right now. Unlike Stats it may be called from any
// goroutine: the member loop is busy while it installs one, so nothing it
// publishes between steps can show it.
func (m *Member) ApplyingSnapshot() bool { return m.applyingSnapshot.Load() }

// diskLatencyBounds are the upper bounds of etcd's disk latency buckets
// (its WAL fsync and backend commit histograms): 1 ms doubling to 8.192 s.
var diskLatencyBounds = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond,
	16 * time.Millisecond, 32 * time.Millisecond, 64 * time.Millisecond, 128 * time.Millisecond,
	256 * time.Millisecond, 512 * time.Millisecond, 1024 * time.Millisecond, 2048 * time.Millisecond,
	4096 * time.Millisecond, 8192 * time.Millisecond,
}

// DurationHistogram counts durations into diskLatencyBounds the way a
// Prometheus histogram does, in an array so that copying it copies it.
type DurationHistogram struct {
	// Counts holds one count per bucket, not cumulative: Counts[i] counts
	// durations above diskLatencyBounds[i-1] and at most
	// diskLatencyBounds[i]; the last counts those above every bound.
	Counts [len(diskLatencyBounds) + 1]uint64
	Sum    time.Duration
	Count  uint64
}

func (h *DurationHistogram) observe(d time.Duration) {
	i := 0
	for i < len(diskLatencyBounds) && d > diskLatencyBounds[i] {
		i++
	}
	h.Counts[i]++
	h.Sum += d
	h.Count++
}

// slowApplyDuration is etcd's default --warning-apply-duration: an entry
// whose apply takes longer is counted in SlowApplies.
const slowApplyDuration = 100 * time.Millisecond

// countApplied counts what an applied key-value request did.
func (s *Stats) countApplied(req *kv.Request, resp *kv.Response) {
	switch {
	case req.Put != nil:
		s.Puts++
		s.PutBytes += uint64(len(req.Put.Key) + len(req.Put.Value))
	case req.DeleteRange != nil:
		s.Deletes++
	case req.Txn != nil && resp.Txn != nil:
		// etcd counts a transaction only if it did more than one thing.
		if s.countTxnOps(req.Txn, resp.Txn) > 1 {
			s.Txns++
		}
	case req.LeaseGrant != nil:
		s.LeasesGranted++
	case req.LeaseRevoke != nil:
		s.LeasesRevoked++
	}
}

// countTxnOps counts the operations of the branch that ran, nested
// transactions' included, and returns how many there were.
func (s *Stats) countTxnOps(req *kv.TxnRequest, resp *kv.TxnResponse) int {
	ops := req.Failure
	if resp.Succeeded {
		ops = req.Success
	}
	n := 0
	for i := range ops {
		switch op := &ops[i]; {
		case op.Range != nil:
			s.Ranges++
			n++
		case op.Put != nil:
			s.Puts++
			s.PutBytes += uint64(len(op.Put.Key) + len(op.Put.Value))
			n++
		case op.DeleteRange != nil:
			s.Deletes++
			n++
		case op.Txn != nil && i < len(resp.Responses) && resp.Responses[i].Txn != nil:
			n += s.countTxnOps(op.Txn, resp.Responses[i].Txn)
		}
	}
	return n
}

// heartbeatWatch is etcd's check that a leader keeps its heartbeats on
// time: a heartbeat to a follower that leaves more than two heartbeat
// intervals since the previous one means the member loop was held up.
type heartbeatWatch struct {
	last map[uint64]time.Time // per follower, when the last heartbeat went
}

// reset forgets the previous term's heartbeats (on becoming leader).
func (h *heartbeatWatch) reset() { clear(h.last) }

// noteHeartbeatsSent records the heartbeats among msgs and counts the late ones.
func (m *Member) noteHeartbeatsSent(msgs []raft.Message) {
	var now time.Time
	for i := range msgs {
		if msgs[i].Type != raft.MsgHeartbeat {
			continue
		}
		if now.IsZero() {
			now = m.env.Clock.Now()
		}
		if m.heartbeats.last == nil {
			m.heartbeats.last = map[uint64]time.Time{}
		}
		to := msgs[i].To
		if last, ok := m.heartbeats.last[to]; ok && now.Sub(last) > 2*m.cfg.HeartbeatInterval {
			m.stats.HeartbeatSendFailures++
		}
		m.heartbeats.last[to] = now
	}
}

// countRanges counts the ranges a read-only transaction evaluated.
func countRanges(req *kv.TxnRequest, resp *kv.TxnResponse) int {
	var s Stats
	s.countTxnOps(req, resp)
	return int(s.Ranges)
}
