package raft

import (
	"errors"
	"fmt"
)

// Node is the API of one raft node. It is not safe for concurrent use: one
// goroutine (or one simulator) drives it, calling the request methods as
// things happen and draining Ready/Advance in between.
type Node struct {
	r           *raft
	prevSoft    SoftState
	prevHard    HardState
	outstanding bool
}

// NewNode creates a node from cfg, restarting from cfg.Storage's state if it
// holds any. A brand-new cluster's members first write the same bootstrap
// log (BootstrapLog) to their storage.
func NewNode(cfg Config) (*Node, error) {
	r, err := newRaft(&cfg)
	if err != nil {
		return nil, err
	}
	return &Node{r: r, prevSoft: r.softState(), prevHard: r.hardState()}, nil
}

// BootstrapLog returns the initial log and hard state of a new cluster whose
// first configuration is made of the given changes (usually one
// ConfChangeAddVoter per initial member, with the member's address in
// Context). Every initial member must persist exactly the same log, so that
// their logs match from the start; it is committed by definition.
func BootstrapLog(changes []ConfChange) ([]Entry, HardState, error) {
	if len(changes) == 0 {
		return nil, HardState{}, errors.New("raft: bootstrap: at least one member is required")
	}
	ents := make([]Entry, len(changes))
	for i := range changes {
		data, _ := changes[i].AppendBinary(nil)
		ents[i] = Entry{Term: 1, Index: uint64(i + 1), Type: EntryConfChange, Data: data}
	}
	return ents, HardState{Term: 1, Commit: uint64(len(ents))}, nil
}

// Tick advances the node's logical clock by one tick. The caller decides how
// long a tick is (raftkv: --heartbeat-interval).
func (n *Node) Tick() { n.r.tick() }

// Campaign starts an election now (as if the election timer had fired).
func (n *Node) Campaign() error { return n.r.Step(Message{Type: MsgHup}) }

// Proposed identifies where a proposal was placed in the leader's log.
// Index is zero when the proposal was forwarded to another leader.
type Proposed struct {
	Index uint64
	Term  uint64
}

// Propose submits a command to be replicated. On the leader it is appended
// at once and its log position returned: if a different entry is later
// committed at that position, the proposal was lost to a leadership change.
// On a follower it is forwarded to the leader (Index zero). Without a known
// leader it fails with ErrProposalDropped.
func (n *Node) Propose(data []byte) (Proposed, error) {
	return n.propose(Entry{Type: EntryNormal, Data: data})
}

// ProposeConfChange submits a membership change (thesis §4.1). Only one may
// be in progress at a time; the leader refuses others with
// ErrConfChangeRejected.
func (n *Node) ProposeConfChange(cc ConfChange) (Proposed, error) {
	data, _ := cc.AppendBinary(nil)
	return n.propose(Entry{Type: EntryConfChange, Data: data})
}

func (n *Node) propose(e Entry) (Proposed, error) {
	wasLeader := n.r.state == StateLeader
	if err := n.r.Step(Message{Type: MsgProp, From: n.r.id, Entries: []Entry{e}}); err != nil {
		return Proposed{}, err
	}
	if wasLeader && n.r.state == StateLeader {
		return Proposed{Index: n.r.log.lastIndex(), Term: n.r.Term}, nil
	}
	return Proposed{}, nil
}

// ReadIndex asks for a linearizable read point (thesis §6.4). The answer
// arrives as a ReadIndexResult carrying ctx in a later Ready. ctx should be unique
// per request. It fails with ErrReadIndexNotReady when no leader is known.
func (n *Node) ReadIndex(ctx []byte) error {
	return n.r.Step(Message{Type: MsgReadIndex, Context: ctx})
}

// TransferLeader asks the leader to hand leadership to transferee (thesis
// §3.10). On a follower the request is forwarded to the leader.
func (n *Node) TransferLeader(transferee uint64) {
	_ = n.r.Step(Message{Type: MsgTransferLeader, From: transferee})
}

// ErrLocalMessage is returned when a message type reserved for the node's own
// caller arrives through Step from the network.
var ErrLocalMessage = errors.New("raft: local message type received from the network")

// Step delivers a message received from a peer.
func (n *Node) Step(m Message) error {
	if m.Type.IsLocal() {
		return fmt.Errorf("%w: %s", ErrLocalMessage, m.Type)
	}
	if m.To != n.r.id {
		return fmt.Errorf("raft: message for %x delivered to %x", m.To, n.r.id)
	}
	if m.From == None {
		return fmt.Errorf("raft: %s without a sender", m.Type)
	}
	if m.Type.IsResponse() && n.r.progress[m.From] == nil && n.r.state == StateLeader {
		return nil // an answer from a peer that is no longer a member
	}
	err := n.r.Step(m)
	if errors.Is(err, ErrProposalDropped) && m.Type == MsgProp {
		// A proposal forwarded by a follower that we cannot take; the
		// follower's caller times out and retries.
		return nil
	}
	return err
}

