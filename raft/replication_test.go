package raft

import (
	"fmt"
	"slices"
	"testing"
)

// Tests for §5.3 (log replication), §5.4.2 (commitment), thesis §10.2.1
// (durability on the leader) and the flow control around them.

func TestReplication_5_3_ProposalsAreAppliedInOrderEverywhere(t *testing.T) {
	c := newTestCluster(t, 5)
	lead := c.waitLeader()
	want := []string{}
	for i := range 20 {
		from := c.ids[i%len(c.ids)] // followers forward to the leader
		v := fmt.Sprintf("v%d", i)
		c.propose(from, v)
		want = append(want, v)
	}
	for _, id := range c.ids {
		if got := c.appliedData(id); !slices.Equal(got, want) {
			t.Errorf("node %d applied %v, want %v (leader %d)", id, got, want, lead)
		}
	}
}

func TestReplication_5_3_ConflictingFollowerLogIsRepaired(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	// Node 1 leads alone for a while: its new entries never commit.
	c.isolate(1)
	for i := range 5 {
		c.nodes[1].node.Propose([]byte(fmt.Sprintf("lost%d", i)))
		c.stabilize()
	}
	// Meanwhile 2 and 3 elect a leader and commit other entries.
	lead := c.waitLeader(2, 3)
	c.propose(lead, "b")
	c.propose(lead, "c")
	c.heal()
	c.tickAll(30)
	want := []string{"a", "b", "c"}
	for _, id := range c.ids {
		if got := c.appliedData(id); !slices.Equal(got, want) {
			t.Errorf("node %d applied %v, want %v", id, got, want)
		}
	}
	if a, b := c.logTerms(1), c.logTerms(lead); a != b {
		t.Errorf("logs differ after repair:\n node 1: %s\n node %d: %s", a, lead, b)
	}
}

// The follower's conflict hint (its conflicting term and that term's first
// index) lets the leader skip a whole conflicting term in one round trip
// instead of backing up one entry at a time (§5.3, last paragraphs). Node 1
// holds 50 entries of term 2 that no one else has; node 3 holds 50 different
// entries of term 3 and then takes over in term 4 (a leadership transfer while
// node 1 is still cut off), so its first guess for node 1 is its own last
// entry, far past the point where the logs part. Backing up one entry per
// rejection would take about 50 round trips; with the hint it takes three
// appends: one rejected because node 1's log is too short, one rejected with
// hint "term 2 starts at index 5", and one that matches.
func TestReplication_5_3_ConflictHintSkipsWholeTerm(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	shared := c.status(1).LastIndex // the term-2 no-op everyone has
	c.isolate(1)
	for i := range 50 {
		c.nodes[1].node.Propose([]byte(fmt.Sprintf("stale%d", i)))
		c.stabilize()
	}
	lead := c.waitLeader(2, 3)
	for i := range 50 {
		c.propose(lead, fmt.Sprintf("new%d", i))
	}
	other := 5 - lead
	c.nodes[lead].node.TransferLeader(other)
	c.stabilize()
	if c.leader() != other {
		t.Fatalf("setup: leadership should have moved to node %d", other)
	}
	lead = other
	if pr := c.status(lead).Progress[1]; pr.Next <= c.status(1).LastIndex {
		t.Fatalf("setup: the new leader's first guess for node 1 (next %d) should lie beyond node 1's log (last %d)", pr.Next, c.status(1).LastIndex)
	}
	// Record the append exchange with node 1 until its first success.
	var probes, rejections []Message
	matched := false
	c.hold = func(m Message) bool {
		switch {
		case matched: // only the first search counts
		case m.Type == MsgApp && m.From == lead && m.To == 1:
			probes = append(probes, m)
		case m.Type == MsgAppResp && m.From == 1 && m.Reject:
			rejections = append(rejections, m)
		case m.Type == MsgAppResp && m.From == 1:
			matched = true
		}
		return false
	}
	c.heal()
	c.tickAll(20)
	c.hold = nil
	if !matched {
		t.Fatalf("node 1 never accepted an append; probes %v, rejections %v", probes, rejections)
	}
	hinted := slices.IndexFunc(rejections, func(m Message) bool { return m.LogTerm == 2 })
	if hinted < 0 {
		t.Fatalf("no rejection carried node 1's conflicting term 2 as a hint: %v", rejections)
	}
	if h := rejections[hinted]; h.RejectHint != shared+1 {
		t.Fatalf("hint %d/%d, want %d/2 (the first index of node 1's term 2 above its commit index)", h.RejectHint, h.LogTerm, shared+1)
	}
	if len(probes) > 3 || len(rejections) > 2 {
		t.Fatalf("the leader sent %d appends (%d rejected) before one matched; with the hint it needs at most 3:\n probes %v\n rejections %v",
			len(probes), len(rejections), probes, rejections)
	}
	if last := probes[len(probes)-1]; last.Index != shared {
		t.Fatalf("the matching append has prev %d/%d, want %d: the whole of term 2 skipped in one round trip", last.Index, last.LogTerm, shared)
	}
	c.tickAll(5)
	if a, b := c.logTerms(1), c.logTerms(lead); a != b {
		t.Fatalf("logs differ:\n%s\n%s", a, b)
	}
}

