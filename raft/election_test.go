package raft

import (
	"slices"
	"testing"
)

// Tests for §5.2 (leader election), §5.4.1 (election restriction), thesis
// §9.6 (PreVote), thesis §6.2 (CheckQuorum), and the election traps that
// real Raft libraries shipped.

func TestElection_5_2_InitialElection(t *testing.T) {
	for _, n := range []int{1, 3, 5} {
		c := newTestCluster(t, n)
		lead := c.waitLeader()
		term := c.status(lead).Term
		for _, id := range c.ids {
			st := c.status(id)
			if st.Lead != lead || st.Term != term {
				t.Errorf("n=%d: node %d sees leader %d term %d, want %d term %d", n, id, st.Lead, st.Term, lead, term)
			}
		}
	}
}

func TestElection_5_2_ReelectionAfterLeaderLoss(t *testing.T) {
	c := newTestCluster(t, 3)
	old := c.waitLeader()
	oldTerm := c.status(old).Term
	c.crash(old)
	var rest []uint64
	for _, id := range c.ids {
		if id != old {
			rest = append(rest, id)
		}
	}
	lead := c.waitLeader(rest...)
	if lead == old {
		t.Fatalf("crashed node %d still leads", old)
	}
	if got := c.status(lead).Term; got <= oldTerm {
		t.Fatalf("new leader's term %d, want > %d", got, oldTerm)
	}
}

func TestElection_5_2_NoElectionWithoutQuorum(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.waitLeader()
	for _, id := range c.ids {
		if id != lead {
			c.crash(id)
		}
	}
	// The old leader steps down (CheckQuorum) and nobody can win.
	c.tickAll(200)
	if ls := c.leaders(); len(ls) != 0 {
		t.Fatalf("leaders without a quorum: %v", ls)
	}
}

// Figure 2, RequestVote rule 2: grant only "if votedFor is null or
// candidateId" (§5.2) — one vote per term, so that two candidates cannot both
// win it. Node 3 votes for node 1; node 2 then asks for node 3's vote in the same
// term with a log just as up to date, and node 3 has not heard from a leader
// yet (node 1's appends are held back), so the one-vote rule is the only one
// that can refuse: granting would give node 2 a majority (2 and 3) in the term
// node 1 won with 1 and 3.
func TestElection_5_2_OneVotePerTerm(t *testing.T) {
	c := newTestCluster(t, 3, withoutPreVote)
	c.cut(1, 2)
	c.hold = func(m Message) bool { return m.From == 1 && m.To == 3 && m.Type != MsgVote }
	c.campaign(1)
	if c.status(1).State != StateLeader || c.status(3).Vote != 1 {
		t.Fatalf("setup: node 1 should lead with node 3's vote; node 3 voted for %d", c.status(3).Vote)
	}
	st3, st2 := c.status(3), c.status(2)
	if st3.Lead != None || st2.LastIndex != st3.LastIndex || st2.LastTerm != st3.LastTerm {
		t.Fatalf("setup: node 3 should know no leader (it knows %d) and node 2's log (%d/%d) should be as up to date as node 3's (%d/%d)",
			st3.Lead, st2.LastIndex, st2.LastTerm, st3.LastIndex, st3.LastTerm)
	}
	rd := c.stepReady(Message{From: 2, To: 3, Type: MsgVote, Term: st3.Term, Index: st2.LastIndex, LogTerm: st2.LastTerm})
	for _, m := range sent(rd) {
		if m.Type == MsgVoteResp && m.To == 2 && !m.Reject {
			t.Fatalf("node 3 granted a second vote in term %d", st3.Term)
		}
	}
	if got := c.status(3).Vote; got != 1 {
		t.Fatalf("node 3's vote changed from 1 to %d", got)
	}
}

func TestElection_5_4_1_VoterRejectsCandidateWithStaleLog(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.waitLeader()
	var stale uint64
	for _, id := range c.ids {
		if id != lead {
			stale = id
			break
		}
	}
	c.isolate(stale)
	c.propose(lead, "x")
	c.heal()
	// The stale node asks for votes directly (a real election, high term).
	st := c.status(stale)
	for _, id := range c.ids {
		if id == stale {
			continue
		}
		c.nodes[id].node.Step(Message{From: stale, To: id, Type: MsgVote, Term: st.Term + 5, Index: st.LastIndex, LogTerm: st.LastTerm, Context: transferContext})
		rd := c.nodes[id].node.Ready()
		for _, m := range append(rd.Messages, rd.MessagesAfterPersist...) {
			if m.Type == MsgVoteResp && !m.Reject {
				t.Fatalf("node %d granted a vote to %d whose log lacks a committed entry", id, stale)
			}
		}
		c.nodes[id].node.Advance(rd)
	}
}

