package raft

import "errors"

// Log compaction and InstallSnapshot (§7). The caller compacts its Storage
// up to an applied index whenever it likes; when a follower needs entries
// that are gone, the leader sends the latest snapshot instead. The snapshot's
// Data is the state machine's business: raft only carries it.

// sendSnapshot sends Storage's latest snapshot to a peer whose next entries
// were compacted away, and pauses appends to it until the snapshot is
// acknowledged or reported lost (MsgSnapStatus).
func (r *raft) sendSnapshot(to uint64, pr *Progress) bool {
	if !pr.RecentActive {
		// Don't ship a possibly large snapshot to a peer that has not
		// answered lately; wait for a sign of life.
		return false
	}
	snap, err := r.log.snapshot()
	if err != nil {
		if errors.Is(err, ErrSnapshotTemporarilyUnavailable) {
			return false
		}
		r.logf("%x failed to get a snapshot for %x: %v", r.id, to, err)
		return false
	}
	if snap.IsEmpty() {
		r.logf("%x needs to send a snapshot to %x but storage has none", r.id, to)
		return false
	}
	r.logf("%x [first %d, commit %d] sent snapshot %d/%d to %x [%s]",
		r.id, r.log.firstIndex(), r.log.committed, snap.Meta.Index, snap.Meta.Term, to, pr)
	pr.becomeSnapshot(snap.Meta.Index)
	r.send(Message{To: to, Type: MsgSnap, Snapshot: &snap})
	return true
}

// handleSnapshot is the InstallSnapshot receiver (Figure 13).
func (r *raft) handleSnapshot(m Message) {
	if m.Snapshot == nil {
		return
	}
	s := *m.Snapshot
	if r.restore(s) {
		r.logf("%x [commit %d] restored snapshot %d/%d", r.id, r.log.committed, s.Meta.Index, s.Meta.Term)
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.lastIndex()})
		return
	}
	r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
}

// restore installs s unless it is redundant. It reports whether it did.
func (r *raft) restore(s Snapshot) bool {
	if s.Meta.Index <= r.log.committed {
		return false // we already have (and have committed) all of it
	}
	if r.state != StateFollower {
		// Only a follower accepts snapshots; a leader at the same term
		// sending one would be a second leader in the term.
		return false
	}
	// Figure 13 rule 6: "if existing log entry has same index and term as
	// snapshot's last included entry, retain log entries following it and
	// reply". The snapshot tells us nothing new except that those entries
	// are committed.
	if r.log.matchTerm(s.Meta.Index, s.Meta.Term) {
		r.log.commitTo(s.Meta.Index)
		return false
	}
	// Rule 7: "discard the entire log". Keeping entries after a point where
	// our log disagrees with the snapshot would keep conflicting entries —
	// and if we kept even the conflicting entry at the snapshot's own index,
	// we would reject every later append at that point and ask for the
	// snapshot again, forever (hashicorp/raft #697).
	r.log.restore(s)
	r.switchToConfig(s.Meta.ConfState)
	return true
}

// handleSnapshotStatus learns whether a snapshot send finished.
func (r *raft) handleSnapshotStatus(m Message, pr *Progress) {
	if pr.State != ProgressSnapshot {
		return
	}
	if m.Reject {
		// Lost: forget it and probe again, which will ask for a snapshot
		// anew if it is still needed.
		pr.PendingSnapshot = 0
	}
	pr.becomeProbe()
	// Wait for an answer (the snapshot's MsgAppResp) or the next heartbeat
	// before probing, rather than racing the snapshot with an append.
	pr.ProbeSent = true
}