// Figure 2, AppendEntries rule 1: "reply false if term < currentTerm" (§5.1).
// Node 1 led term 2 and was cut off; nodes 2 and 3 moved on to a newer term.
// The appends node 1 sent meanwhile finally arrive. A follower that obeyed
// one would take node 1 for its leader (and reset its election timer for it)
// and try to append an entry that the current leader never sent. It must
// leave its log and leader alone, and — with PreVote or CheckQuorum on, where
// the stale leader may have no other way to learn the term — answer with its
// current term so that node 1 steps down.
func TestReplication_5_1_AppendFromOlderTermIsRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []clusterOption
		answer bool
	}{
		{"default", nil, true},
		{"no-prevote-no-checkquorum", []clusterOption{withoutPreVote, withoutCheckQuorum}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, 3, tc.opts...)
			c.campaign(1)
			c.propose(1, "a")
			oldTerm := c.status(1).Term
			// Node 1 hears nothing; what it says is parked.
			c.drop(2, 1)
			c.drop(3, 1)
			c.hold = func(m Message) bool { return m.From == 1 }
			if _, err := c.nodes[1].node.Propose([]byte("stale")); err != nil {
				t.Fatal(err)
			}
			c.stabilize()
			c.tickUntil("a leader among nodes 2 and 3", func() bool {
				return c.status(2).State == StateLeader || c.status(3).State == StateLeader
			})
			follower := uint64(2)
			if c.status(2).State == StateLeader {
				follower = 3
			}
			before := c.status(follower)
			i := slices.IndexFunc(c.held, func(m Message) bool {
				return m.Type == MsgApp && m.To == follower && slices.ContainsFunc(m.Entries, func(e Entry) bool { return string(e.Data) == "stale" })
			})
			if i < 0 || before.Term <= oldTerm {
				t.Fatalf("setup: want node 1's append of \"stale\" to node %d, now in a term above %d (term %d)", follower, oldTerm, before.Term)
			}
			stale := c.held[i]
			rd := c.stepReady(stale)
			after := c.status(follower)
			if after.Lead != before.Lead || after.Term != before.Term || after.LastIndex != before.LastIndex {
				t.Fatalf("node %d processed an append of term %d in term %d: leader %d→%d, last index %d→%d",
					follower, stale.Term, before.Term, before.Lead, after.Lead, before.LastIndex, after.LastIndex)
			}
			if after.ElectionElapsed != before.ElectionElapsed {
				t.Fatalf("a stale append reset node %d's election timer", follower)
			}
			var answers []Message
			for _, m := range sent(rd) {
				if m.To == 1 {
					answers = append(answers, m)
				}
			}
			switch {
			case tc.answer && (len(answers) != 1 || answers[0].Type != MsgAppResp || answers[0].Term != before.Term):
				t.Fatalf("node %d should answer node 1 with one MsgAppResp of term %d, sent %v", follower, before.Term, answers)
			case !tc.answer && len(answers) != 0:
				t.Fatalf("node %d answered a stale append: %v", follower, answers)
			}
		})
	}
}