func TestCheckQuorum_6_2_PartitionedLeaderStepsDown(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.waitLeader()
	c.isolate(lead)
	c.tick(lead, 2*c.status(lead).ElectionTimeout)
	if st := c.status(lead); st.State == StateLeader {
		t.Fatalf("isolated leader %d still leads after two election timeouts", lead)
	}
}

func TestCheckQuorum_Off_PartitionedLeaderKeepsLeading(t *testing.T) {
	// The teaching switch: without CheckQuorum the stale leader never knows.
	c := newTestCluster(t, 3, withoutCheckQuorum)
	lead := c.waitLeader()
	c.isolate(lead)
	c.tick(lead, 5*c.status(lead).ElectionTimeout)
	if st := c.status(lead); st.State != StateLeader {
		t.Fatalf("without CheckQuorum the isolated leader stepped down anyway")
	}
}

func TestPreVote_9_6_RejoiningNodeDoesNotDisruptLeader(t *testing.T) {
	c := newTestCluster(t, 3)
	lead := c.waitLeader()
	term := c.status(lead).Term
	var loner uint64
	for _, id := range c.ids {
		if id != lead {
			loner = id
		}
	}
	c.isolate(loner)
	c.tickAll(100) // the loner times out again and again
	if got := c.status(loner).Term; got != term {
		t.Fatalf("isolated node's term moved from %d to %d despite PreVote", term, got)
	}
	c.heal()
	c.tickAll(30)
	if got := c.leader(); got != lead || c.status(lead).Term != term {
		t.Fatalf("rejoining node disrupted the leader: leader %d term %d, want %d term %d", got, c.status(got).Term, lead, term)
	}
}

func TestPreVote_Off_RejoiningNodeForcesNewTerm(t *testing.T) {
	c := newTestCluster(t, 3, withoutPreVote)
	lead := c.waitLeader()
	term := c.status(lead).Term
	var loner uint64
	for _, id := range c.ids {
		if id != lead {
			loner = id
		}
	}
	c.isolate(loner)
	c.tickAll(100)
	if c.status(loner).Term <= term {
		t.Fatalf("without PreVote the isolated node's term should climb")
	}
}

// etcd #8243: a node with a lower term stuck in PreVote forever. Its
// pre-votes carry a term lower than everyone else's; if they were ignored it
// would never learn the real term, because PreVote never raises its own.
func TestPreVote_LowerTermNodeLearnsTerm_etcd8243(t *testing.T) {
	c := newTestCluster(t, 3)
	c.waitLeader()
	c.isolate(3)
	// Terms move on without node 3: hand leadership back and forth.
	for i := 0; i < 2; i++ {
		lead := c.waitLeader(1, 2)
		c.nodes[lead].node.TransferLeader(3 - lead)
		c.stabilize()
	}
	c.waitLeader(1, 2)
	high := c.status(1).Term
	if c.status(3).Term >= high {
		t.Fatalf("setup: node 3 term %d should be below %d", c.status(3).Term, high)
	}
	c.heal()
	// Node 3 times out and pre-votes at its (low) term + 1.
	c.nodes[3].node.Campaign()
	c.stabilize()
	if got := c.status(3).Term; got < high {
		t.Fatalf("node 3 still at term %d < %d: its pre-votes were ignored", got, high)
	}
	c.tickAll(50)
	if ls := c.leaders(); len(ls) != 1 {
		t.Fatalf("want one leader, got %v", ls)
	}
}

// etcd #9586: with PreVote and CheckQuorum, after the leader is isolated the
// two followers must still elect a leader. A pre-candidate that remembered
// the old leader would reject the other follower's pre-votes as "in lease".
func TestPreVoteCheckQuorum_LeaderIsolatedNoDeadlock_etcd9586(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	if c.leader() != 1 {
		t.Fatal("setup: node 1 should lead")
	}
	c.isolate(1)
	// Node 2 times out first and pre-votes while node 3 still believes in 1.
	c.nodes[2].node.Campaign()
	c.stabilize()
	// Node 3 now times out too; node 2 must grant its pre-vote.
	c.nodes[3].node.Campaign()
	c.stabilize()
	// Node 2 forgot leader 1 when its own timer fired, so it is not "in
	// lease" and grants at once: node 3 wins without further timeouts.
	if st := c.status(3); st.State != StateLeader {
		t.Fatalf("node 3 is %s at term %d: node 2 refused its pre-vote", st.State, st.Term)
	}
}

