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
// instead of backing up one entry at a time (§5.3, last paragraphs).
func TestReplication_5_3_ConflictHintSkipsWholeTerm(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.isolate(1)
	for i := range 50 {
		c.nodes[1].node.Propose([]byte(fmt.Sprintf("stale%d", i)))
		c.stabilize()
	}
	lead := c.waitLeader(2, 3)
	for i := range 50 {
		c.propose(lead, fmt.Sprintf("new%d", i))
	}
	rejections := 0
	c.hold = func(m Message) bool {
		if m.Type == MsgAppResp && m.From == 1 && m.Reject {
			rejections++
		}
		return false
	}
	c.heal()
	c.tickAll(20)
	c.hold = nil
	if rejections > 2 {
		t.Fatalf("leader needed %d rejected probes to find the match point; the hint should make it at most 2", rejections)
	}
	if a, b := c.logTerms(1), c.logTerms(lead); a != b {
		t.Fatalf("logs differ:\n%s\n%s", a, b)
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
