package raft

import "testing"

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

func TestElection_5_2_OneVotePerTerm(t *testing.T) {
	c := newTestCluster(t, 3, withoutPreVote)
	// Node 3 votes for 1 in term 2; a request from 2 for the same term must fail.
	c.cut(1, 2)
	c.campaign(1)
	if c.status(3).Vote != 1 {
		t.Fatalf("node 3 voted for %d, want 1", c.status(3).Vote)
	}
	term := c.status(3).Term
	c.nodes[3].node.Step(Message{From: 2, To: 3, Type: MsgVote, Term: term})
	rd := c.nodes[3].node.Ready()
	for _, m := range append(rd.Messages, rd.MessagesAfterPersist...) {
		if m.Type == MsgVoteResp && m.To == 2 && !m.Reject {
			t.Fatalf("node 3 granted a second vote in term %d", term)
		}
	}
	c.nodes[3].node.Advance(rd)
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
