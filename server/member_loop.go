package server

// The member loop: what a driver calls, one call at a time — Tick for each
// heartbeat interval, Step for each message from a peer, the request
// methods (api.go), and Process after them — and what Process does with
// what raft hands back. This is the loop the book teaches (docs/member.md);
// production drives it from one goroutine (run.go's Server.loop), the
// simulator from its event queue (package sim).

import (
	"fmt"
	"time"

	"github.com/raftkv/raftkv/raft"
)

// Tick advances the member's clock by one heartbeat interval.
func (m *Member) Tick() {
	if m.fatal != nil || m.removed || m.debug.paused {
		return
	}
	m.node.Tick()
	now := m.env.Clock.Now()
	m.expireDeadlines(now)
	m.settleTransfers(now)
	m.retryStalled(now)
	m.reads.retryLost(m, now)
	if m.IsLeader() {
		m.revokeExpiredLeases(now)
	}
	m.autoCompact(now)
	m.maybePublishAttributes(now)
	m.expireTokens(now)
}

// AdvanceElectionTicks moves a freshly started member's election clock
// almost to its timeout, so the first election comes within one randomized
// tick range instead of a whole timeout later (etcd's
// --initial-election-tick-advance).
func (m *Member) AdvanceElectionTicks() {
	for range m.cfg.ElectionTicks() - 1 {
		m.node.Tick()
	}
}

// Step delivers a message from a peer.
func (m *Member) Step(msg raft.Message) {
	if m.fatal != nil || m.removed || m.debug.isolated {
		return
	}
	m.noteMessage(msg, false)
	m.maybeRediscover(msg.From)
	if err := m.node.Step(msg); err != nil {
		m.logf("ignored %s from %x: %v", msg.Type, msg.From, err)
	}
}

// ReportUnreachable and ReportSnapshot pass the transport's observations to raft.
func (m *Member) ReportUnreachable(id uint64) { m.node.ReportUnreachable(id) }

// ReportSnapshot tells raft whether a snapshot reached a follower.
func (m *Member) ReportSnapshot(id uint64, delivered bool) { m.node.ReportSnapshot(id, delivered) }

// Process does everything raft asks for until it asks for nothing: this is
// the member loop, one Ready at a time —
//
//	send what may go now → write the WAL (one fsync per Ready) → send what
//	had to wait → apply committed entries → answer waiting requests → Advance
//
// An error means the member's disk failed it; the member stops (a WAL whose
// write or fsync failed cannot be trusted to hold what it said it held).
func (m *Member) Process() error {
	if m.fatal != nil {
		return m.fatal
	}
	m.reads.start(m)
	for m.node.HasReady() {
		if err := m.handleReady(m.node.Ready()); err != nil {
			m.fatal = err
			m.logf("stopping: %v", err)
			m.failAllWaiting(ErrStopped)
			return err
		}
		m.reads.start(m)
	}
	return nil
}

func (m *Member) handleReady(rd raft.Ready) error {
	if rd.SoftState != nil {
		m.onSoftState(*rd.SoftState)
	}
	// A leader's appends travel while its own disk writes (thesis §10.2.1).
	m.send(rd.Messages)
	if !rd.Snapshot.IsEmpty() {
		m.applyingSnapshot.Store(true)
		defer m.applyingSnapshot.Store(false)
		if err := m.saveIncomingSnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	start := m.env.Clock.Now()
	if err := m.wal.Save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
		return fmt.Errorf("server: write WAL: %w", err)
	}
	if rd.MustSync {
		m.stats.Fsync.observe(m.env.Clock.Now().Sub(start))
	}
	m.stats.WALBytes = m.wal.BytesWritten()
	if !rd.HardState.IsEmpty() {
		_ = m.storage.SetHardState(rd.HardState)
		m.term = rd.HardState.Term
		m.stats.Committed = rd.HardState.Commit
	}
	if !rd.Snapshot.IsEmpty() {
		if err := m.applyIncomingSnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	if err := m.storage.Append(rd.Entries); err != nil {
		return fmt.Errorf("server: append to the in-memory log: %w", err)
	}
	// Vote grants and append acknowledgements promise durability: only now.
	m.send(rd.MessagesAfterPersist)
	m.applyEntries(rd.CommittedEntries)
	m.reads.answered(m, rd.ReadIndexResults)
	m.node.Advance(rd)
	return m.maybeSnapshot()
}

func (m *Member) onSoftState(ss raft.SoftState) {
	now := m.env.Clock.Now()
	wasLeader := m.IsLeader()
	if ss.Lead != m.lead {
		if ss.Lead != 0 {
			m.stats.LeaderChanges++
		}
		switch {
		case ss.Lead == m.id:
			m.logf("became leader at term %d", m.node.Status().Term)
		case ss.Lead == 0:
			m.logf("lost the leader at term %d (%s)", m.node.Status().Term, ss.State)
		default:
			m.logf("following leader %x at term %d", ss.Lead, m.node.Status().Term)
		}
	}
	// A new leader is known: whatever was forwarded to another one may have
	// died with it. After a crash the leader is first forgotten (PreVote
	// needs that) and only then replaced, so compare with the leader each
	// request went to, not with the one known a moment ago.
	if ss.Lead != 0 && ss.Lead != m.lead {
		m.failForwardedProposals(ss.Lead)
	}
	m.lead = ss.Lead
	m.term = m.node.Status().Term
	if m.IsLeader() && !wasLeader {
		// No lease may expire early because of the election: the old
		// leader's countdowns (and the keep-alives it saw) are lost with it,
		// so every lease starts a full TTL again (etcd does the same) —
		// except that revocations this member decided on still stand
		// (leases.go).
		m.store.ResetLeaseExpiries(now)
		// An earlier term's heartbeats say nothing about this one's pace.
		m.heartbeats.reset()
	}
	if ss.Lead != 0 {
		m.retryStalled(now)
	}
	m.settleTransfers(now)
	if m.env.LeaderChanged != nil {
		m.env.LeaderChanged()
	}
}

// stalledRetryEvery is how often a request that could not be proposed (no
// leader) is tried again.
const stalledRetryEvery = 100 * time.Millisecond
