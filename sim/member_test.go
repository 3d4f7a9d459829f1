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
