package raft

import (
	"errors"
	"slices"
	"testing"
)

// Tests for single-server membership changes (thesis §4.1) and learners
// (thesis §4.2.1).

func (c *testCluster) changeConf(via uint64, cc ConfChange) {
	c.t.Helper()
	if _, err := c.nodes[via].node.ProposeConfChange(cc); err != nil {
		c.t.Fatalf("propose %v via %d: %v", cc, via, err)
	}
	c.stabilize()
}

func TestMembership_4_1_AddVoter(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	c.addNode(4)
	c.changeConf(1, ConfChange{Type: ConfChangeAddVoter, NodeID: 4})
	c.propose(1, "b")
	for _, id := range c.ids {
		if got := c.status(id).Config.Voters; !slices.Equal(got, []uint64{1, 2, 3, 4}) {
			t.Errorf("node %d voters %v", id, got)
		}
	}
	if got := c.appliedData(4); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("new node applied %v", got)
	}
	// With four voters, losing two stops progress: the quorum really grew.
	c.crash(2)
	c.crash(3)
	c.nodes[1].node.Propose([]byte("c"))
	c.tickAll(3)
	if slices.Contains(c.appliedData(1), "c") {
		t.Fatal("committed with 2 of 4 voters")
	}
}

func TestMembership_4_1_RemoveFollower(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.changeConf(1, ConfChange{Type: ConfChangeRemove, NodeID: 3})
	c.crash(3)
	// Two voters remain; both are needed, and enough.
	c.propose(1, "a")
	if got := c.appliedData(2); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("node 2 applied %v", got)
	}
}

// etcd-io/raft #83: a leader that removes itself must step down; if it kept
// sending heartbeats, the remaining members would never elect a leader.
func TestMembership_4_1_RemovedLeaderStepsDown_etcdraft83(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.changeConf(1, ConfChange{Type: ConfChangeRemove, NodeID: 1})
	if st := c.status(1); st.State == StateLeader {
		t.Fatal("removed leader still leads")
	}
	heartbeats := 0
	c.hold = func(m Message) bool {
		heartbeats += b2i(m.From == 1 && (m.Type == MsgHeartbeat || m.Type == MsgApp))
		return false
	}
	lead := c.waitLeader(2, 3)
	c.tickAll(50)
	if heartbeats > 0 {
		t.Fatalf("removed node sent %d heartbeats/appends", heartbeats)
	}
	c.propose(lead, "after")
	if !slices.Contains(c.appliedData(2), "after") || !slices.Contains(c.appliedData(3), "after") {
		t.Fatal("remaining members cannot commit")
	}
	// The removed node never campaigns.
	if c.status(1).State != StateFollower {
		t.Fatalf("removed node is %s", c.status(1).State)
	}
}

// The removed leader's MsgTimeoutNow usually reaches its target together
// with the append that commits the removal, before the target has applied
// it. The target may not campaign under a configuration it has not applied
// yet, but it must not forget that it was told to: it campaigns as soon as
// it has applied the change. Before, it dropped the request, and the
// cluster sat leaderless for an election timeout, as if the leader had
// crashed instead of handing over.
func TestMembership_RemovedLeaderHandOverSurvivesUnappliedRemoval(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.changeConf(1, ConfChange{Type: ConfChangeRemove, NodeID: 1}) // no tick: stabilize only
	ls := c.leaders()
	if _, removedLeads := ls[1]; len(ls) != 1 || removedLeads {
		t.Fatalf("without any tick, leaders %v: want one of 2 and 3 elected at once", ls)
	}
	for id := range ls {
		if c.status(id).Config.Voters[0] == 1 {
			t.Fatalf("the new leader %d campaigned under the old configuration", id)
		}
	}
}

func TestMembership_4_1_OneChangeAtATime(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.isolate(2)
	c.isolate(3) // the first change cannot commit
	if _, err := c.nodes[1].node.ProposeConfChange(ConfChange{Type: ConfChangeAddLearner, NodeID: 4}); err != nil {
		t.Fatal(err)
	}
	_, err := c.nodes[1].node.ProposeConfChange(ConfChange{Type: ConfChangeAddLearner, NodeID: 5})
	if !errors.Is(err, ErrConfChangeRejected) {
		t.Fatalf("second concurrent change: %v, want ErrConfChangeRejected", err)
	}
}

func TestMembership_4_2_1_LearnersReplicateButDoNotVote(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.addNode(4)
	c.changeConf(1, ConfChange{Type: ConfChangeAddLearner, NodeID: 4})
	c.propose(1, "a")
	if got := c.appliedData(4); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("learner applied %v", got)
	}
	// The learner never campaigns, however long it waits.
	c.isolate(4)
	c.tick(4, 100)
	if st := c.status(4); st.State != StateFollower {
		t.Fatalf("learner became %s", st.State)
	}
	c.heal()
	// It does not count toward the quorum: with two voters down, nothing commits.
	c.crash(2)
	c.crash(3)
	c.nodes[1].node.Propose([]byte("b"))
	c.stabilize()
	if slices.Contains(c.appliedData(1), "b") {
		t.Fatal("a learner's copy counted toward the quorum")
	}
	c.restart(2)
	c.restart(3)
	c.tickAll(30)
	// Promote it; now it votes.
	lead := c.waitLeader()
	c.changeConf(lead, ConfChange{Type: ConfChangeAddVoter, NodeID: 4})
	if got := c.status(4).Config.Voters; !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Fatalf("after promotion voters are %v", got)
	}
}

func TestMembership_NewNodeCatchesUpFromSnapshot(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	for range 5 {
		c.propose(1, "x")
	}
	c.compact(1)
	c.addNode(4)
	c.changeConf(1, ConfChange{Type: ConfChangeAddLearner, NodeID: 4})
	c.tickAll(5)
	c.propose(1, "y")
	got := c.appliedData(4)
	if len(got) == 0 || got[len(got)-1] != "y" {
		t.Fatalf("new node applied %v", got)
	}
	if snap, _ := c.nodes[4].storage.Snapshot(); snap.IsEmpty() {
		t.Fatal("new node should have caught up via a snapshot")
	}
}
