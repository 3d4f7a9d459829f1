package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// StateType is a node's role (§5.1: "at any given time each server is in
// one of three states: leader, follower, or candidate"), plus the
// pre-candidate role that PreVote adds (thesis §9.6).
type StateType uint8

const (
	StateFollower StateType = iota
	StatePreCandidate
	StateCandidate
	StateLeader
)

func (s StateType) String() string {
	switch s {
	case StateFollower:
		return "follower"
	case StatePreCandidate:
		return "pre-candidate"
	case StateCandidate:
		return "candidate"
	case StateLeader:
		return "leader"
	}
	return fmt.Sprintf("StateType(%d)", uint8(s))
}

// ErrProposalDropped is returned when a proposal cannot be accepted right
// now: there is no known leader, leadership is being transferred, or a
// configuration change is still pending. The caller may retry later.
var ErrProposalDropped = errors.New("raft: proposal dropped")

// raft is the state machine of one node. Every method runs to completion
// without blocking; effects are recorded (messages to send, entries to
// persist) and handed to the caller through Node.Ready.
type raft struct {
	id uint64

	// Term and Vote are Figure 2's currentTerm and votedFor.
	Term uint64
	Vote uint64

	log *raftLog

	state StateType
	lead  uint64

	membership
	// votes collects (pre-)vote answers during an election.
	votes map[uint64]bool

	// msgs may be sent at once; msgsAfterPersist only once the HardState and
	// entries of the same Ready are durable (see send).
	msgs             []Message
	msgsAfterPersist []Message
	readResults      []ReadIndexResult

	// electionElapsed counts ticks since the last valid contact with a leader
	// (follower), the start of the election (candidate), or the last
	// CheckQuorum round (leader).
	electionElapsed  int
	heartbeatElapsed int

	electionTimeout           int
	heartbeatTimeout          int
	randomizedElectionTimeout int

	checkQuorum bool
	preVote     bool

	// leadTransferee is the node leadership is being handed to, or None.
	leadTransferee uint64
	// transferAfterApply records a MsgTimeoutNow that arrived while a
	// committed configuration change was still unapplied: the campaign it
	// asks for starts once the change is applied (Advance). A new term or
	// role forgets it.
	transferAfterApply bool
	// pendingConfIndex is the index of the last configuration change the
	// leader appended; a new one is refused until it is applied, which keeps
	// changes strictly one at a time (thesis §4.1).
	pendingConfIndex uint64

	// reads tracks ReadIndex requests until they resolve; readResults
	// holds the resolved ones of our own caller for the next Ready.
	reads pendingReads

	// pendingBcast is set when proposals were appended but not yet sent.
	pendingBcast bool

	maxMsgSize uint64
	// maxInflight is Config.MaxInflightMsgs, always positive: validate
	// fills in the default before the node is built.
	maxInflight int

	rand   *rand.Rand
	logger Logger
	unsafe UnsafeRules
}

func newRaft(c *Config) (*raft, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	log, err := newLog(c.Storage, c.MaxCommittedSizePerReady)
	if err != nil {
		return nil, err
	}
	hs, cs, err := c.Storage.InitialState()
	if err != nil {
		return nil, fmt.Errorf("raft: storage initial state: %w", err)
	}
	r := &raft{
		id:               c.ID,
		log:              log,
		electionTimeout:  c.ElectionTick,
		heartbeatTimeout: c.HeartbeatTick,
		checkQuorum:      !c.DisableCheckQuorum,
		preVote:          !c.DisablePreVote,
		maxMsgSize:       c.MaxSizePerMsg,
		maxInflight:      c.MaxInflightMsgs,
		rand:             c.Rand,
		logger:           c.Logger,
		unsafe:           c.Unsafe,
		membership:       membership{progress: map[uint64]*Progress{}},
	}
	r.switchToConfig(cs)
	if !hs.IsEmpty() {
		if hs.Commit < r.log.committed || hs.Commit > r.log.lastIndex() {
			return nil, fmt.Errorf("raft: stored commit index %d is out of range [%d, %d]: the log is damaged",
				hs.Commit, r.log.committed, r.log.lastIndex())
		}
		r.log.committed = hs.Commit
		r.Term = hs.Term
		r.Vote = hs.Vote
	}
	if c.Applied > 0 {
		if c.Applied > r.log.committed {
			return nil, fmt.Errorf("raft: applied index %d is beyond the commit index %d", c.Applied, r.log.committed)
		}
		if err := r.replayAppliedConfChanges(c.Applied); err != nil {
			return nil, err
		}
		r.log.appliedTo(c.Applied)
	}
	r.becomeFollower(r.Term, None)
	r.logf("%x started: term=%d commit=%d applied=%d last=%d/%d voters=%x learners=%x",
		r.id, r.Term, r.log.committed, r.log.applied, r.log.lastIndex(), r.log.lastTerm(), r.voters, r.learners)
	return r, nil
}