// A vote granted and then forgotten across a crash would let a node vote
// twice in one term. The grant leaves only after the vote is persisted, and
// a restarted node reloads it.
func TestPersistence_VoteSurvivesCrash(t *testing.T) {
	c := newTestCluster(t, 3, withoutPreVote)
	c.cut(1, 2)
	c.campaign(1)
	term := c.status(3).Term
	if c.status(3).Vote != 1 {
		t.Fatalf("setup: node 3 should have voted for 1")
	}
	c.crash(3)
	c.restart(3)
	if st := c.status(3); st.Term != term || st.Vote != 1 {
		t.Fatalf("after restart node 3 has term %d vote %d, want term %d vote 1", st.Term, st.Vote, term)
	}
	c.nodes[3].node.Step(Message{From: 2, To: 3, Type: MsgVote, Term: term, Index: 100, LogTerm: 100})
	rd := c.nodes[3].node.Ready()
	for _, m := range append(rd.Messages, rd.MessagesAfterPersist...) {
		if m.Type == MsgVoteResp && !m.Reject {
			t.Fatalf("restarted node granted a second vote in term %d", term)
		}
	}
}

// The grant itself must be in MessagesAfterPersist, so a caller that follows
// the Ready contract cannot send it before the vote is on disk.
func TestPersistence_VoteGrantWaitsForPersist(t *testing.T) {
	c := newTestCluster(t, 3, withoutPreVote)
	st := c.status(2)
	c.nodes[2].node.Step(Message{From: 1, To: 2, Type: MsgVote, Term: st.Term + 1, Index: st.LastIndex, LogTerm: st.LastTerm})
	rd := c.nodes[2].node.Ready()
	if rd.HardState.Vote != 1 || !rd.MustSync {
		t.Fatalf("ready must carry the vote to persist: %+v", rd.HardState)
	}
	for _, m := range rd.Messages {
		if m.Type == MsgVoteResp {
			t.Fatalf("vote response in Messages (sent before persisting): %v", m)
		}
	}
	found := false
	for _, m := range rd.MessagesAfterPersist {
		found = found || (m.Type == MsgVoteResp && !m.Reject)
	}
	if !found {
		t.Fatalf("no granted vote in MessagesAfterPersist")
	}
	c.nodes[2].node.Advance(rd)
}

// Figure 2, RequestVote rule 1: "reply false if term < currentTerm" (§5.1).
// Node 3 voted in term 2, then moved to term 3 (where it has not voted yet);
// now a delayed request from node 2's term-2 election arrives. Were it
// judged by the other rules, node 3 would grant it: its grant, carrying
// term 2, would count in an election where node 3 already voted for someone
// else (two leaders in one term), and the vote recorded in term 3 would be
// for a candidate that is not even running in it.
func TestElection_5_1_VoteRequestFromOlderTermIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []clusterOption
	}{
		{"prevote", nil},
		{"no-prevote", []clusterOption{withoutPreVote}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, 3, tc.opts...)
			st := c.status(3)
			// Term 2: node 3 votes for node 1.
			c.stepReady(Message{From: 1, To: 3, Type: MsgVote, Term: st.Term + 1, Index: st.LastIndex, LogTerm: st.LastTerm})
			// Term 3: a candidate with a stale log moves node 3 on, without its vote.
			c.stepReady(Message{From: 1, To: 3, Type: MsgVote, Term: st.Term + 2})
			if got := c.status(3); got.Term != st.Term+2 || got.Vote != None || got.Lead != None {
				t.Fatalf("setup: node 3 should be in term %d with no vote and no leader: %+v", st.Term+2, got.HardState)
			}
			// The delayed request of term 2, from a candidate as up to date as node 3.
			rd := c.stepReady(Message{From: 2, To: 3, Type: MsgVote, Term: st.Term + 1, Index: st.LastIndex, LogTerm: st.LastTerm})
			for _, m := range sent(rd) {
				if m.Type == MsgVoteResp && !m.Reject {
					t.Fatalf("node 3 in term %d granted a vote request of term %d: %v", st.Term+2, st.Term+1, m)
				}
			}
			if got := c.status(3); got.Term != st.Term+2 || got.Vote != None {
				t.Fatalf("a stale vote request changed node 3's state: term %d vote %d, want term %d no vote", got.Term, got.Vote, st.Term+2)
			}
		})
	}
}

