package server

import (
	"fmt"
	"testing"
	"time"
)

// Periodic auto compaction keeps the last <retention> of history: after a
// while, reads at revisions older than that fail as compacted on every
// member, and recent ones still work.
func TestAutoCompaction_PeriodicKeepsTheRetention(t *testing.T) {
	c := newMemberCluster(t, 3, func(cfg *Config) { cfg.AutoCompactionRetention = "10s" })
	lead := c.leader()
	revAt := map[int]int64{} // second → revision written then
	for sec := range 40 {
		r := c.put(lead, "k", fmt.Sprint(sec))
		revAt[sec] = r.KV.Put.Header.Revision
		c.tick(10) // one second
	}
	// Compactions ran (every 10 s, to what was current 10 s before), and
	// every member applied the same one.
	compacted := lead.store.CompactRevision()
	if compacted < revAt[20] || compacted > revAt[30] {
		t.Fatalf("compacted to %d; want between the revisions of seconds 20 (%d) and 30 (%d)", compacted, revAt[20], revAt[30])
	}
	for _, name := range c.names {
		if got := c.members[name].store.CompactRevision(); got != compacted {
			t.Fatalf("%s compacted to %d, the leader to %d", name, got, compacted)
		}
		// Followers sample too (a new leader needs the history), but keep
		// only what can still be a target: about a retention's worth.
		if n := len(c.members[name].compactor.samples); n > 12 {
			t.Fatalf("%s keeps %d revision samples after 40 s with a 10 s retention sampled every second", name, n)
		}
	}
}

// Revision mode keeps the last <retention> revisions, every five minutes.
func TestAutoCompaction_RevisionKeepsTheLastRevisions(t *testing.T) {
	c := newMemberCluster(t, 3, func(cfg *Config) {
		cfg.AutoCompactionMode, cfg.AutoCompactionRetention = CompactorModeRevision, "5"
	})
	lead := c.leader()
	var last int64
	for i := range 30 {
		last = c.put(lead, fmt.Sprintf("k%d", i), "v").KV.Put.Header.Revision
	}
	if got := lead.store.CompactRevision(); got != 0 {
		t.Fatalf("compacted to %d before five minutes passed", got)
	}
	c.tick(int(revisionCompactEvery/(100*time.Millisecond)) + 1)
	if got := lead.store.CompactRevision(); got != last-5 {
		t.Fatalf("compacted to %d, want %d (the last 5 of %d kept)", got, last-5, last)
	}
}

// Off by default (etcd's too): history is kept until someone compacts.
func TestAutoCompaction_OffByDefault(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	for i := range 5 {
		c.put(lead, "k", fmt.Sprint(i))
		c.tick(int(revisionCompactEvery / (100 * time.Millisecond)))
	}
	if got := lead.store.CompactRevision(); got != 0 {
		t.Fatalf("compacted to %d with auto compaction off", got)
	}
}

func TestParseCompactionRetention(t *testing.T) {
	for _, tc := range []struct {
		mode, retention string
		period          time.Duration
		revs            int64
		bad             bool
	}{
		{CompactorModePeriodic, "0", 0, 0, false},
		{CompactorModePeriodic, "1", time.Hour, 0, false},
		{CompactorModePeriodic, "30m", 30 * time.Minute, 0, false},
		{CompactorModeRevision, "1000", 0, 1000, false},
		{CompactorModeRevision, "1h", 0, 0, true},
		{CompactorModePeriodic, "-1h", 0, 0, true},
		{CompactorModePeriodic, "soon", 0, 0, true},
		{"weekly", "1", 0, 0, true},
	} {
		period, revs, err := parseCompactionRetention(tc.mode, tc.retention)
		if (err != nil) != tc.bad || period != tc.period || revs != tc.revs {
			t.Errorf("%s %q: %v %d %v", tc.mode, tc.retention, period, revs, err)
		}
	}
}
