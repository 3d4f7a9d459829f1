package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Same seed, same run: the whole trace and the digest of every event match.
func TestRaftSim_SameSeedSameRun(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 42} {
		cfg := DefaultRaftConfig(seed)
		cfg.Trace = 2
		a, b := RunRaft(cfg), RunRaft(cfg)
		if a.Digest != b.Digest || !slices.Equal(a.Trace, b.Trace) {
			t.Fatalf("seed %d ran differently twice (digests %x and %x)", seed, a.Digest, b.Digest)
		}
		if len(a.Trace) < 10 {
			t.Fatalf("seed %d: suspiciously short trace (%d lines)", seed, len(a.Trace))
		}
	}
	if RunRaft(DefaultRaftConfig(5)).Digest == RunRaft(DefaultRaftConfig(6)).Digest {
		t.Fatal("different seeds produced the same run")
	}
}

// A quick sweep so `go test` alone exercises the simulator; `make sim`
// (part of `make test`) runs hundreds of seeds more.
func TestRaftSim_SeedsPass(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		res := RunRaft(DefaultRaftConfig(seed))
		if !res.Passed() {
			t.Fatalf("seed %d failed at %s: %s\nreplay: go run ./cmd/raftsim -seed %d", seed, res.At, res.Violation, seed)
		}
	}
}

// Property: whatever fault schedule rapid draws — partitions of any shape,
// crashes with torn writes, compactions, in any order and overlap — every
// safety check holds and the cluster recovers once the faults stop.
func TestRaftSim_RandomFaultSchedules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := rapid.SampledFrom([]int{3, 5}).Draw(t, "nodes")
		seed := rapid.Uint64().Draw(t, "seed")
		horizon := 10 * Second
		n := rapid.IntRange(0, 12).Draw(t, "faults")
		var schedule []Fault
		for i := range n {
			at := Time(rapid.Int64Range(0, int64(horizon)).Draw(t, fmt.Sprint("at", i)))
			kind := FaultKind(rapid.IntRange(int(FaultPartition), int(FaultCompact)).Draw(t, fmt.Sprint("kind", i)))
			f := Fault{At: at, Kind: kind, Node: rapid.IntRange(0, nodes-1).Draw(t, fmt.Sprint("node", i))}
			switch kind {
			case FaultOneWay:
				f.From = rapid.IntRange(0, nodes-1).Draw(t, fmt.Sprint("from", i))
				f.To = (f.From + 1 + rapid.IntRange(0, nodes-2).Draw(t, fmt.Sprint("to", i))) % nodes
			case FaultPartition:
				var a, b []int
				for node := range nodes {
					if rapid.Bool().Draw(t, fmt.Sprint("side", i, node)) {
						a = append(a, node)
					} else {
						b = append(b, node)
					}
				}
				f.Groups = [][]int{a, b}
			}
			schedule = append(schedule, f)
		}
		cfg := RaftConfig{
			Seed: seed, Nodes: nodes, Duration: horizon + 10*Second, HealBefore: 10 * Second,
			Faults: AllFaults, Schedule: SortedFaults(schedule),
			ProposalEvery: 20 * Millisecond, ReadEvery: 50 * Millisecond,
		}
		if res := RunRaft(cfg); !res.Passed() {
			t.Fatalf("schedule %v: failed at %s: %s", cfg.Schedule, res.At, res.Violation)
		}
	})
}

// BenchmarkRaftSim5Nodes60s measures simulator speed: a 5-node cluster, 60
// simulated seconds, all faults, a steady proposal and read load. It reports
// simulated seconds per wall second.
func BenchmarkRaftSim5Nodes60s(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		cfg := DefaultRaftConfig(uint64(i + 1))
		cfg.Nodes = 5
		cfg.Duration = 60 * Second
		if res := RunRaft(cfg); !res.Passed() {
			b.Fatalf("seed %d: %s", i+1, res.Violation)
		}
	}
	b.ReportMetric(60*float64(b.N)/b.Elapsed().Seconds(), "sim-s/wall-s")
}

// The membership driver really replaces members (the leader among them)
// while the run goes on, and every check still holds.
func TestRaftSim_MembershipChangesUnderFaults(t *testing.T) {
	promoted, leaderRemoved := 0, false
	for seed := uint64(1); seed <= 10; seed++ {
		cfg := DefaultRaftConfig(seed)
		cfg.Trace = 1
		res := RunRaft(cfg)
		if !res.Passed() {
			t.Fatalf("seed %d: %s", seed, res.Violation)
		}
		lead := ""
		for _, line := range res.Trace {
			if i := strings.Index(line, " became leader"); i > 0 {
				lead = strings.Fields(line)[1]
			}
			if strings.Contains(line, "membership: removing "+lead) && lead != "" {
				leaderRemoved = true
			}
			if strings.Contains(line, "is a voter") {
				promoted++
			}
		}
	}
	if promoted == 0 || !leaderRemoved {
		t.Fatalf("membership driver inactive: %d promotions, leader removed: %v", promoted, leaderRemoved)
	}
}