// Figure 2, "Rules for all servers": a response carrying a higher term makes
// a leader step down (§5.1). Nothing else here would depose it: CheckQuorum
// is off, and its followers still answer. A leader that ignored the term
// would go on leading — and accepting proposals it cannot commit — beside
// whoever leads the newer term.
func TestElection_5_1_LeaderStepsDownOnHigherTermResponse(t *testing.T) {
	t.Run("MsgAppResp", func(t *testing.T) {
		// The real path: a follower that moved to a newer term answers the
		// leader's heartbeat with an MsgAppResp carrying that term.
		c := newTestCluster(t, 3, withoutCheckQuorum)
		c.campaign(1)
		term := c.status(1).Term
		c.stepReady(Message{From: 2, To: 3, Type: MsgVote, Term: term + 1}) // a stale-log candidate: refused, but its term adopted
		var answers []Message
		c.hold = func(m Message) bool {
			if m.From == 3 && m.To == 1 {
				answers = append(answers, m)
			}
			return false
		}
		c.tick(1, c.status(1).HeartbeatTimeout)
		if !slices.ContainsFunc(answers, func(m Message) bool { return m.Type == MsgAppResp && m.Term == term+1 }) {
			t.Fatalf("setup: node 3 did not answer with an MsgAppResp of term %d: %v", term+1, answers)
		}
		if st := c.status(1); st.State != StateFollower || st.Term != term+1 {
			t.Fatalf("leader is %s in term %d after an MsgAppResp of term %d", st.State, st.Term, term+1)
		}
	})
	t.Run("MsgHeartbeatResp", func(t *testing.T) {
		// raft answers a heartbeat in the heartbeat's own term, so this
		// response is made by hand; the rule holds for every response.
		c := newTestCluster(t, 3, withoutCheckQuorum)
		c.campaign(1)
		term := c.status(1).Term
		c.stepReady(Message{From: 2, To: 1, Type: MsgHeartbeatResp, Term: term + 1})
		if st := c.status(1); st.State != StateFollower || st.Term != term+1 {
			t.Fatalf("leader is %s in term %d after an MsgHeartbeatResp of term %d", st.State, st.Term, term+1)
		}
	})
}

// Figure 2, Candidates: "if AppendEntries RPC received from new leader:
// convert to follower" (§5.2). Node 3 campaigned in term 2 while cut off; node 1
// won term 2 without it. The first append (or heartbeat) of node 1 that
// reaches node 3 is of node 3's own term, so no term rule applies: only this
// one makes it follow. A candidate that ignored it would stay deaf to the
// leader until its election timer fires again, then disrupt it with a new
// term. The same holds for a pre-candidate (PreVote): its term has not moved,
// so the leader's appends are of its own term too.
func TestElection_5_2_CandidateFollowsLeaderOfItsTerm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []clusterOption
		state StateType
		msg   MessageType
	}{
		{"candidate/MsgApp", []clusterOption{withoutPreVote}, StateCandidate, MsgApp},
		{"candidate/MsgHeartbeat", []clusterOption{withoutPreVote}, StateCandidate, MsgHeartbeat},
		{"pre-candidate/MsgApp", nil, StatePreCandidate, MsgApp},
		{"pre-candidate/MsgHeartbeat", nil, StatePreCandidate, MsgHeartbeat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, 3, tc.opts...)
			// Node 3 hears from node 1 only when the test says so (its
			// messages are parked), and nobody hears from node 3.
			c.hold = func(m Message) bool { return m.From == 1 && m.To == 3 }
			c.drop(3, 1)
			c.drop(3, 2)
			c.campaign(1)
			if c.leader() != 1 {
				t.Fatal("setup: node 1 should lead")
			}
			term := c.status(1).Term
			isType := func(t MessageType) func(Message) bool { return func(m Message) bool { return m.Type == t } }
			if tc.state == StatePreCandidate {
				// A pre-candidate keeps its term: node 3 must be in term 2
				// already, as a follower of node 1 (one heartbeat) whose
				// timer then fires.
				c.tick(1, c.status(1).HeartbeatTimeout)
				c.releaseHeld(isType(MsgHeartbeat))
			}
			c.campaign(3)
			if st := c.status(3); st.State != tc.state || st.Term != term {
				t.Fatalf("setup: node 3 should be %s in term %d, is %s in term %d", tc.state, term, st.State, st.Term)
			}
			// Now node 1's message of term 2 arrives: its first append,
			// delayed until now, or a heartbeat of the next round.
			if tc.msg == MsgHeartbeat {
				c.tick(1, c.status(1).HeartbeatTimeout)
			}
			if !slices.ContainsFunc(c.held, isType(tc.msg)) {
				t.Fatalf("setup: node 1 sent node 3 no %s", tc.msg)
			}
			c.releaseHeld(isType(tc.msg))
			c.stabilize()
			if st := c.status(3); st.State != StateFollower || st.Lead != 1 || st.Term != term {
				t.Fatalf("after %s from leader 1 of term %d, node 3 is %s in term %d with leader %d", tc.msg, term, st.State, st.Term, st.Lead)
			}
		})
	}
}

