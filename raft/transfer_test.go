package raft

import (
	"errors"
	"testing"
)

// Tests for leadership transfer (thesis §3.10).

func TestTransfer_3_10_ToCaughtUpFollower(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	term := c.status(1).Term
	c.nodes[1].node.TransferLeader(3)
	c.stabilize()
	if got := c.leader(); got != 3 {
		t.Fatalf("leader is %d, want 3", got)
	}
	if got := c.status(3).Term; got != term+1 {
		t.Fatalf("transfer took term %d, want %d (one election, no pre-vote)", got, term+1)
	}
}

func TestTransfer_3_10_FromFollowerIsForwarded(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.nodes[2].node.TransferLeader(2)
	c.stabilize()
	if got := c.leader(); got != 2 {
		t.Fatalf("leader is %d, want 2", got)
	}
}

func TestTransfer_3_10_TargetIsCaughtUpFirst(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.isolate(3)
	for range 5 {
		c.propose(1, "x")
	}
	c.heal()
	c.nodes[1].node.TransferLeader(3)
	c.stabilize()
	if got := c.leader(); got != 3 {
		t.Fatalf("leader is %d, want 3", got)
	}
	if got := len(c.appliedData(3)); got != 5 {
		t.Fatalf("new leader applied %d entries, want 5", got)
	}
}

func TestTransfer_3_10_ProposalsRefusedWhileTransferring(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.isolate(3) // the transfer cannot complete
	c.nodes[1].node.TransferLeader(3)
	c.stabilize()
	if _, err := c.nodes[1].node.Propose([]byte("x")); !errors.Is(err, ErrProposalDropped) {
		t.Fatalf("proposal during transfer: %v, want ErrProposalDropped", err)
	}
	// After an election timeout the leader gives up and serves again.
	c.tick(1, c.status(1).ElectionTimeout)
	if c.status(1).State != StateLeader || c.status(1).LeadTransferee != None {
		t.Fatalf("transfer not abandoned: %+v", c.status(1))
	}
	if _, err := c.nodes[1].node.Propose([]byte("x")); err != nil {
		t.Fatalf("proposal after the transfer timed out: %v", err)
	}
}

func TestTransfer_3_10_ToLearnerIsIgnored(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.addNode(4)
	c.changeConf(1, ConfChange{Type: ConfChangeAddLearner, NodeID: 4})
	c.nodes[1].node.TransferLeader(4)
	c.stabilize()
	if c.leader() != 1 {
		t.Fatalf("a learner must never lead")
	}
}
