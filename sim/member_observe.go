package sim

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/server"
)

// The checks below run while the simulation runs, on what a member shows
// from outside after each step (its raft status, applied index, store
// revision and hash) and on the messages it sends. A member's raft log is
// not visible from outside, so Log Matching and Leader Completeness are
// left to the raft-level simulation (raft_*.go), which sees the logs; here
// the state machines themselves are compared, which is what a client
// would notice if those properties failed.
type observer struct {
	// leaderOfTerm: Election Safety, at most one leader per term.
	leaderOfTerm map[uint64]uint64
	// grants maps (voter, term) to the candidate it voted for: a vote,
	// once sent, is never given to another candidate in that term — even
	// by a member that crashed and restarted in between.
	grants map[[2]uint64]uint64
	// appliedRev[i] is the store revision of the first member seen at
	// applied index i; every member must have the same revision there.
	appliedRev []int64
	// appliedHash maps an applied index to the store hash and membership
	// of the first member sampled there (State Machine Safety).
	appliedHash map[uint64]sampledState
	// revSeen[r] is when revision r was first seen applied on any member:
	// the moment a write (or a lease revocation) took effect.
	revSeen []Time
	// writeOutcomes maps the index of a key-value write entry to what the
	// first member that applied it decided (checkWriteOutcome).
	writeOutcomes map[uint64]writeOutcome
}

// writeOutcome is what a member decided when it applied a write entry.
type writeOutcome struct {
	member  string
	caller  auth.Caller
	refusal string // why it was refused; empty if it took effect
}

func (o writeOutcome) String() string {
	if o.refusal == "" {
		return "took effect on " + o.member
	}
	return fmt.Sprintf("was refused on %s (%s)", o.member, o.refusal)
}

type sampledState struct {
	member  string
	kvHash  uint32
	members uint64
}

// lifeObs is what was seen of one life of one member: within a life commit,
// apply and term never go back.
type lifeObs struct {
	commit, applied, term uint64
}

func (o *observer) init() {
	o.leaderOfTerm = map[uint64]uint64{}
	o.grants = map[[2]uint64]uint64{}
	o.appliedHash = map[uint64]sampledState{}
	o.writeOutcomes = map[uint64]writeOutcome{}
	o.revSeen = []Time{0, 0} // revision 1 is the empty store
}

func (o *observer) grant(s *memberSim, voter, candidate, term uint64) {
	key := [2]uint64{voter, term}
	if prev, ok := o.grants[key]; ok && prev != candidate {
		s.fail("vote safety: member %x voted for %x in term %d after voting for %x", voter, candidate, term, prev)
		return
	}
	o.grants[key] = candidate
}

// observe checks one member after a step; end is the virtual time at which
// the step's work (its fsyncs included) was done.
func (s *memberSim) observe(sl *slot, end Time) {
	m := sl.m
	st := m.RaftStatus()
	id := sl.id
	if st.State == raft.StateLeader {
		if prev, ok := s.obs.leaderOfTerm[st.Term]; ok && prev != id {
			s.fail("election safety: %x (%s) and %x both lead term %d", prev, s.slotName(prev), id, st.Term)
			return
		}
		s.obs.leaderOfTerm[st.Term] = id
	}
	life := &sl.life
	applied := m.Applied()
	switch {
	case applied < life.applied:
		s.fail("%s applied index went back from %d to %d", sl.name, life.applied, applied)
	case st.Commit < life.commit:
		s.fail("%s commit index went back from %d to %d", sl.name, life.commit, st.Commit)
	case st.Term < life.term:
		s.fail("%s term went back from %d to %d", sl.name, life.term, st.Term)
	}
	life.applied, life.commit, life.term = applied, st.Commit, st.Term
	s.res.Stats.MaxTerm = max(s.res.Stats.MaxTerm, int(st.Term))

	// The same applied index means the same revision on every member.
	rev := m.Store().Rev()
	for uint64(len(s.obs.appliedRev)) <= applied {
		s.obs.appliedRev = append(s.obs.appliedRev, 0)
	}
	if want := s.obs.appliedRev[applied]; want == 0 {
		s.obs.appliedRev[applied] = rev
	} else if want != rev {
		s.fail("state machine safety: %s is at revision %d after applying index %d, another member was at %d",
			sl.name, rev, applied, want)
	}
	for r := int64(len(s.obs.revSeen)); r <= rev; r++ {
		s.obs.revSeen = append(s.obs.revSeen, end)
	}

	role := roleOf(st, id)
	if role != sl.role {
		if role == "leader" {
			s.res.Stats.Elections++
			s.tracef("%s became leader at term %d", sl.name, st.Term)
		} else if sl.role == "leader" {
			s.tracef("%s stepped down at term %d (now %s)", sl.name, st.Term, role)
		}
		sl.role = role
	}
	if s.tl != nil {
		s.tl.role(s, sl, role, st.Term)
	}
}