// Figure 2, Followers: the election timeout runs "without receiving
// AppendEntries from current leader or granting vote to candidate" (§5.2):
// granting a vote restarts it. Here node 3 is already in term 2 (it refused
// a candidate with a stale log) and its timer has nearly run out when node
// 1's request of the same term arrives, so no term change resets the timer
// for it. Without the reset, node 3 would start an election on its very next
// tick, right after helping node 1 win, and depose it.
func TestElection_5_2_GrantingVoteResetsElectionTimer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []clusterOption
	}{
		{"prevote", nil},
		{"no-prevote", []clusterOption{withoutPreVote}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, 3, tc.opts...)
			st := c.status(3)
			term := st.Term + 1
			c.stepReady(Message{From: 2, To: 3, Type: MsgVote, Term: term}) // refused: stale log
			timeout := c.status(3).RandomizedElectionTimeout
			for range timeout - 1 {
				c.nodes[3].node.Tick()
			}
			if got := c.status(3); got.ElectionElapsed != timeout-1 || got.State != StateFollower {
				t.Fatalf("setup: node 3 should be a follower one tick from its timeout, is %s with %d of %d", got.State, got.ElectionElapsed, timeout)
			}
			rd := c.stepReady(Message{From: 1, To: 3, Type: MsgVote, Term: term, Index: st.LastIndex, LogTerm: st.LastTerm})
			if !slices.ContainsFunc(sent(rd), func(m Message) bool { return m.Type == MsgVoteResp && !m.Reject }) {
				t.Fatalf("setup: node 3 did not grant node 1's vote")
			}
			c.nodes[3].node.Tick()
			if got := c.status(3); got.State != StateFollower || got.Term != term {
				t.Fatalf("one tick after granting its vote, node 3 is %s in term %d: its election timer was not reset", got.State, got.Term)
			}
		})
	}
}

// A candidate's vote for itself is part of its HardState, and each of its
// vote requests implies that vote (thesis §3.8): the requests must leave only
// once it is durable. Sent earlier, a crash could make the candidate forget
// it voted for itself, restart in the same term with no vote, and vote for
// another candidate — two votes in one term, and possibly two leaders. With
// PreVote the pre-vote requests promise nothing and may leave at once; the
// real requests that follow a won pre-vote must wait all the same.
func TestPersistence_CandidateVoteRequestsWaitForPersist(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []clusterOption
	}{
		{"prevote", nil},
		{"no-prevote", []clusterOption{withoutPreVote}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, 3, tc.opts...)
			n1 := c.nodes[1].node
			term := c.status(1).Term + 1
			if err := n1.Campaign(); err != nil {
				t.Fatal(err)
			}
			if c.status(1).State == StatePreCandidate {
				// Win the pre-vote with node 2's grant.
				rd := n1.Ready()
				c.handleReady(1, rd)
				var grant []Message
				for _, m := range rd.Messages {
					if m.Type == MsgPreVote && m.To == 2 {
						grant = sent(c.stepReady(m))
					}
				}
				if len(grant) != 1 || grant[0].Type != MsgPreVoteResp || grant[0].Reject {
					t.Fatalf("setup: node 2 should grant the pre-vote: %v", grant)
				}
				if err := n1.Step(grant[0]); err != nil {
					t.Fatal(err)
				}
			}
			if st := c.status(1); st.State != StateCandidate || st.Term != term {
				t.Fatalf("setup: node 1 should be a candidate in term %d, is %s in term %d", term, st.State, st.Term)
			}
			rd := n1.Ready()
			if rd.HardState.Term != term || rd.HardState.Vote != 1 || !rd.MustSync {
				t.Fatalf("the Ready must carry the self-vote to persist, with MustSync: %+v MustSync=%v", rd.HardState, rd.MustSync)
			}
			for _, m := range rd.Messages {
				if m.Type == MsgVote {
					t.Fatalf("vote request in Messages (sent before the self-vote is durable): %v", m)
				}
			}
			var to []uint64
			for _, m := range rd.MessagesAfterPersist {
				if m.Type == MsgVote {
					to = append(to, m.To)
				}
			}
			if !slices.Equal(to, []uint64{2, 3}) {
				t.Fatalf("vote requests in MessagesAfterPersist go to %v, want [2 3]", to)
			}
			c.handleReady(1, rd)
		})
	}
}
