package sim

import (
	"errors"

	"github.com/raftkv/raftkv/raft"
)

// The raft-level network: messages leave a node, meet their fate (lost,
// delayed, duplicated, cut by a partition: network.go), and are stepped
// into the node they are addressed to.

func (s *raftSim) sendAll(from *simNode, msgs []raft.Message) {
	for _, m := range msgs {
		s.res.Stats.Messages++
		if s.rec != nil {
			s.rec.message(s.now, m)
		}
		if m.Type == raft.MsgVoteResp && !m.Reject {
			s.check.observeGrant(m.From, m.To, m.Term)
			s.lastGrant = voteGrant{voter: m.From, candidate: m.To, term: m.Term}
		}
		to := s.nodeByID(m.To)
		if to == nil {
			continue
		}
		if s.cfg.LoseCurrentTermAppends && !s.healed && m.Type == raft.MsgApp {
			// The adversary of the Figure 8 scenario: entries the sender
			// wrote in its current term are lost on the way; the rest of the
			// message (its consistency check, older entries) arrives.
			for i, e := range m.Entries {
				if e.Term == m.Term {
					m.Entries = m.Entries[:i:i]
					break
				}
			}
		}
		s.msgs = append(s.msgs, m)
		idx := len(s.msgs) - 1
		copies, delays := s.net.fate(s.rng, from.idx, to.idx)
		if copies == 0 {
			s.res.Stats.Dropped++
		}
		for i := range copies {
			s.queue.schedule(event{at: s.now + delays[i], kind: evDeliver, msgIndex: idx})
		}
		if m.Type == raft.MsgSnap {
			s.res.Stats.Snapshots++
			// The transport learns whether the snapshot arrived (node=1) or
			// not; a lost one is reported after a timeout.
			ok, after := 0, 200*Millisecond
			if copies > 0 {
				ok, after = 1, delays[0]
			}
			s.queue.schedule(event{at: s.now + after, kind: evReport, msgIndex: idx, node: ok, incarnation: from.incarnation})
		}
	}
}

func (s *raftSim) deliver(m raft.Message) {
	n := s.nodeByID(m.To)
	if n == nil || !n.up {
		return // the node is down, or that ID was removed from the cluster
	}
	if err := n.node.Step(m); err != nil {
		if errors.Is(err, raft.ErrProposalDropped) {
			return
		}
		s.check.fail("n%d: step %v: %v", n.id, m, err)
		return
	}
	s.pump(n)
}
