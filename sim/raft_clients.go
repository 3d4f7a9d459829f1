package sim

import (
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// The raft-level clients: proposals and ReadIndex reads sent to random
// nodes; a read's answer is checked against every write acknowledged
// before it began.

type proposal struct {
	node        int
	incarnation int
}

type readReq struct {
	node        int
	incarnation int
	required    uint64
	index       uint64
	answered    bool
}

func (s *raftSim) propose() {
	n := s.nodes[s.rng.IntN(len(s.nodes))]
	if !n.up {
		return
	}
	s.propSeq++
	data := fmt.Sprintf("p%d", s.propSeq)
	s.res.Stats.Proposals++
	if _, err := n.node.Propose([]byte(data)); err != nil {
		s.res.Stats.ProposalsDropped++
		return
	}
	s.proposed[data] = proposal{node: n.idx, incarnation: n.incarnation}
	if s.healed {
		s.probes = append(s.probes, data)
	}
	s.pump(n)
}

func (s *raftSim) startRead() {
	n := s.nodes[s.rng.IntN(len(s.nodes))]
	if !n.up {
		return
	}
	s.readSeq++
	ctx := fmt.Sprintf("r%d", s.readSeq)
	s.res.Stats.Reads++
	if err := n.node.ReadIndex([]byte(ctx)); err != nil {
		s.res.Stats.ReadsDropped++
		return
	}
	s.reads[ctx] = &readReq{node: n.idx, incarnation: n.incarnation, required: s.check.ackedMax}
	s.pump(n)
}

// readAnswered checks a ReadIndex answer: its index must cover every write
// acknowledged before the read was issued (linearizability, thesis §6.4).
func (s *raftSim) readAnswered(n *simNode, rs raft.ReadIndexResult) {
	r, ok := s.reads[string(rs.RequestCtx)]
	if !ok || r.node != n.idx || r.incarnation != n.incarnation || r.answered {
		return
	}
	if rs.Dropped {
		s.res.Stats.ReadsDropped++
		delete(s.reads, string(rs.RequestCtx))
		return
	}
	if rs.Index < r.required {
		s.check.fail("linearizable read: n%d answered read %s at index %d, but index %d was acknowledged before the read began",
			n.id, rs.RequestCtx, rs.Index, r.required)
		return
	}
	r.answered, r.index = true, rs.Index
	n.waitingRead = append(n.waitingRead, string(rs.RequestCtx))
}

// serveReads answers reads whose index the state machine has reached.
func (s *raftSim) serveReads(n *simNode) {
	kept := n.waitingRead[:0]
	for _, ctx := range n.waitingRead {
		r := s.reads[ctx]
		if n.applied >= r.index {
			s.res.Stats.ReadsServed++
			delete(s.reads, ctx)
			continue
		}
		kept = append(kept, ctx)
	}
	n.waitingRead = kept
}
