package sim

import (
	"slices"
	"strings"
	"testing"
)

// Same seed, same run: the whole trace (the members' own log lines too)
// and the digest of every event and client outcome match.
func TestMemberSim_SameSeedSameRun(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		cfg := DefaultMemberConfig(seed)
		cfg.Trace = 2
		a, b := RunMember(cfg), RunMember(cfg)
		if a.Digest != b.Digest || !slices.Equal(a.Trace, b.Trace) {
			for i := range min(len(a.Trace), len(b.Trace)) {
				if a.Trace[i] != b.Trace[i] {
					t.Fatalf("seed %d ran differently twice, from line %d:\n%s\n%s", seed, i, a.Trace[i], b.Trace[i])
				}
			}
			t.Fatalf("seed %d ran differently twice (digests %x and %x)", seed, a.Digest, b.Digest)
		}
		if len(a.Trace) < 100 || a.Stats.OpsOK < 100 {
			t.Fatalf("seed %d: suspiciously little happened (%d trace lines, %d operations)", seed, len(a.Trace), a.Stats.OpsOK)
		}
	}
	if RunMember(DefaultMemberConfig(5)).Digest == RunMember(DefaultMemberConfig(7)).Digest {
		t.Fatal("different seeds produced the same run")
	}
}

// A handful of seeds so that `go test` alone exercises the member-level
// simulator; `make sim-member` (part of `make test`) runs hundreds more.
func TestMemberSim_SeedsPass(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		res := RunMember(DefaultMemberConfig(seed))
		if !res.Passed() {
			t.Fatalf("seed %d failed at %s: %s\nreplay: go run ./cmd/raftsim -mode member -seed %d", seed, res.At, res.Violation, seed)
		}
	}
}

// The faults really happen, and the checks really check: across a few
// seeds, every kind of fault is injected and every check sees work.
func TestMemberSim_EverythingHappens(t *testing.T) {
	var total MemberStats
	for seed := uint64(1); seed <= 12; seed++ {
		res := RunMember(DefaultMemberConfig(seed))
		if !res.Passed() {
			t.Fatalf("seed %d: %s", seed, res.Violation)
		}
		st := res.Stats
		total.Crashes += st.Crashes
		total.TornCrashes += st.TornCrashes
		total.Corruptions += st.Corruptions
		total.Replacements += st.Replacements
		total.Moves += st.Moves
		total.SnapshotsSent += st.SnapshotsSent
		total.Pauses += st.Pauses
		total.SlowDisks += st.SlowDisks
		total.OpsUnknown += st.OpsUnknown
		total.CheckedOps += st.CheckedOps
		total.CheckedRanges += st.CheckedRanges
		total.CheckedWatchRevs += st.CheckedWatchRevs
		total.LeasesExpired += st.LeasesExpired
		total.KeepAlives += st.KeepAlives
		total.WatchReconnects += st.WatchReconnects
	}
	for name, n := range map[string]int{
		"crashes": total.Crashes, "crashes in the middle of a write": total.TornCrashes,
		"bit flips": total.Corruptions, "member replacements": total.Replacements, "member moves": total.Moves,
		"snapshots sent": total.SnapshotsSent, "pauses": total.Pauses, "slow disks": total.SlowDisks,
		"operations of unknown outcome": total.OpsUnknown, "operations checked by porcupine": total.CheckedOps,
		"range scans checked": total.CheckedRanges, "watch revisions checked": total.CheckedWatchRevs,
		"leases expired": total.LeasesExpired, "keep-alives": total.KeepAlives, "watch reconnections": total.WatchReconnects,
	} {
		if n == 0 {
			t.Errorf("no %s in 12 seeds", name)
		}
	}
}

// Seeds that found bugs, kept so that the bugs stay fixed. Each replays
// the exact run that first showed the bug.
var memberRegressions = []struct {
	seed uint64
	bug  string
}{
	{2, "server: waiting requests were retried and answered in Go's map order, so a seed did not replay"},
	{5, "server: a joining member took the ID of a just-removed member from a lagging peer's member list"},
	{14, "server: a joined member restarted before receiving its first entries knew no peer and stayed at index 0"},
	{18, "wal: a bit flip in a hard-state record was taken for a torn tail, and acknowledged entries after it were cut"},
	{29, "server: a member down while a new member joined could never answer that member once it led"},
	{67, "wal (first fix): a tail of several unsynced writes, some kept, was taken for corruption"},
	{131, "wal (first fix): a tail of several unsynced writes, some kept, was taken for corruption"},
	{135, "sim: writes still pending at the end of the run were missing from the history (a checker bug)"},
	{205, "server: a follower answered a keep-alive from its own countdown while the leader was revoking the lease"},
	{558, "server: a follower answered a keep-alive from its own countdown while the leader was revoking the lease"},
	{690, "server: a follower answered a keep-alive from its own countdown while the leader was revoking the lease"},
	{302, "server: a re-elected leader renewed, then revoked, a lease it had already found expired"},
	{1482, "server: a re-elected leader renewed, then revoked, a lease it had already found expired"},
	{654, "wal (first fix): damage followed by a kept unsynced write was taken for corruption"},
	{836, "sim: a flip in the last WAL write, which the WAL cannot tell from a tear, was required to be refused"},
	{966, "sim: a flip in the last WAL write, which the WAL cannot tell from a tear, was required to be refused"},
	{1845, "wal (second fix): a torn hard-state-only write followed by kept entries was taken for corruption"},
	{2430, "server: a restart missing committed entries (damaged newest snapshot) failed with raft's error, naming no file"},
	{2655, "sim: a duplicated MsgProp was applied twice (TCP never duplicates; proposals are no longer doubled)"},
	{222, "server: with two renewals ahead of a revocation in the log, the second was acknowledged"},
	{2948, "sim: the operator called a promotion done before every member had applied it, then the leader's disk died"},
}

// Longer runs (60 s) that found bugs.
var memberRegressions60s = []struct {
	seed uint64
	bug  string
}{
	{21010, "sim: the operator took a just-elected leader's stale member list for a successful member add"},
}

func TestMemberSim_Regressions(t *testing.T) {
	for _, r := range memberRegressions {
		res := RunMember(DefaultMemberConfig(r.seed))
		if !res.Passed() {
			t.Errorf("seed %d (%s) fails again at %s: %s", r.seed, r.bug, res.At, res.Violation)
		}
	}
	for _, r := range memberRegressions60s {
		cfg := DefaultMemberConfig(r.seed)
		cfg.Duration = 60 * Second
		if res := RunMember(cfg); !res.Passed() {
			t.Errorf("seed %d, 60 s (%s) fails again at %s: %s", r.seed, r.bug, res.At, res.Violation)
		}
	}
}

// The trace says what happened in words a reader can follow.
func TestMemberSim_TraceReadable(t *testing.T) {
	cfg := DefaultMemberConfig(1)
	cfg.Trace = 1
	res := RunMember(cfg)
	text := strings.Join(res.Trace, "\n")
	for _, want := range []string{"became leader at term", "fault:", "all faults healed", "m1:"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace has no %q", want)
		}
	}
}
