package raft

import (
	"errors"
	"fmt"
	"slices"
)

// Membership changes, one server at a time (thesis §4.1). Adding or removing
// a single voter changes the majority by at most one, so any majority of the
// old configuration and any majority of the new one share a member: two
// leaders can never be elected by disjoint majorities during the change.
//
// When a change takes effect is where raftkv departs from the thesis (see
// docs/divergences.md): the thesis has a server use a configuration as soon
// as the entry is in its log; raftkv, like etcd, switches when the entry is
// committed and applied. To keep the one-at-a-time guarantee that the
// thesis gets from "wait for the previous entry to commit", a leader refuses
// a new change while its previous one is unapplied, and a new leader refuses
// one until everything in its log when it was elected is applied (which
// also closes the hole Ongaro described in 2015: a leader must commit an
// entry of its own term before changing the configuration).
//
// Learners (thesis §4.2.1) receive the log but never vote and never count
// toward a quorum, so a new server can catch up without hurting
// availability, then be promoted.

// membership is the configuration in force (who votes, who only listens)
// and the leader's view of each member's log. It is not Config, the node's
// options: those are fixed when the node starts, this changes with every
// applied configuration change.
type membership struct {
	voters   []uint64 // sorted
	learners []uint64 // sorted
	progress map[uint64]*Progress
}

func (c *membership) isVoter(id uint64) bool {
	_, ok := slices.BinarySearch(c.voters, id)
	return ok
}

func (c *membership) isLearner(id uint64) bool {
	_, ok := slices.BinarySearch(c.learners, id)
	return ok
}

func (c *membership) isMember(id uint64) bool { return c.isVoter(id) || c.isLearner(id) }

// members returns voters and learners in ID order.
func (c *membership) members() []uint64 {
	all := append(append(make([]uint64, 0, len(c.voters)+len(c.learners)), c.voters...), c.learners...)
	slices.Sort(all)
	return all
}

func (c *membership) confState() ConfState {
	return ConfState{Voters: slices.Clone(c.voters), Learners: slices.Clone(c.learners)}
}

// ErrConfChangeRejected wraps the reasons a leader refuses a change.
var ErrConfChangeRejected = errors.New("raft: configuration change rejected")

// checkConfChangeProposal is the leader's admission check for a change.
func (r *raft) checkConfChangeProposal(e Entry) error {
	if r.pendingConfIndex > r.log.applied {
		return fmt.Errorf("%w: the previous change (index %d) is not applied yet (applied %d)",
			ErrConfChangeRejected, r.pendingConfIndex, r.log.applied)
	}
	var cc ConfChange
	if err := cc.UnmarshalBinary(e.Data); err != nil {
		return fmt.Errorf("%w: %w", ErrConfChangeRejected, err)
	}
	if cc.NodeID == None {
		return fmt.Errorf("%w: node ID must not be zero", ErrConfChangeRejected)
	}
	if cc.Type == ConfChangeRemove && r.isVoter(cc.NodeID) && len(r.voters) == 1 {
		return fmt.Errorf("%w: cannot remove the last voter", ErrConfChangeRejected)
	}
	if cc.Type == ConfChangeAddLearner && r.isVoter(cc.NodeID) {
		return fmt.Errorf("%w: %x is already a voter", ErrConfChangeRejected, cc.NodeID)
	}
	return nil
}

// applyConfChange switches to the configuration cc produces. It runs when
// the caller acknowledges having applied the committed entry (Advance), so
// every member switches at the same point of the log.
func (r *raft) applyConfChange(cc ConfChange) {
	cs := r.confState()
	switch cc.Type {
	case ConfChangeAddVoter:
		cs.Learners = deleteID(cs.Learners, cc.NodeID)
		cs.Voters = insertID(cs.Voters, cc.NodeID)
	case ConfChangeAddLearner:
		if !slices.Contains(cs.Voters, cc.NodeID) {
			cs.Learners = insertID(cs.Learners, cc.NodeID)
		}
	case ConfChangeRemove:
		cs.Voters = deleteID(cs.Voters, cc.NodeID)
		cs.Learners = deleteID(cs.Learners, cc.NodeID)
	}
	r.logf("%x applied %s of %x: voters=%x learners=%x", r.id, cc.Type, cc.NodeID, cs.Voters, cs.Learners)
	wasLeader := r.state == StateLeader
	r.switchToConfig(cs)
	if !wasLeader {
		return
	}
	if !r.isVoter(r.id) {
		// We removed ourselves (or were demoted). A leader that is not in
		// its own configuration must stop leading, or it would keep
		// sending heartbeats that hold the others back from electing a
		// real leader (etcd-io/raft #83). Hand over to the most
		// up-to-date voter so the cluster does not wait for a timeout.
		r.handOverBeforeLeaving()
		r.becomeFollower(r.Term, None)
		return
	}
	if r.leadTransferee != None && !r.isVoter(r.leadTransferee) {
		r.abortLeaderTransfer()
	}
	// A removal can shrink the quorum so that waiting entries now commit;
	// an addition needs the new member brought up to date.
	r.maybeCommit()
	r.bcastAppend()
}

func (r *raft) handOverBeforeLeaving() {
	last := r.log.lastIndex()
	for _, id := range r.voters {
		if pr := r.progress[id]; pr != nil && pr.Match == last {
			r.logf("%x was removed from the configuration; handing leadership to %x", r.id, id)
			r.sendTimeoutNow(id)
			return
		}
	}
}

// switchToConfig installs a configuration, keeping the progress of members
// that stay and creating fresh progress for newcomers.
func (r *raft) switchToConfig(cs ConfState) {
	r.voters = slices.Sorted(slices.Values(cs.Voters))
	r.learners = slices.Sorted(slices.Values(cs.Learners))
	r.voters = slices.Compact(r.voters)
	r.learners = slices.Compact(r.learners)
	next := r.log.lastIndex() + 1
	keep := map[uint64]bool{}
	for _, id := range r.members() {
		keep[id] = true
		pr := r.progress[id]
		if pr == nil {
			pr = newProgress(next, r.maxInflight, false)
			if id == r.id {
				pr.Match = r.log.durableIndex()
			}
			r.progress[id] = pr
		}
		pr.IsLearner = r.isLearner(id)
	}
	for id := range r.progress {
		if !keep[id] {
			delete(r.progress, id)
		}
	}
}

func insertID(ids []uint64, id uint64) []uint64 {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

func deleteID(ids []uint64, id uint64) []uint64 {
	i, found := slices.BinarySearch(ids, id)
	if !found {
		return ids
	}
	return slices.Delete(ids, i, i+1)
}

// replayAppliedConfChanges rebuilds the configuration a restarting node had:
// the snapshot's, then every change in the log up to the applied index (the
// caller will not hand those entries to raft again).
func (r *raft) replayAppliedConfChanges(applied uint64) error {
	first := r.log.firstIndex()
	if applied < first {
		return nil
	}
	ents, err := r.log.slice(first, applied+1, noLimit)
	if err != nil {
		return fmt.Errorf("raft: reading the log to rebuild the configuration: %w", err)
	}
	for _, e := range ents {
		if e.Type != EntryConfChange {
			continue
		}
		var cc ConfChange
		if err := cc.UnmarshalBinary(e.Data); err != nil {
			continue // skipped by every member when it was first applied, too
		}
		r.applyConfChange(cc)
	}
	return nil
}
