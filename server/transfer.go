package server

import "time"

// Leadership transfer on request (etcdctl move-leader), thesis §3.10: the
// leader brings the target's log up to date, then sends it TimeoutNow, and
// the target starts an election at once, which it wins unless its log fell
// behind meanwhile. The raft package does the protocol (raft.Node
// TransferLeader); this file only answers the client, once the target
// leads or the deadline passes.

// transferWaiter is a move-leader request waiting for its target to lead.
type transferWaiter struct {
	target   uint64
	deadline time.Time
	done     func(error)
}

// MoveLeader hands leadership to target, a voting member, and calls done
// when target leads (nil) or at the deadline (ErrTimeoutLeaderTransfer).
// Like etcd, only the leader takes the request: the client asks it.
func (m *Member) MoveLeader(target uint64, deadline time.Time, done func(error)) {
	if !m.IsLeader() {
		done(ErrNotLeader)
		return
	}
	if info, ok := m.cluster.member(target); !ok || info.IsLearner {
		done(ErrBadLeaderTransferee) // a learner may not lead (§4.2.1): it does not vote
		return
	}
	if target == m.id {
		done(nil)
		return
	}
	m.logf("leadership transfer to %x starting (term %d)", target, m.term)
	m.transfers = append(m.transfers, transferWaiter{target: target, deadline: deadline, done: done})
	m.node.TransferLeader(target)
}

// settleTransfers answers the move-leader requests whose target now leads,
// and fails those whose deadline passed.
func (m *Member) settleTransfers(now time.Time) {
	kept := m.transfers[:0]
	for _, w := range m.transfers {
		switch {
		case m.lead == w.target:
			m.logf("leadership transferred to %x (term %d)", w.target, m.term)
			w.done(nil)
		case !now.Before(w.deadline):
			w.done(ErrTimeoutLeaderTransfer)
		default:
			kept = append(kept, w)
		}
	}
	m.transfers = kept
}
