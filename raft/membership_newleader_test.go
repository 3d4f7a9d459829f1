package raft

import (
	"errors"
	"testing"
)

// A new leader may hold a configuration change in the uncommitted tail it
// inherited. Until that tail is applied it cannot know whether the change
// is in force, so it must refuse a second one: two changes in flight at
// once would break the "majorities of consecutive configurations overlap"
// argument of thesis §4.1. (raft.go, becomeLeader: pendingConfIndex.)
func TestMembership_4_1_NewLeaderRefusesChangeWhileInheritedOneIsUnapplied(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")

	// Node 1 appends a change that reaches node 2 but is never committed:
	// node 3 hears nothing and node 2's acknowledgements are lost.
	c.isolate(3)
	c.drop(2, 1)
	if _, err := c.nodes[1].node.ProposeConfChange(ConfChange{Type: ConfChangeAddLearner, NodeID: 4}); err != nil {
		t.Fatal(err)
	}
	c.stabilize()

	// Node 1 goes away; node 2 wins with node 3's vote, but its appends to
	// node 3 are held back, so nothing of its term commits yet.
	c.heal()
	c.isolate(1)
	c.hold = func(m Message) bool { return m.From == 2 && m.To == 3 && (m.Type == MsgApp || m.Type == MsgHeartbeat) }
	for i := 0; i < 100 && c.status(2).State != StateLeader; i++ {
		c.tickAll(1)
	}
	if st := c.status(2); st.State != StateLeader {
		t.Fatalf("node 2 is %s, want leader", st.State)
	}
	// Node 2's log ends with the inherited change and its own no-op.
	if last, _ := c.nodes[2].storage.LastIndex(); c.status(2).Applied >= last-1 {
		t.Fatalf("setup: the inherited change is already applied (applied %d, last %d)", c.status(2).Applied, last)
	}
	_, err := c.nodes[2].node.ProposeConfChange(ConfChange{Type: ConfChangeAddLearner, NodeID: 5})
	if !errors.Is(err, ErrConfChangeRejected) {
		t.Fatalf("new change while an inherited one is unapplied: %v, want ErrConfChangeRejected", err)
	}

	// Once node 3 hears from it, the inherited change commits and applies,
	// and a new change is accepted.
	c.hold = nil
	c.releaseHeld(nil)
	c.tickAll(2)
	if _, err := c.nodes[2].node.ProposeConfChange(ConfChange{Type: ConfChangeAddLearner, NodeID: 5}); err != nil {
		t.Fatalf("change after the inherited one applied: %v", err)
	}
}
