package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftkv/raftkv/raft"
)

// What the raft-level run observes after each step: role changes (traced,
// and checked for Election Safety and Leader Completeness), monotonic
// commit and term, and the once-a-second status line.

// observeReady checks what a Ready reveals: role changes (traced, and
// leaders checked for Election Safety and Leader Completeness).
func (s *raftSim) observeReady(n *simNode, rd raft.Ready) {
	if rd.SoftState == nil {
		// A candidate whose election timed out campaigns again in a new
		// term: its role and leader (the SoftState) are unchanged, only
		// its HardState (a new term, its vote for itself) shows it. The
		// storage still holds the HardState of the previous Ready.
		if n.role == raft.StateCandidate && rd.HardState.Vote == n.id {
			if hs, _, _ := n.storage.InitialState(); rd.HardState.Term > hs.Term {
				s.tracef("n%d became candidate (term %d)", n.id, rd.HardState.Term)
			}
		}
		return
	}
	st := n.node.Status()
	if rd.SoftState.State == raft.StateLeader {
		s.check.observeLeader(n.id, st.Term)
		if n.wasLeaderIn != st.Term {
			n.wasLeaderIn = st.Term
			s.res.Stats.Elections++
			s.tracef("n%d became leader at term %d", n.id, st.Term)
			s.checkCompleteness(n, st.Term, rd.Entries)
		}
		n.role = raft.StateLeader
		return
	}
	switch {
	case n.role == raft.StateLeader:
		s.tracef("n%d stepped down at term %d (now %s)", n.id, st.Term, rd.SoftState.State)
	case rd.SoftState.State != n.role && rd.SoftState.State != raft.StateFollower:
		s.tracef("n%d became %s (term %d)", n.id, rd.SoftState.State, st.Term)
	}
	n.role = rd.SoftState.State
}

func (s *raftSim) checkCompleteness(n *simNode, term uint64, unstable []raft.Entry) {
	first, _ := n.storage.FirstIndex()
	last, _ := n.storage.LastIndex()
	termAt := func(i uint64) (uint64, bool) {
		if len(unstable) > 0 && i >= unstable[0].Index {
			if j := i - unstable[0].Index; j < uint64(len(unstable)) {
				return unstable[j].Term, true
			}
			return 0, false
		}
		t, err := n.storage.Term(i)
		return t, err == nil
	}
	if k := len(unstable); k > 0 {
		last = unstable[k-1].Index
	}
	s.check.checkLeaderCompleteness(n.id, term, first, last, termAt)
}

// observeStatus checks monotonic commit/apply and records leader commits.
func (s *raftSim) observeStatus(n *simNode) {
	if !n.up {
		return
	}
	st := n.node.Status()
	if st.Commit < n.lastCommit {
		s.check.fail("n%d commit index went back from %d to %d", n.id, n.lastCommit, st.Commit)
	}
	if st.Term < n.lastTerm {
		s.check.fail("n%d term went back from %d to %d", n.id, n.lastTerm, st.Term)
	}
	n.lastCommit, n.lastTerm = st.Commit, st.Term
	s.res.Stats.MaxTerm = max(s.res.Stats.MaxTerm, int(st.Term))
	if st.State == raft.StateLeader && st.Commit > s.check.maxCommitted {
		s.check.observeLeaderCommit(st.Term, st.Commit, func(i uint64) (uint64, bool) {
			t, err := n.storage.Term(i)
			return t, err == nil
		})
	}
}

func (s *raftSim) sample() {
	if s.cfg.Trace == 0 {
		return
	}
	var parts []string
	for _, n := range s.nodes {
		if !n.up {
			parts = append(parts, fmt.Sprintf("n%d:down", n.id))
			continue
		}
		st := n.node.Status()
		parts = append(parts, fmt.Sprintf("n%d:%s/t%d/c%d/a%d", n.id, shortRole(st), st.Term, st.Commit, n.applied))
	}
	s.tracef("%s", strings.Join(parts, " "))
}

// shortRole is a node's letter in the status lines: L leader, F follower,
// P pre-candidate, C candidate, l learner (a non-voting member, always a
// follower).
func shortRole(st raft.Status) string {
	switch st.State {
	case raft.StateLeader:
		return "L"
	case raft.StateCandidate:
		return "C"
	case raft.StatePreCandidate:
		return "P"
	}
	if slices.Contains(st.Config.Learners, st.ID) {
		return "l"
	}
	return "F"
}