func (r *raft) logf(format string, args ...any) {
	if r.logger != nil {
		r.logger.Printf(format, args...)
	}
}

func (r *raft) softState() SoftState { return SoftState{Lead: r.lead, State: r.state} }

func (r *raft) hardState() HardState {
	return HardState{Term: r.Term, Vote: r.Vote, Commit: r.log.committed}
}

// send queues m. Whether it may leave before the current Ready is durable is
// decided here, by type, so that no caller can get it wrong (thesis §3.8):
//
//   - MsgVote: a candidate's request implies its vote for itself in the new
//     term; were it sent before that vote is durable, a crash could make the
//     candidate forget it and vote for someone else in the same term.
//   - MsgVoteResp: a granted vote must be on disk before anyone can count it,
//     or a crash and restart could grant a second vote in the same term.
//   - MsgAppResp: acknowledging entries tells the leader they are stored; it
//     may count them toward commitment, so they must really be stored.
//
// Everything else may go at once. In particular a leader's MsgApp may be sent
// before the leader's own copy is durable (thesis §10.2.1): the leader counts
// itself toward a quorum only once its own write is acknowledged in Advance.
func (r *raft) send(m Message) {
	if m.From == None {
		m.From = r.id
	}
	switch m.Type {
	case MsgVote, MsgVoteResp, MsgPreVote, MsgPreVoteResp:
		// Vote messages set their term explicitly: a pre-vote request carries
		// the term the candidate would use, a grant echoes the asker's term.
		if m.Term == 0 {
			panic(fmt.Sprintf("raft: %s sent without a term", m.Type))
		}
	case MsgProp, MsgReadIndex, MsgTransferLeader:
		// Forwarded requests carry no term: the leader treats them as if its
		// own caller had made them.
	default:
		m.Term = r.Term
	}
	switch {
	case m.Type == MsgVoteResp && r.unsafe.SendVoteBeforePersist:
		r.msgs = append(r.msgs, m)
	case m.Type == MsgVote || m.Type == MsgVoteResp || m.Type == MsgAppResp:
		r.msgsAfterPersist = append(r.msgsAfterPersist, m)
	default:
		r.msgs = append(r.msgs, m)
	}
}

// reset clears per-term state when the role or term changes.
func (r *raft) reset(term uint64) {
	if r.Term != term {
		r.Term = term
		r.Vote = None
	}
	r.lead = None
	r.electionElapsed = 0
	r.heartbeatElapsed = 0
	r.resetRandomizedElectionTimeout()
	r.abortLeaderTransfer()
	r.transferAfterApply = false
	r.votes = map[uint64]bool{}
	r.dropPendingReads()
	last := r.log.lastIndex()
	for id, pr := range r.progress {
		*pr = Progress{Next: last + 1, inflights: pr.inflights, IsLearner: pr.IsLearner}
		pr.inflights.reset()
		if id == r.id {
			pr.Match = r.log.durableIndex()
		}
	}
	r.pendingConfIndex = 0
}

// resetRandomizedElectionTimeout draws a new timeout in [T, 2T) (§5.2: "election
// timeouts are chosen randomly from a fixed interval", which makes split votes rare).
func (r *raft) resetRandomizedElectionTimeout() {
	r.randomizedElectionTimeout = r.electionTimeout + r.rand.IntN(r.electionTimeout)
}

func (r *raft) becomeFollower(term, lead uint64) {
	r.reset(term)
	r.lead = lead
	r.state = StateFollower
}