// checkWriteOutcome is called each time a member applies a key-value
// write entry (server.Env.WriteApplied): every member that applies the
// entry at index — and a member applying it again after a restart — must
// decide it alike, taking it or refusing it for the same reason. Whether a
// write may be made is decided at apply time from the caller the entry
// carries and the auth state at that point of the log, which every member
// has alike; a decision that depended on anything else (the member that
// proposed the write, its clock, its own view of a user) would show here
// as one member applying a write another refused (etcd #14571).
func (s *memberSim) checkWriteOutcome(sl *slot, index uint64, caller auth.Caller, err error) {
	cur := writeOutcome{member: sl.name, caller: caller}
	if err != nil {
		cur.refusal = err.Error()
	}
	prev, seen := s.obs.writeOutcomes[index]
	if !seen {
		s.obs.writeOutcomes[index] = cur
		return
	}
	s.res.Stats.OutcomesCompared++
	if cur.refusal != "" {
		s.res.Stats.RefusalsCompared++
	}
	switch {
	case cur.caller != prev.caller:
		s.fail("state machine safety: members read different callers in the write at index %d: %q at auth revision %d on %s, %q at %d on %s",
			index, prev.caller.User, prev.caller.Revision, prev.member, cur.caller.User, cur.caller.Revision, cur.member)
	case cur.refusal != prev.refusal:
		s.fail("state machine safety: the write at index %d by %q (auth revision %d) %s, but %s",
			index, cur.caller.User, cur.caller.Revision, prev, cur)
	}
}

func roleOf(st raft.Status, id uint64) string {
	if st.State == raft.StateFollower && slices.Contains(st.Config.Learners, id) {
		return "learner"
	}
	return st.State.String()
}

// sampleStates compares every running member's store hash and membership
// with what the first member at the same applied index had.
func (s *memberSim) sampleStates() {
	for _, sl := range s.slots {
		if sl.m == nil {
			continue
		}
		applied := sl.m.Applied()
		cur := sampledState{member: sl.name, kvHash: sl.m.Store().Hash().Hash, members: membersHash(sl.m.Members())}
		prev, ok := s.obs.appliedHash[applied]
		if !ok {
			s.obs.appliedHash[applied] = cur
			continue
		}
		if prev.kvHash != cur.kvHash {
			s.fail("state machine safety: %s and %s have different key-value states at applied index %d", prev.member, sl.name, applied)
		}
		if prev.members != cur.members {
			s.fail("state machine safety: %s and %s have different memberships at applied index %d", prev.member, sl.name, applied)
		}
	}
}

func membersHash(ms []server.MemberInfo) uint64 {
	h := fnv.New64a()
	for _, m := range ms {
		fmt.Fprintf(h, "%x %s %v %v %v;", m.ID, m.Name, m.PeerURLs, m.ClientURLs, m.IsLearner)
	}
	return h.Sum64()
}

// slotName names the slot an ID lives (or lived) on.
func (s *memberSim) slotName(id uint64) string {
	if sl := s.byID[id]; sl != nil {
		return sl.name
	}
	return "?"
}

// leader returns the slot whose member leads in the highest term, or nil.
func (s *memberSim) leader() *slot {
	var best *slot
	var bestTerm uint64
	for _, sl := range s.slots {
		if sl.m == nil || sl.paused || !sl.m.IsLeader() {
			continue
		}
		if _, term := sl.m.Leader(); best == nil || term > bestTerm {
			best, bestTerm = sl, term
		}
	}
	return best
}

// sample is the once-a-second housekeeping: compare states, and write a
// status line to the trace.
func (s *memberSim) sample() {
	s.sampleStates()
	if s.cfg.Trace == 0 {
		return
	}
	var parts []byte
	for _, sl := range s.slots {
		if len(parts) > 0 {
			parts = append(parts, ' ')
		}
		switch {
		case sl.m == nil:
			parts = fmt.Appendf(parts, "%s:down", sl.name)
		default:
			lead, term := sl.m.Leader()
			r := "F"
			switch {
			case sl.paused:
				r = "Z"
			case lead == sl.id:
				r = "L"
			case sl.role == "learner":
				r = "l"
			case sl.role == "candidate" || sl.role == "pre-candidate":
				r = "C"
			}
			parts = fmt.Appendf(parts, "%s:%s/t%d/a%d/r%d", sl.name, r, term, sl.m.Applied(), sl.m.Store().Rev())
		}
	}
	s.tracef("%s", parts)
	if s.cfg.Trace > 2 {
		if l := s.leader(); l != nil {
			st := l.m.RaftStatus()
			for _, id := range slices.Sorted(maps.Keys(st.Progress)) {
				pr := st.Progress[id]
				s.tracef("  progress %s: %s", s.slotName(id), &pr)
			}
		}
	}
}
