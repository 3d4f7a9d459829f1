package raft

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Tests for log compaction and InstallSnapshot (§7, Figure 13).

// compact makes node id snapshot its applied state and drop its log
// before the applied index (the state machine here is the list of applied
// data, encoded as the snapshot's bytes).
func (c *testCluster) compact(id uint64) {
	tn := c.nodes[id]
	applied := tn.applied[len(tn.applied)-1].Index
	data := []byte(fmt.Sprint(c.appliedData(id)))
	if _, err := tn.storage.CreateSnapshot(applied, tn.node.ConfState(), data); err != nil {
		c.t.Fatal(err)
	}
	if err := tn.storage.Compact(applied); err != nil {
		c.t.Fatal(err)
	}
}

func TestSnapshot_7_LaggingFollowerCatchesUpByInstallSnapshot(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.isolate(3)
	for i := range 10 {
		c.propose(1, fmt.Sprintf("v%d", i))
	}
	c.compact(1)
	sawSnap := false
	c.hold = func(m Message) bool {
		sawSnap = sawSnap || (m.Type == MsgSnap && m.To == 3)
		return false
	}
	c.heal()
	c.tickAll(5)
	if !sawSnap {
		t.Fatal("the leader did not send a snapshot to the lagging follower")
	}
	snap, _ := c.nodes[3].storage.Snapshot()
	if snap.Meta.Index != c.status(1).FirstIndex-1 {
		t.Fatalf("follower snapshot at %d, want %d", snap.Meta.Index, c.status(1).FirstIndex-1)
	}
	c.propose(1, "after")
	if got := c.nodes[3].applied[len(c.nodes[3].applied)-1]; string(got.Data) != "after" {
		t.Fatalf("follower did not resume replication after the snapshot: last applied %+v", got)
	}
	if st := c.status(1).Progress[3]; st.State != ProgressReplicate {
		t.Fatalf("leader's view of node 3: %s, want replicate", st.State)
	}
}

// hashicorp/raft #697: a follower whose entry at the snapshot's last index
// has a different term must discard its whole log (Figure 13 rule 7). Had it
// kept that entry, every later append would fail the consistency check at
// that index and the leader would send the snapshot again, forever.
func TestSnapshot_7_ConflictAtSnapshotIndexDiscardsLog_hashicorp697(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(3)
	c.propose(3, "a")
	// Node 3 leads, but is cut off: the entries it appends go nowhere.
	c.isolate(3)
	for i := range 5 {
		c.nodes[3].node.Propose([]byte(fmt.Sprintf("stale%d", i)))
	}
	c.stabilize()
	staleLast := c.status(3).LastIndex
	// The majority elects a new leader and writes past that index...
	lead := c.waitLeader(1, 2)
	for c.status(lead).LastIndex < staleLast {
		c.propose(lead, "fresh")
	}
	// ...and takes a snapshot exactly there, where node 3 holds a
	// conflicting entry of its own term.
	c.compact(lead)
	if snap, _ := c.nodes[lead].storage.Snapshot(); snap.Meta.Index != staleLast {
		t.Fatalf("setup: snapshot at %d, want %d", snap.Meta.Index, staleLast)
	}
	c.propose(lead, "after")
	snaps := 0
	c.hold = func(m Message) bool {
		snaps += b2i(m.Type == MsgSnap && m.To == 3)
		return false
	}
	c.heal()
	c.tickAll(40)
	if snaps != 1 {
		t.Fatalf("leader sent %d snapshots to node 3, want exactly 1", snaps)
	}
	if a, b := c.logTerms(3), c.logTerms(lead); a != b {
		t.Fatalf("logs differ:\n node 3: %s\n leader: %s", a, b)
	}
	for _, d := range c.appliedData(3) {
		if strings.HasPrefix(d, "stale") {
			t.Fatalf("node 3 applied %q, an entry that was never committed", d)
		}
	}
	if got := c.appliedData(3); got[len(got)-1] != "after" {
		t.Fatalf("node 3 did not catch up after the snapshot: %v", got)
	}
}

// A follower that already has the snapshot's last entry keeps the entries
// after it (Figure 13 rule 6) and simply learns they are committed.
func TestSnapshot_7_MatchingLogIsKept(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	c.propose(1, "a")
	c.propose(1, "b")
	r2 := c.nodes[2].node.r
	last := r2.log.lastIndex()
	term, _ := r2.log.term(last - 1)
	restored := r2.restore(Snapshot{Meta: SnapshotMeta{Index: last - 1, Term: term}})
	if restored || r2.log.lastIndex() != last {
		t.Fatalf("restore discarded a matching log: restored=%v last=%d want %d", restored, r2.log.lastIndex(), last)
	}
}

func TestSnapshot_7_FollowerRestartsFromSnapshot(t *testing.T) {
	c := newTestCluster(t, 3)
	c.campaign(1)
	for i := range 5 {
		c.propose(1, fmt.Sprint(i))
	}
	c.compact(2)
	c.crash(2)
	c.restart(2)
	c.propose(1, "x")
	want := []string{"0", "1", "2", "3", "4", "x"}
	got := c.appliedData(2)
	if !slices.Equal(got[len(got)-1:], want[len(want)-1:]) {
		t.Fatalf("restarted follower applied %v", got)
	}
	if st := c.status(2); !slices.Equal(st.Config.Voters, []uint64{1, 2, 3}) {
		t.Fatalf("restarted follower lost its configuration: %+v", st.Config)
	}
}