// Figure 2, AppendEntries rule 5: "if leaderCommit > commitIndex, set
// commitIndex = min(leaderCommit, index of last new entry)". Node 3 led term 2
// while cut off and was left with five entries of its own that nobody else
// has; meanwhile the others committed different entries at those indexes.
// An AppendEntries that matches node 3's log just before its leftovers — here
// the empty one Figure 2's leader sends as a heartbeat from nextIndex - 1 —
// vouches for nothing past that point. Taking leaderCommit at its word would
// commit, and apply, node 3's leftovers: entries the cluster never committed,
// at indexes where it committed others. (raftkv's own leader never sends
// such an append — its heartbeats are MsgHeartbeat, whose commit it caps at
// the follower's Match — so the message is made by hand.)
func TestReplication_5_3_CommitStopsAtLastNewEntry(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(3)
	c.propose(3, "a")
	shared := c.status(3).LastIndex
	sharedTerm := c.status(3).LastTerm
	c.isolate(3)
	for i := range 5 {
		c.nodes[3].node.Propose([]byte(fmt.Sprintf("stale%d", i)))
		c.stabilize()
	}
	lead := c.waitLeader(1, 2)
	for _, v := range []string{"b", "c", "d"} {
		c.propose(lead, v)
	}
	st := c.status(lead)
	if st.Commit <= shared+1 || c.status(3).LastIndex <= st.Commit {
		t.Fatalf("setup: the leader's commit index %d should lie inside node 3's leftovers (%d..%d)", st.Commit, shared+1, c.status(3).LastIndex)
	}
	rd := c.stepReady(Message{From: lead, To: 3, Type: MsgApp, Term: st.Term, Index: shared, LogTerm: sharedTerm, Commit: st.Commit})
	if got := c.status(3).Commit; got != shared {
		t.Fatalf("node 3 committed up to %d, want %d: the last entry the append vouched for", got, shared)
	}
	if got := c.appliedData(3); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("node 3 applied %v, want [a]", got)
	}
	if !slices.ContainsFunc(rd.MessagesAfterPersist, func(m Message) bool { return m.Type == MsgAppResp && !m.Reject && m.Index == shared }) {
		t.Fatalf("node 3 should acknowledge up to %d: %v", shared, sent(rd))
	}
	// The leader's next appends replace the leftovers.
	c.heal()
	c.tickAll(10)
	for _, id := range c.ids {
		if got := c.appliedData(id); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
			t.Errorf("node %d applied %v, want [a b c d]", id, got)
		}
	}
}

// Figure 2, "Volatile state on all servers": commitIndex "increases
// monotonically". A leader knows only a lower bound of each follower's commit
// index, and right after an election that bound is nothing: its first
// heartbeats carry commit min(Match, commitIndex) = 0. A follower that
// lowered its commit index to what a message says would persist the lower
// value and report entries it has applied as uncommitted.
func TestReplication_5_3_CommitIndexNeverDecreases(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	commit := c.status(3).Commit
	if commit < c.status(1).LastIndex {
		t.Fatalf("setup: node 3 should know that everything is committed (commit %d)", commit)
	}
	// Node 2 takes over; its appends are held back, so it knows nothing of
	// node 3's log and its heartbeat carries commit 0.
	c.hold = func(m Message) bool { return m.From == 2 && m.Type == MsgApp }
	c.nodes[1].node.TransferLeader(2)
	c.stabilize()
	if c.leader() != 2 {
		t.Fatal("setup: node 2 should lead")
	}
	var beat []Message
	c.hold = func(m Message) bool {
		if m.From == 2 && m.To == 3 && m.Type == MsgHeartbeat {
			beat = append(beat, m)
			return true
		}
		return m.From == 2 && m.Type == MsgApp
	}
	c.tick(2, c.status(2).HeartbeatTimeout)
	if len(beat) == 0 || beat[0].Commit >= commit {
		t.Fatalf("setup: want a heartbeat to node 3 with a commit index below %d: %v", commit, beat)
	}
	rd := c.stepReady(beat[0])
	if got := c.status(3).Commit; got != commit {
		t.Fatalf("node 3's commit index went from %d to %d on %v", commit, got, beat[0])
	}
	if !rd.HardState.IsEmpty() && rd.HardState.Commit < commit {
		t.Fatalf("node 3 was told to persist commit index %d, below %d", rd.HardState.Commit, commit)
	}
}

// Figure 2, "Volatile state on leaders (reinitialized after election)":
// nextIndex = leader's last log index + 1, matchIndex = 0, for every
// follower. Node 1 led term 2 and knew both followers held its entries; it
// leads again in term 4, after node 2's term 3. What it learned in term 2 is
// stale: a follower's log may have been cut back since, and a Match kept from
// then would count that follower toward committing entries it does not hold;
// a Next kept from then would start from the wrong place. Node 1's appends
// are held back, so the state is as the election left it.
func TestReplication_5_3_NewLeaderResetsProgress(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	for _, id := range []uint64{2, 3} {
		if pr := c.status(1).Progress[id]; pr.Match == 0 {
			t.Fatalf("setup: in term 2 node 1 should know node %d's match: %+v", id, pr)
		}
	}
	c.nodes[1].node.TransferLeader(2)
	c.stabilize()
	c.propose(2, "b")
	c.hold = func(m Message) bool { return m.From == 1 && m.Type == MsgApp }
	c.nodes[2].node.TransferLeader(1)
	c.stabilize()
	st := c.status(1)
	if st.State != StateLeader || st.Term != 4 {
		t.Fatalf("setup: node 1 should lead term 4, is %s in term %d", st.State, st.Term)
	}
	noop := st.LastIndex // the new term's no-op, the first entry the new leader appends
	for _, id := range []uint64{2, 3} {
		if pr := st.Progress[id]; pr.Match != 0 || pr.Next != noop {
			t.Errorf("node %d: match %d next %d, want match 0 next %d (the leader's last index + 1 when elected)", id, pr.Match, pr.Next, noop)
		}
	}
}