// becomePreCandidate starts a PreVote round: ask whether we could win
// without touching our term or vote, so that a node that cannot win (cut off
// by a partition, or with a stale log) never forces the cluster into a new
// term (thesis §9.6).
func (r *raft) becomePreCandidate() {
	if r.state == StateLeader {
		panic("raft: leader cannot become pre-candidate")
	}
	// Unlike reset, keep term and vote; but forget the leader: our own
	// timeout says it is gone, and remembering it would make us reject
	// other pre-candidates as "in lease" and deadlock the election
	// (etcd #9586).
	r.votes = map[uint64]bool{}
	r.lead = None
	r.state = StatePreCandidate
	r.logf("%x became pre-candidate at term %d", r.id, r.Term)
}

func (r *raft) becomeCandidate() {
	if r.state == StateLeader {
		panic("raft: leader cannot become candidate")
	}
	// §5.2: "to begin an election, a follower increments its current term
	// and transitions to candidate state. It then votes for itself".
	r.reset(r.Term + 1)
	r.Vote = r.id
	r.state = StateCandidate
	r.logf("%x became candidate at term %d", r.id, r.Term)
}

func (r *raft) becomeLeader() {
	if r.state == StateFollower {
		panic("raft: follower cannot become leader without an election")
	}
	r.reset(r.Term)
	r.lead = r.id
	r.state = StateLeader
	for _, pr := range r.progress {
		pr.RecentActive = true
	}
	// A leader may not know which of its entries are committed (§5.4.2
	// forbids counting replicas of old-term entries). Appending a no-op of
	// its own term and committing it settles every entry before it (thesis
	// §6.4: "a leader must commit an entry from its current term before
	// serving read-only requests").
	//
	// A configuration change may be pending in the uncommitted tail; refuse
	// new ones until everything up to here is applied.
	r.pendingConfIndex = r.log.lastIndex()
	r.appendEntries(Entry{Type: EntryNormal})
	r.logf("%x became leader at term %d", r.id, r.Term)
}

// Step advances the state machine with one message. Messages from the
// network and the caller's requests both come through here.
func (r *raft) Step(m Message) error {
	switch {
	case m.Term == 0:
		// A local request or a forwarded one; no term to compare.
	case m.Term > r.Term:
		if m.Type == MsgVote || m.Type == MsgPreVote {
			force := isTransferCampaign(m.Context)
			inLease := r.checkQuorum && r.lead != None && r.electionElapsed < r.electionTimeout
			if !force && inLease {
				// We heard from a leader less than an election timeout ago,
				// so it is presumably alive: do not let a disruptive node
				// (removed, or rejoining from a partition) depose it (thesis
				// §4.2.3). A leadership transfer is the one legitimate reason.
				r.logf("%x [term %d] ignored %s from %x at term %d: leader %x is in lease",
					r.id, r.Term, m.Type, m.From, m.Term, r.lead)
				return nil
			}
		}
		switch {
		case m.Type == MsgPreVote:
			// A pre-vote never changes our term: that is its whole point.
		case m.Type == MsgPreVoteResp && !m.Reject:
			// A grant carries the term we would campaign in, not a term
			// anyone is in yet; the real election will move us there.
		default:
			// §5.1: "if one server's current term is smaller than the
			// other's, then it updates its current term to the larger value";
			// a candidate or leader reverts to follower.
			r.logf("%x [term %d] received %s from %x at higher term %d", r.id, r.Term, m.Type, m.From, m.Term)
			if m.Type == MsgApp || m.Type == MsgHeartbeat || m.Type == MsgSnap {
				r.becomeFollower(m.Term, m.From)
			} else {
				r.becomeFollower(m.Term, None)
			}
		}
	case m.Term < r.Term:
		switch {
		case (r.checkQuorum || r.preVote) && (m.Type == MsgHeartbeat || m.Type == MsgApp):
			// A stale leader is talking to us. Tell it our term so it steps
			// down. Without this, a node whose term rose while it was cut
			// off (it could not win a pre-vote, so it never tells anyone)
			// and a stale leader could ignore each other forever.
			r.send(Message{To: m.From, Type: MsgAppResp})
		case m.Type == MsgPreVote:
			// Answer rather than ignore: a pre-candidate with a lower term
			// never raises its term on its own, so silence would leave it
			// campaigning forever while we ignore it (etcd #8243). The
			// rejection carries our term, which it adopts.
			r.send(Message{To: m.From, Term: r.Term, Type: MsgPreVoteResp, Reject: true})
		}
		return nil
	}

	switch m.Type {
	case MsgHup:
		r.hup(false)
		return nil
	case MsgVote, MsgPreVote:
		r.handleVoteRequest(m)
		return nil
	}
	switch r.state {
	case StateLeader:
		return r.stepLeader(m)
	case StateCandidate, StatePreCandidate:
		return r.stepCandidate(m)
	default:
		return r.stepFollower(m)
	}
}

