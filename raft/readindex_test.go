package raft

import (
	"fmt"
	"testing"
)

// Tests for linearizable reads through ReadIndex (thesis §6.4) and the
// read-index bugs real libraries shipped.

func readsOf(c *testCluster, id uint64) []ReadIndexResult {
	rs := c.nodes[id].reads
	c.nodes[id].reads = nil
	return rs
}

func TestReadIndex_6_4_LeaderConfirmsLeadershipThenAnswers(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	commit := c.status(1).Commit
	heartbeats := 0
	c.hold = func(m Message) bool {
		heartbeats += b2i(m.Type == MsgHeartbeat)
		return false
	}
	if err := c.nodes[1].node.ReadIndex([]byte("r1")); err != nil {
		t.Fatal(err)
	}
	c.stabilize()
	rs := readsOf(c, 1)
	if len(rs) != 1 || string(rs[0].RequestCtx) != "r1" || rs[0].Index != commit || rs[0].Dropped {
		t.Fatalf("read states %+v, want one for r1 at index %d", rs, commit)
	}
	if heartbeats == 0 {
		t.Fatal("the leader answered without a heartbeat round")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestReadIndex_6_4_IsolatedLeaderCannotAnswer(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.isolate(1)
	c.nodes[1].node.ReadIndex([]byte("r"))
	c.stabilize()
	for _, rs := range readsOf(c, 1) {
		if !rs.Dropped {
			t.Fatalf("an isolated leader answered a read: %+v", rs)
		}
	}
	// CheckQuorum makes it step down; the read is then reported dropped.
	c.tick(1, 2*c.status(1).ElectionTimeout)
	rs := readsOf(c, 1)
	if len(rs) != 1 || !rs[0].Dropped {
		t.Fatalf("after stepping down the read should be dropped, got %+v", rs)
	}
}

func TestReadIndex_6_4_FollowerForwardsToLeader(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	if err := c.nodes[2].node.ReadIndex([]byte("f")); err != nil {
		t.Fatal(err)
	}
	c.stabilize()
	rs := readsOf(c, 2)
	if len(rs) != 1 || rs[0].Index != c.status(1).Commit || string(rs[0].RequestCtx) != "f" {
		t.Fatalf("follower read states %+v, want index %d", rs, c.status(1).Commit)
	}
}

func TestReadIndex_6_4_WithoutLeaderFails(t *testing.T) {
	c := newTestCluster(t, 3)
	if err := c.nodes[2].node.ReadIndex([]byte("x")); err != ErrReadIndexNotReady {
		t.Fatalf("ReadIndex with no leader: %v, want ErrReadIndexNotReady", err)
	}
}

// etcd #7331: a new leader's commit index may lag the cluster's; it must not
// answer reads until it commits an entry of its own term.
func TestReadIndex_6_4_NewLeaderWaitsForTermCommit_etcd7331(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	// Node 2 takes over, but its first appends (the no-op) are held back.
	c.hold = func(m Message) bool { return m.From == 2 && m.Type == MsgApp }
	c.nodes[1].node.TransferLeader(2)
	c.stabilize()
	if c.status(2).State != StateLeader {
		t.Fatalf("setup: node 2 should lead")
	}
	noop := c.status(2).LastIndex
	c.nodes[2].node.ReadIndex([]byte("early"))
	c.stabilize()
	if rs := readsOf(c, 2); len(rs) != 0 {
		t.Fatalf("new leader answered a read before committing in its term: %+v", rs)
	}
	c.hold = nil
	c.releaseHeld(nil)
	c.stabilize()
	rs := readsOf(c, 2)
	if len(rs) != 1 || rs[0].Index < noop {
		t.Fatalf("read states %+v, want one at index >= %d (the no-op)", rs, noop)
	}
}

// etcd #20418: a read's confirmation must come from a heartbeat round started
// after the read. Here the same request context is retried; late answers to
// the first round must not release the retry.
func TestReadIndex_6_4_LateAckOfEarlierRoundDoesNotRelease_etcd20418(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.hold = func(m Message) bool { return m.Type == MsgHeartbeatResp }
	c.nodes[1].node.ReadIndex([]byte("same"))
	c.stabilize()
	round1 := c.held
	c.held = nil
	if len(round1) == 0 {
		t.Fatal("setup: expected held heartbeat answers")
	}
	// Answer round 1: the first read is released.
	for _, m := range round1 {
		c.nodes[1].node.Step(m)
	}
	c.stabilize()
	if rs := readsOf(c, 1); len(rs) != 1 {
		t.Fatalf("first read: %+v", rs)
	}
	// The client retries with the same context; meanwhile more entries commit.
	c.hold = nil
	c.propose(1, "b")
	c.hold = func(m Message) bool { return m.Type == MsgHeartbeatResp }
	c.nodes[1].node.ReadIndex([]byte("same"))
	c.stabilize()
	c.held = nil // the answers to round 2 are lost
	// Replayed (duplicated) answers to round 1 arrive.
	for _, m := range round1 {
		c.nodes[1].node.Step(m)
	}
	c.stabilize()
	if rs := readsOf(c, 1); len(rs) != 0 {
		t.Fatalf("late answers of an earlier round released the retried read: %+v", rs)
	}
	// A fresh heartbeat round confirms it.
	c.hold = nil
	c.nodes[1].node.r.Step(Message{Type: MsgBeat})
	c.stabilize()
	if rs := readsOf(c, 1); len(rs) != 1 || rs[0].Index != c.status(1).Commit {
		t.Fatalf("after a fresh round: %+v", rs)
	}
}

// One heartbeat round serves every read that is waiting when it starts.
func TestReadIndex_6_4_ManyReadsOneRoundEach(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	for i := range 10 {
		c.nodes[1].node.ReadIndex([]byte(fmt.Sprint(i)))
	}
	c.stabilize()
	rs := readsOf(c, 1)
	if len(rs) != 10 {
		t.Fatalf("got %d read states, want 10", len(rs))
	}
	for i, r := range rs {
		if string(r.RequestCtx) != fmt.Sprint(i) {
			t.Fatalf("reads answered out of order: %d is %q", i, r.RequestCtx)
		}
	}
}

func TestReadIndex_DroppedWhenLeadershipChanges(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.hold = func(m Message) bool { return m.Type == MsgHeartbeatResp }
	c.nodes[1].node.ReadIndex([]byte("local"))
	c.nodes[3].node.ReadIndex([]byte("forwarded"))
	c.stabilize()
	c.hold = nil
	c.held = nil
	c.nodes[1].node.TransferLeader(2)
	c.stabilize()
	for _, id := range []uint64{1, 3} {
		rs := readsOf(c, id)
		if len(rs) != 1 || !rs[0].Dropped {
			t.Fatalf("node %d: read states %+v, want one dropped", id, rs)
		}
	}
}
