package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// Over the space quota: the write that would cross it is refused and raises
// NOSPACE through the log; then every member refuses writes that add data,
// while reads, deletes and compactions go on; disarming after making room
// lets writes in again.
func TestQuota_NoSpaceAlarm(t *testing.T) {
	c := newMemberCluster(t, 3, func(cfg *Config) { cfg.QuotaBackendBytes = 8 << 10 })
	lead := c.leader()
	value := strings.Repeat("v", 200)
	var refused Result
	for i := range 100 {
		r := c.put(lead, fmt.Sprintf("k%02d", i), value)
		if r.Err != nil {
			refused = r
			break
		}
	}
	if !errors.Is(refused.Err, ErrNoSpace) {
		t.Fatalf("filling the store: %v, want %v", refused.Err, ErrNoSpace)
	}
	c.settle()
	for _, name := range c.names {
		if m := c.members[name]; !m.cluster.hasAlarm(wire.AlarmNoSpace) {
			t.Fatalf("%s does not know the NOSPACE alarm", name)
		}
	}
	// Refused through any member, whatever its own quota says: a tiny put
	// would fit, but the alarm is on.
	for _, m := range append(c.followers(lead), lead) {
		if r := c.put(m, "tiny", "1"); !errors.Is(r.Err, ErrNoSpace) {
			t.Fatalf("put through %x under the alarm: %v", m.ID(), r.Err)
		}
	}
	if r := c.write(lead, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 60}}); !errors.Is(r.Err, ErrNoSpace) {
		t.Fatalf("lease grant under the alarm: %v", r.Err)
	}
	if _, ok := c.get(lead, "k00"); !ok {
		t.Fatal("a read failed under the alarm")
	}
	// Make room: delete, compact, disarm.
	del := c.write(lead, &kv.Request{DeleteRange: &kv.DeleteRangeRequest{Key: []byte("k"), RangeEnd: []byte("l")}})
	if del.Err != nil {
		t.Fatalf("delete under the alarm: %v", del.Err)
	}
	if r := c.write(lead, &kv.Request{Compaction: &kv.CompactionRequest{Revision: del.KV.DeleteRange.Header.Revision}}); r.Err != nil {
		t.Fatalf("compaction under the alarm: %v", r.Err)
	}
	var res *Result
	lead.Alarm(wire.AlarmDeactivate, lead.ID(), wire.AlarmNoSpace, c.now.Add(5*time.Second), func(r Result) { res = &r })
	c.settle()
	if res == nil || res.Err != nil || len(res.Alarms) != 1 {
		t.Fatalf("disarm: %+v", res)
	}
	if r := c.put(c.followers(lead)[0], "after", "room"); r.Err != nil {
		t.Fatalf("put after making room and disarming: %v", r.Err)
	}
	for _, name := range c.names {
		if c.members[name].cluster.hasAlarm(wire.AlarmNoSpace) {
			t.Fatalf("%s still has the alarm", name)
		}
	}
}

// A negative quota turns the quota off; 0 is etcd's default.
func TestQuota_Bytes(t *testing.T) {
	for q, want := range map[int64]int64{0: 2 << 30, -1: 0, 4096: 4096} {
		if got := quotaBytes(Config{QuotaBackendBytes: q}); got != want {
			t.Errorf("quotaBytes(%d) = %d, want %d", q, got, want)
		}
	}
}

// What counts against the quota: what adds data.
func TestQuota_RequestCost(t *testing.T) {
	put := &kv.PutRequest{Key: []byte("k"), Value: []byte("v")}
	for name, tc := range map[string]struct {
		req  kv.Request
		adds bool
	}{
		"put":          {kv.Request{Put: put}, true},
		"lease grant":  {kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 5}}, true},
		"txn with put": {kv.Request{Txn: &kv.TxnRequest{Failure: []kv.RequestOp{{Put: put}}}}, true},
		"nested put":   {kv.Request{Txn: &kv.TxnRequest{Success: []kv.RequestOp{{Txn: &kv.TxnRequest{Success: []kv.RequestOp{{Put: put}}}}}}}, true},
		"delete":       {kv.Request{DeleteRange: &kv.DeleteRangeRequest{Key: []byte("k")}}, false},
		"compaction":   {kv.Request{Compaction: &kv.CompactionRequest{Revision: 2}}, false},
		"read txn":     {kv.Request{Txn: &kv.TxnRequest{Success: []kv.RequestOp{{Range: &kv.RangeRequest{Key: []byte("k")}}}}}, false},
		"lease revoke": {kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: 1}}, false},
	} {
		if got := requestCost(&tc.req) > 0; got != tc.adds {
			t.Errorf("%s: adds data = %v, want %v", name, got, tc.adds)
		}
	}
}