// ReportUnreachable tells raft that a message to id could not be delivered.
func (n *Node) ReportUnreachable(id uint64) {
	_ = n.r.Step(Message{Type: MsgUnreachable, From: id})
}

// ReportSnapshot tells raft whether a snapshot sent to id was delivered.
// A leader keeps appends to that follower paused until it hears this or
// the follower's acknowledgement.
func (n *Node) ReportSnapshot(id uint64, delivered bool) {
	_ = n.r.Step(Message{Type: MsgSnapStatus, From: id, Reject: !delivered})
}

// HasReady reports whether Ready would return anything to do. It is a
// query and changes nothing: proposals appended since the last Ready are
// sent by Ready itself, so asking twice, or asking and then proposing more,
// never splits a batch.
func (n *Node) HasReady() bool {
	if n.outstanding {
		return false
	}
	r := n.r
	if r.softState() != n.prevSoft {
		return true
	}
	if hs := r.hardState(); !hs.IsEmpty() && hs != n.prevHard {
		return true
	}
	// Proposals waiting to be sent (pendingBcast) are never alone: their
	// entries sit in the unstable tail until the Ready that sends them is
	// advanced, so the unstable check below covers them.
	return r.log.unstable.snapshot != nil || len(r.log.unstable.entries) > 0 ||
		r.log.hasNextCommittedEntries() || len(r.msgs) > 0 || len(r.msgsAfterPersist) > 0 ||
		len(r.readResults) > 0
}

// Ready returns what the caller must do now (see Ready). The caller must
// call Advance with it before the next Ready.
func (n *Node) Ready() Ready {
	r := n.r
	// The appends for every proposal made since the last Ready leave in
	// this one: one message per follower for the whole batch.
	r.flushProposals()
	rd := Ready{
		Entries:              r.log.unstableEntries(),
		CommittedEntries:     r.log.nextCommittedEntries(),
		Messages:             r.msgs,
		MessagesAfterPersist: r.msgsAfterPersist,
		ReadIndexResults:     r.readResults,
	}
	if s := r.softState(); s != n.prevSoft {
		rd.SoftState = &s
		n.prevSoft = s
	}
	if hs := r.hardState(); hs != n.prevHard {
		rd.HardState = hs
		rd.MustSync = hs.Term != n.prevHard.Term || hs.Vote != n.prevHard.Vote
		n.prevHard = hs
	}
	if r.log.unstable.snapshot != nil {
		rd.Snapshot = *r.log.unstable.snapshot
		rd.MustSync = true
	}
	if len(rd.Entries) > 0 {
		rd.MustSync = true
	}
	r.msgs, r.msgsAfterPersist, r.readResults = nil, nil, nil
	n.outstanding = true
	return rd
}

// Advance acknowledges that rd has been processed: its entries and hard
// state are durable (and in Storage), its committed entries applied.
func (n *Node) Advance(rd Ready) {
	r := n.r
	n.outstanding = false
	if !rd.Snapshot.IsEmpty() {
		r.log.unstable.stableSnapTo(rd.Snapshot.Meta.Index)
		r.log.appliedTo(rd.Snapshot.Meta.Index)
	}
	if k := len(rd.Entries); k > 0 {
		last := rd.Entries[k-1]
		r.log.unstable.stableTo(last.Index, last.Term)
	}
	for _, e := range rd.CommittedEntries {
		r.log.appliedTo(e.Index)
		if e.Type != EntryConfChange {
			continue
		}
		var cc ConfChange
		if err := cc.UnmarshalBinary(e.Data); err != nil {
			// Every member decodes the same bytes and skips the same entry,
			// so they stay in agreement.
			r.logf("%x skipped undecodable configuration change at index %d: %v", r.id, e.Index, err)
			continue
		}
		r.applyConfChange(cc)
	}
	if r.transferAfterApply && !r.hasUnappliedConfChange() {
		r.transferAfterApply = false
		r.hup(true)
	}
	if r.state == StateLeader && len(rd.Entries) > 0 {
		// Our own copy is durable now: only from here on may we count
		// ourselves toward a quorum for these entries (thesis §10.2.1).
		if pr := r.progress[r.id]; pr != nil && pr.maybeUpdate(r.log.durableIndex()) && r.maybeCommit() {
			r.bcastAppend()
		}
	}
}

// ConfState returns the configuration as of the last applied entry; a
// caller stores it with a snapshot made at that point.
func (n *Node) ConfState() ConfState { return n.r.confState() }

// Status returns a description of the node for display and tests.
func (n *Node) Status() Status { return n.r.status() }

// LogIndexes returns the commit index and the index of the last entry: what
// a caller reports after every step, without the copy of each follower's
// progress that Status makes on a leader.
func (n *Node) LogIndexes() (commit, last uint64) { return n.r.log.committed, n.r.log.lastIndex() }