// tick advances the logical clock by one unit.
func (r *raft) tick() {
	if r.state == StateLeader {
		r.tickHeartbeat()
	} else {
		r.tickElection()
	}
}

func (r *raft) tickHeartbeat() {
	r.heartbeatElapsed++
	r.electionElapsed++
	if r.electionElapsed >= r.electionTimeout {
		r.electionElapsed = 0
		if r.checkQuorum && !r.checkQuorumActive() {
			return // stepped down
		}
		if r.leadTransferee != None {
			// The target did not take over within an election timeout.
			r.logf("%x abandoned leadership transfer to %x: timed out", r.id, r.leadTransferee)
			r.abortLeaderTransfer()
		}
	}
	if r.state != StateLeader {
		return
	}
	if r.heartbeatElapsed >= r.heartbeatTimeout {
		r.heartbeatElapsed = 0
		r.bcastHeartbeat()
	}
}

func (r *raft) stepLeader(m Message) error {
	switch m.Type {
	case MsgBeat:
		r.bcastHeartbeat()
		return nil
	case MsgProp:
		return r.handlePropose(m)
	case MsgReadIndex:
		r.handleReadIndexRequest(m)
		return nil
	case MsgTransferLeader:
		r.handleTransferLeader(m)
		return nil
	}
	pr := r.progress[m.From]
	if pr == nil {
		return nil // a stranger, or a member removed since it was sent
	}
	switch m.Type {
	case MsgAppResp:
		pr.RecentActive = true
		r.handleAppendResponse(m, pr)
	case MsgHeartbeatResp:
		pr.RecentActive = true
		r.handleHeartbeatResponse(m, pr)
	case MsgSnapStatus:
		r.handleSnapshotStatus(m, pr)
	case MsgUnreachable:
		// Optimistic pipelining into a peer we cannot reach only loses
		// messages; fall back to one probe at a time.
		if pr.State == ProgressReplicate {
			pr.becomeProbe()
		}
	}
	return nil
}

func (r *raft) stepCandidate(m Message) error {
	myVoteResp := MsgVoteResp
	if r.state == StatePreCandidate {
		myVoteResp = MsgPreVoteResp
	}
	switch m.Type {
	case MsgProp:
		return ErrProposalDropped
	case MsgApp, MsgHeartbeat, MsgSnap:
		// A leader exists at our term (or higher, handled in Step): §5.2
		// "if the AppendEntries RPC is from the leader of the current term,
		// the candidate recognizes the leader as legitimate".
		r.becomeFollower(m.Term, m.From)
		return r.stepFollower(m)
	case myVoteResp:
		switch r.poll(m.From, m.Type, !m.Reject) {
		case VoteWon:
			if r.state == StatePreCandidate {
				r.campaign(campaignElection)
			} else {
				r.becomeLeader()
				r.bcastAppend()
			}
		case VoteLost:
			r.becomeFollower(r.Term, None)
		}
	case MsgReadIndex:
		return r.dropRead(m)
	}
	return nil
}

func (r *raft) stepFollower(m Message) error {
	switch m.Type {
	case MsgProp:
		if r.lead == None {
			return ErrProposalDropped
		}
		m.To = r.lead
		r.send(m)
	case MsgApp:
		r.electionElapsed = 0
		r.lead = m.From
		return r.handleAppendEntries(m)
	case MsgHeartbeat:
		r.electionElapsed = 0
		r.lead = m.From
		r.handleHeartbeat(m)
	case MsgSnap:
		r.electionElapsed = 0
		r.lead = m.From
		r.handleSnapshot(m)
	case MsgTransferLeader:
		if r.lead == None {
			return nil
		}
		m.To = r.lead
		r.send(m)
	case MsgTimeoutNow:
		// Thesis §3.10: the leader says we are caught up and should start
		// an election at once, skipping PreVote (the leader is stepping
		// aside, so no one is in lease for a reason that matters).
		r.logf("%x received MsgTimeoutNow from %x: campaigning for leadership transfer", r.id, m.From)
		r.hup(true)
	case MsgReadIndex:
		return r.forwardRead(m)
	case MsgReadIndexResp:
		r.handleReadIndexResponse(m)
	}
	return nil
}
