package server

import (
	"errors"
	"fmt"
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
	c.Alarms = []wire.AlarmMember{{MemberID: 42, Alarm: wire.AlarmNoSpace}}
	var b strings.Builder
	if err := writeSnapshotPayload(&b, c, kv.New(kv.Config{}).Snapshot); err != nil {
		t.Fatal(err)
	}
	got, err := readSnapshotPayload(strings.NewReader(b.String()), kv.New(kv.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	if !got.hasAlarm(wire.AlarmNoSpace) || got.Alarms[0].MemberID != 42 {
		t.Fatalf("alarms after a snapshot: %+v", got.Alarms)
	}
}