// Alarms are replicated state: a snapshot carries them, so a member that
// catches up by snapshot refuses what the others refuse.
func TestQuota_AlarmsTravelInSnapshots(t *testing.T) {
	c := newCluster(7)
	c.Alarms = []wire.AlarmMember{{MemberID: 42, Alarm: wire.AlarmNoSpace}, {MemberID: 43, Alarm: wire.AlarmCorrupt}}
	var b strings.Builder
	if err := writeSnapshotPayload(&b, c, kv.New(kv.Config{}).Snapshot); err != nil {
		t.Fatal(err)
	}
	got, err := readSnapshotPayload(strings.NewReader(b.String()), kv.New(kv.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Alarms, c.Alarms) {
		t.Fatalf("alarms after a snapshot: %+v, want %+v", got.Alarms, c.Alarms)
	}
}

// CORRUPT, raised through the log for one member, makes every member refuse
// every write — puts, deletes, txns, compactions, lease grants and revokes,
// through whichever member they come — with etcd's "etcdserver: corrupt
// cluster", while reads go on. The alarm outlives a restart (the refused
// writes take log slots, so the restarted member starts from a snapshot
// taken under the alarm); disarming lets writes in again.
func TestAlarm_CorruptRefusesEveryWrite(t *testing.T) {
	c := newMemberCluster(t, 3, func(cfg *Config) { cfg.SnapshotCount = 5 })
	lead := c.leader()
	c.put(lead, "k", "v")
	grant := c.write(lead, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 60}})
	if grant.Err != nil {
		t.Fatal(grant.Err)
	}
	victim := c.followers(lead)[1]
	var raised *Result
	lead.Alarm(wire.AlarmActivate, victim.ID(), wire.AlarmCorrupt, c.now.Add(5*time.Second), func(r Result) { raised = &r })
	c.settle()
	if raised == nil || raised.Err != nil || len(raised.Alarms) != 1 {
		t.Fatalf("raising CORRUPT: %+v", raised)
	}
	alarmApplied := lead.Applied()
	writes := map[string]*kv.Request{
		"put":          {Put: &kv.PutRequest{Key: []byte("k"), Value: []byte("w")}},
		"delete":       {DeleteRange: &kv.DeleteRangeRequest{Key: []byte("k")}},
		"txn":          {Txn: &kv.TxnRequest{Success: []kv.RequestOp{{Put: &kv.PutRequest{Key: []byte("t"), Value: []byte("1")}}}}},
		"compaction":   {Compaction: &kv.CompactionRequest{Revision: 2}},
		"lease grant":  {LeaseGrant: &kv.LeaseGrantRequest{TTL: 60}},
		"lease revoke": {LeaseRevoke: &kv.LeaseRevokeRequest{ID: grant.KV.LeaseGrant.ID}},
	}
	refusedEverywhere := func(when string) {
		t.Helper()
		for _, name := range c.names {
			m := c.members[name]
			if !m.cluster.hasAlarm(wire.AlarmCorrupt) {
				t.Fatalf("%s: %s does not know the CORRUPT alarm", when, name)
			}
			for what, req := range writes {
				r := c.write(m, req)
				if !errors.Is(r.Err, ErrCorrupt) || r.Err.Error() != "etcdserver: corrupt cluster" {
					t.Fatalf("%s: %s through %s under CORRUPT: %v", when, what, name, r.Err)
				}
			}
			if v, ok := c.get(m, "k"); !ok || v != "v" {
				t.Fatalf("%s: read through %s under CORRUPT: %q, %v", when, name, v, ok)
			}
		}
	}
	refusedEverywhere("raised")

	name := c.byID[victim.ID()]
	c.crash(name)
	c.start(name)
	if m := c.members[name]; m.snapshotIndex < alarmApplied || !m.cluster.hasAlarm(wire.AlarmCorrupt) {
		t.Fatalf("restarted from a snapshot at %d (the alarm was applied by %d), alarms %+v", m.snapshotIndex, alarmApplied, m.cluster.Alarms)
	}
	c.settle()
	refusedEverywhere("after a restart")

	var cleared *Result
	lead = c.leader()
	lead.Alarm(wire.AlarmDeactivate, victim.ID(), wire.AlarmCorrupt, c.now.Add(5*time.Second), func(r Result) { cleared = &r })
	c.settle()
	if cleared == nil || cleared.Err != nil || len(cleared.Alarms) != 1 {
		t.Fatalf("disarm: %+v", cleared)
	}
	if r := c.put(c.members[name], "k", "after"); r.Err != nil {
		t.Fatalf("put after disarming: %v", r.Err)
	}
}
