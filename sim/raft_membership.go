package sim

import (
	"slices"

	"github.com/raftkv/raftkv/raft"
)

// membershipDriver changes the cluster's membership while faults happen,
// the way an operator replaces a machine: remove a member (possibly the
// leader), wipe it, add it back under a new ID as a learner, and promote it
// once it has caught up. One change at a time, each proposed through
// whoever leads and retried until the leader's configuration shows it.
type membershipDriver struct {
	phase  membershipPhase
	slot   int    // the node being replaced
	target uint64 // the ID being removed, added or promoted
	nextID uint64
}

type membershipPhase uint8

const (
	phaseIdle membershipPhase = iota
	phaseRemoving
	phaseAdding
	phasePromoting
)

func (s *raftSim) membershipStep() {
	d := &s.member
	if d.nextID == 0 {
		d.nextID = uint64(len(s.nodes)) + 1
	}
	li := s.leaderIndex()
	if li < 0 {
		return
	}
	lead := s.nodes[li]
	conf := lead.node.Status().Config
	switch d.phase {
	case phaseIdle:
		if s.healed || len(conf.Voters) < 3 || s.rng.IntN(4) != 0 {
			return
		}
		victim := conf.Voters[s.rng.IntN(len(conf.Voters))]
		n := s.nodeByID(victim)
		if n == nil {
			return
		}
		d.phase, d.slot, d.target = phaseRemoving, n.idx, victim
		s.tracef("membership: removing n%d", victim)
		s.proposeConf(lead, raft.ConfChange{Type: raft.ConfChangeRemove, NodeID: victim})
	case phaseRemoving:
		if slices.Contains(conf.Voters, d.target) || slices.Contains(conf.Learners, d.target) {
			s.proposeConf(lead, raft.ConfChange{Type: raft.ConfChangeRemove, NodeID: d.target})
			return
		}
		// The removal is committed: retire the machine and give it a new
		// identity and an empty disk.
		n := s.nodes[d.slot]
		old := n.id
		s.crash(n)
		n.storage = raft.NewMemoryStorage()
		n.id = d.nextID
		d.nextID++
		if err := s.start(n); err != nil {
			s.check.fail("%v", err)
			return
		}
		d.phase, d.target = phaseAdding, n.id
		s.tracef("membership: n%d left; its machine rejoins empty as n%d (learner)", old, n.id)
		s.proposeConf(lead, raft.ConfChange{Type: raft.ConfChangeAddLearner, NodeID: n.id})
	case phaseAdding:
		if !slices.Contains(conf.Learners, d.target) {
			s.proposeConf(lead, raft.ConfChange{Type: raft.ConfChangeAddLearner, NodeID: d.target})
			return
		}
		// Promote only a learner that has caught up (thesis §4.2.1), so the
		// new voter does not stall commitment while it fetches the log.
		pr, ok := lead.node.Status().Progress[d.target]
		if !ok || pr.Match+10 < lead.node.Status().Commit {
			return
		}
		d.phase = phasePromoting
		s.tracef("membership: promoting n%d", d.target)
		s.proposeConf(lead, raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: d.target})
	case phasePromoting:
		if slices.Contains(conf.Voters, d.target) {
			s.tracef("membership: n%d is a voter", d.target)
			d.phase = phaseIdle
			return
		}
		s.proposeConf(lead, raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: d.target})
	}
}

// proposeConf proposes a change; a refusal (another change pending, no
// longer leader) is fine: the driver retries on its next step.
func (s *raftSim) proposeConf(lead *simNode, cc raft.ConfChange) {
	if _, err := lead.node.ProposeConfChange(cc); err == nil {
		s.pump(lead)
	}
}
