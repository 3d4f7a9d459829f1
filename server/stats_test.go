package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/kv"
)

// etcd counts a leader change when a member learns of a new leader
// (etcd_server_leader_changes_seen_total); losing the old one first, as
// every follower does when its leader crashes, is not a second change.
func TestStats_LeaderChangesCountNewLeadersNotLosses(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	for _, m := range c.members {
		if n := m.Stats().LeaderChanges; n != 1 {
			t.Fatalf("member %x saw %d leader changes after the first election, want 1", m.ID(), n)
		}
	}
	c.crash(c.byID[lead.ID()])
	c.down[lead.ID()] = true
	next := c.leader()
	for _, m := range c.followers(nil) {
		if n := m.Stats().LeaderChanges; n != 2 {
			t.Fatalf("member %x saw %d leader changes after %x took over, want 2", m.ID(), n, next.ID())
		}
	}
}

// A leader whose loop was held up sends its next heartbeats late; etcd
// counts each one sent more than two heartbeat intervals after the
// previous to the same follower (etcd_server_heartbeat_send_failures_total).
func TestStats_LateHeartbeatsAreCounted(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	c.tick(5)
	if n := lead.Stats().HeartbeatSendFailures; n != 0 {
		t.Fatalf("%d heartbeat failures while on time", n)
	}
	c.now = c.now.Add(time.Second) // the loop stalls for a second
	c.tick(1)
	if n := lead.Stats().HeartbeatSendFailures; n != 2 {
		t.Fatalf("%d heartbeat failures after a stall, want one per follower (2)", n)
	}
	c.tick(5)
	if n := lead.Stats().HeartbeatSendFailures; n != 2 {
		t.Fatalf("%d heartbeat failures once back on time, want still 2", n)
	}
}

// Every member counts what the applied requests did, as etcd's MVCC layer
// counts it: each put, delete and range executed (inside transactions too)
// and each transaction that did more than one of them.
func TestStats_AppliedRequestsAreCountedAsEtcdsMVCCCountsThem(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	before := make(map[uint64]Stats)
	for _, m := range c.members {
		before[m.ID()] = m.Stats()
	}
	put := func(k, v string) kv.RequestOp {
		return kv.RequestOp{Put: &kv.PutRequest{Key: []byte(k), Value: []byte(v)}}
	}
	get := func(k string) kv.RequestOp { return kv.RequestOp{Range: &kv.RangeRequest{Key: []byte(k)}} }
	for _, req := range []*kv.Request{
		{Put: &kv.PutRequest{Key: []byte("a"), Value: []byte("12")}},
		{DeleteRange: &kv.DeleteRangeRequest{Key: []byte("a")}},
		// Two operations: one txn. Only the branch that ran counts.
		{Txn: &kv.TxnRequest{Success: []kv.RequestOp{get("b"), put("b", "1")}, Failure: []kv.RequestOp{put("x", "y")}}},
		// One operation: counted as a put, not as a txn.
		{Txn: &kv.TxnRequest{Success: []kv.RequestOp{put("c", "345")}}},
		// A nested transaction's operations add to its parent's.
		{Txn: &kv.TxnRequest{Success: []kv.RequestOp{{Txn: &kv.TxnRequest{Success: []kv.RequestOp{get("c"), get("b")}}}}}},
	} {
		if r := c.write(lead, req); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	c.tick(2) // followers learn the last commit
	for _, m := range c.members {
		b, a := before[m.ID()], m.Stats()
		got := [5]uint64{a.Puts - b.Puts, a.Deletes - b.Deletes, a.Ranges - b.Ranges, a.Txns - b.Txns, a.PutBytes - b.PutBytes}
		if want := [5]uint64{3, 1, 3, 2, 3 + 2 + 4}; got != want {
			t.Fatalf("member %x counted puts, deletes, ranges, txns, put bytes %v, want %v", m.ID(), got, want)
		}
		if a.Apply.Count <= b.Apply.Count || a.Fsync.Count <= b.Fsync.Count || a.WALBytes <= b.WALBytes {
			t.Fatalf("member %x: apply batches %d→%d, fsyncs %d→%d, WAL bytes %d→%d: each should grow",
				m.ID(), b.Apply.Count, a.Apply.Count, b.Fsync.Count, a.Fsync.Count, b.WALBytes, a.WALBytes)
		}
	}
}

// The histogram's buckets are etcd's, and a duration on a bound falls in
// that bound's bucket (Prometheus' "le").
func TestDurationHistogramBucketsAsPrometheus(t *testing.T) {
	var h DurationHistogram
	for _, d := range []time.Duration{0, time.Millisecond, time.Millisecond + 1, 8192 * time.Millisecond, time.Minute} {
		h.observe(d)
	}
	want := [len(diskLatencyBounds) + 1]uint64{0: 2, 1: 1, 13: 1, 14: 1}
	if h.Counts != want || h.Count != 5 {
		t.Fatalf("counts %v (%d), want %v (5)", h.Counts, h.Count, want)
	}
}

// A follower installing the leader's snapshot says so while it does
// (etcd_server_snapshot_apply_in_progress_total), and only then.
func TestStats_SnapshotApplyIsVisibleWhileItRuns(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	laggard := c.names[0]
	if c.members[laggard] == lead {
		laggard = c.names[1]
	}
	c.crash(laggard)
	for i := range 150 { // past the harness's snapshot count
		if r := c.put(lead, fmt.Sprintf("k%d", i), "v"); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	c.start(laggard)
	m := c.members[laggard]
	var during []bool // ApplyingSnapshot as the restore logs its line
	m.env.Logger = loggerFunc(func(format string, args ...any) {
		if strings.HasPrefix(format, "restored snapshot") {
			during = append(during, m.ApplyingSnapshot())
		}
	})
	c.tick(5)
	if len(during) != 1 || !during[0] {
		t.Fatalf("ApplyingSnapshot while restoring: %v, want [true]", during)
	}
	if m.ApplyingSnapshot() {
		t.Fatal("ApplyingSnapshot still set after the restore")
	}
}

// Leases granted, revoked and expired are counted as etcd counts them:
// grants and revocations by every member as it applies them, expiries by
// the leader that decided them.
func TestStats_LeasesAreCounted(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	if r := c.write(lead, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 3}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.tick(40) // 4 s: the lease has expired and been revoked
	for _, m := range c.members {
		st := m.Stats()
		if st.LeasesGranted != 1 || st.LeasesRevoked != 1 {
			t.Fatalf("member %x counted %d grants and %d revocations, want 1 and 1", m.ID(), st.LeasesGranted, st.LeasesRevoked)
		}
		if want := uint64(boolValue(m == lead)); st.LeasesExpired != want {
			t.Fatalf("member %x counted %d expiries, want %d", m.ID(), st.LeasesExpired, want)
		}
	}
}

type loggerFunc func(format string, args ...any)

func (f loggerFunc) Printf(format string, args ...any) { f(format, args...) }