// Many proposals made before the leader's next Ready travel together.
func TestReplication_BatchesManyEntriesPerMessage(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	var sizes []int
	c.hold = func(m Message) bool {
		if m.Type == MsgApp && len(m.Entries) > 0 {
			sizes = append(sizes, len(m.Entries))
		}
		return false
	}
	c.propose(1, "warm-up") // both followers now in replicate state
	sizes = nil
	// Hold back acknowledgements so nothing interleaves, then propose 100.
	c.drop(2, 1)
	c.drop(3, 1)
	for i := range 100 {
		if _, err := c.nodes[1].node.Propose([]byte(fmt.Sprintf("p%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	c.stabilize()
	if len(sizes) == 0 || slices.Max(sizes) < 50 {
		t.Fatalf("append sizes %v: proposals were not batched", sizes)
	}
}

// HasReady is a question, not an action: asking it between two proposals
// must not send the first one on its own. If it flushed the pending
// appends (as it once did), a caller that polls HasReady between proposals
// would split one batch into a message per proposal.
func TestNode_HasReadyIsAQuery(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "warm-up") // both followers now in replicate state
	n1 := c.nodes[1].node
	for _, data := range []string{"a", "b"} {
		if _, err := n1.Propose([]byte(data)); err != nil {
			t.Fatal(err)
		}
		for range 2 { // asking again must change nothing either
			if !n1.HasReady() {
				t.Fatalf("HasReady is false with the proposal of %q unsent", data)
			}
		}
	}
	rd := n1.Ready()
	appends := map[uint64]int{}
	for _, m := range rd.Messages {
		if m.Type != MsgApp {
			continue
		}
		appends[m.To]++
		if len(m.Entries) != 2 {
			t.Errorf("append to %d carries %d entries, want both proposals in one message", m.To, len(m.Entries))
		}
	}
	if appends[2] != 1 || appends[3] != 1 {
		t.Errorf("appends per follower %v, want one each", appends)
	}
	c.handleReady(1, rd)
}

// In replicate state at most MaxInflightMsgs appends are unacknowledged;
// a slow follower never makes the leader buffer unboundedly.
func TestReplication_FlowControlBoundsInflightAppends(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.MaxInflightMsgs = 3; cfg.MaxSizePerMsg = 1 })
	c.campaign(1)
	c.propose(1, "warm-up") // puts both followers in replicate state
	sent := 0
	c.hold = func(m Message) bool {
		if m.Type == MsgApp && m.To == 2 {
			if len(m.Entries) > 0 {
				sent++
			}
			return true // never delivered: no acknowledgements come back
		}
		return false
	}
	for i := range 20 {
		c.propose(1, fmt.Sprintf("p%d", i))
	}
	if sent > 3 {
		t.Fatalf("leader sent %d unacknowledged appends to node 2, window is 3", sent)
	}
	// Node 3 still acknowledges, so everything commits regardless.
	if got := len(c.appliedData(3)); got != 21 {
		t.Fatalf("node 3 applied %d entries, want 21", got)
	}
}

// Figure 8: an entry from an earlier term, even once stored on a majority,
// may still be overwritten — so a leader never commits it by counting
// replicas (§5.4.2). Here node 1 (term 4 in the paper) holds "x" from its
// earlier term on a majority; it must not commit it, and when node 5 later
// overwrites it, nobody has applied it.
func TestCommit_5_4_2_Figure8_OldTermEntryNotCommittedByCounting(t *testing.T) {
	c := newTestCluster(t, 5, withoutPreVote, withoutCheckQuorum)
	c.campaign(1)
	// (a) node 1 replicates x to node 2 only.
	c.cut(1, 3)
	c.cut(1, 4)
	c.cut(1, 5)
	c.propose(1, "x")
	xIndex := c.status(1).LastIndex
	c.crash(1)
	// (b) node 5 wins with 3 and 4, and its entry never leaves it.
	c.heal()
	c.hold = func(m Message) bool { return m.From == 5 && m.Type == MsgApp }
	c.campaign(5)
	if c.status(5).State != StateLeader {
		t.Fatalf("setup: node 5 should lead, is %s", c.status(5).State)
	}
	c.hold = nil
	c.held = nil
	c.crash(5)
	// (c) node 1 restarts and wins; it sends x to node 3, but its own no-op
	// is held back, so x sits on a majority (1, 2, 3) as an old-term entry.
	c.restart(1)
	c.hold = func(m Message) bool { return m.From == 1 && m.Type == MsgApp && (m.To == 3 || m.To == 4) }
	for i := 0; c.status(1).State != StateLeader; i++ {
		if i > 5 {
			t.Fatalf("setup: node 1 cannot win: %+v", c.status(1))
		}
		c.campaign(1)
	}
	// Let node 3 receive entries only up to x: its probe exchange with the
	// leader runs, but every append is cut short before the no-op.
	for i := 0; i < 10 && c.status(3).LastIndex < xIndex; i++ {
		held := c.held
		c.held = nil
		for _, m := range held {
			if m.To != 3 {
				continue
			}
			m.Entries = slices.DeleteFunc(slices.Clone(m.Entries), func(e Entry) bool { return e.Index > xIndex })
			c.nodes[3].node.Step(m)
		}
		c.stabilize()
	}
	c.held = nil
	if got := c.status(3).LastIndex; got < xIndex {
		t.Fatalf("setup: node 3 should hold x (index %d), last index %d", xIndex, got)
	}
	if got := c.status(1).Commit; got >= xIndex {
		t.Fatalf("leader committed index %d (x, from an old term) by counting replicas", got)
	}
	// (d) node 1 crashes; node 5 returns, wins, and overwrites x.
	c.crash(1)
	c.hold = nil
	c.restart(5)
	for i := 0; c.status(5).State != StateLeader; i++ {
		if i > 5 {
			t.Fatalf("setup: node 5 cannot win: %+v", c.status(5))
		}
		c.campaign(5)
	}
	c.tickAll(5)
	for _, id := range c.ids {
		if slices.Contains(c.appliedData(id), "x") {
			t.Fatalf("node %d applied x, which was then overwritten", id)
		}
	}
}

// A leader counts itself toward a quorum only after its own copy is durable
// (thesis §10.2.1): its appends may leave before its fsync, but the commit
// waits for it.
func TestDurability_10_2_1_LeaderCountsItselfOnlyAfterAdvance(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.cut(3, 1)
	c.cut(1, 3)
	n1 := c.nodes[1]
	if _, err := n1.node.Propose([]byte("x")); err != nil {
		t.Fatal(err)
	}
	rd := n1.node.Ready()
	idx := rd.Entries[len(rd.Entries)-1].Index
	// The append leaves before the leader persists; node 2 acknowledges.
	for _, m := range rd.Messages {
		c.deliver(m)
	}
	for c.processReady(2) {
	}
	for _, m := range c.queue {
		c.deliver(m)
	}
	c.queue = nil
	if got := n1.node.Status().Commit; got >= idx {
		t.Fatalf("leader committed %d with only one durable copy (the follower's)", got)
	}
	// Now the leader's own write completes.
	_ = n1.storage.Append(rd.Entries)
	n1.node.Advance(rd)
	if got := n1.node.Status().Commit; got < idx {
		t.Fatalf("leader commit %d after its own write, want %d", got, idx)
	}
}

func TestReady_AppendAcknowledgementsWaitForPersist(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.nodes[1].node.Propose([]byte("x"))
	rd := c.nodes[1].node.Ready()
	c.queue = append(c.queue, rd.Messages...)
	_ = c.nodes[1].storage.Append(rd.Entries)
	c.nodes[1].node.Advance(rd)
	for _, m := range c.queue {
		c.deliver(m)
	}
	c.queue = nil
	f := c.nodes[2].node.Ready()
	for _, m := range f.Messages {
		if m.Type == MsgAppResp {
			t.Fatalf("append acknowledgement in Messages: %v", m)
		}
	}
	if len(f.Entries) == 0 || !f.MustSync {
		t.Fatalf("follower ready should carry the entries to persist")
	}
	c.nodes[2].node.Advance(f)
}
