package sim

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// BenchmarkMemberSim5Members measures the member-level simulator: five
// real members, 60 simulated seconds under a steady client load (4 key-
// value clients, 2 watchers, 2 lease holders) with every fault. It reports
// simulated seconds per wall second, all checks included (goal: 100).
// The "heavy" variant has 16 key-value clients on 16 keys.
func BenchmarkMemberSim5Members(b *testing.B) {
	for _, load := range []struct {
		name          string
		clients, keys int
	}{{"default", 4, 6}, {"heavy", 16, 16}} {
		b.Run(load.name, func(b *testing.B) {
			ops := 0
			for i := 0; b.Loop(); i++ {
				cfg := DefaultMemberConfig(uint64(2*i + 1))
				cfg.Members, cfg.Duration = 5, 60*Second
				cfg.Clients, cfg.Keys = load.clients, load.keys
				res := RunMember(cfg)
				if !res.Passed() {
					b.Fatalf("seed %d: %s", cfg.Seed, res.Violation)
				}
				ops += res.Stats.Ops
			}
			b.ReportMetric(60*float64(b.N)/b.Elapsed().Seconds(), "sim-s/wall-s")
			b.ReportMetric(float64(ops)/float64(b.N), "client-ops/run")
		})
	}
}

// BenchmarkLinearizabilityCheck measures porcupine on the single-key
// history of a 60-second, 5-member run with faults: operations checked per
// wall second.
func BenchmarkLinearizabilityCheck(b *testing.B) {
	cfg := DefaultMemberConfig(1)
	cfg.Members, cfg.Duration = 5, 60*Second
	s := newMemberSim(cfg)
	if res := s.run(); !res.Passed() {
		b.Fatal(res.Violation)
	}
	ops := porcupineOps(s.hist, "k")
	b.ResetTimer()
	for b.Loop() {
		if porcupine.CheckOperationsTimeout(kvModel, ops, time.Minute) != porcupine.Ok {
			b.Fatal("not linearizable")
		}
	}
	b.ReportMetric(float64(len(ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(len(ops)), "ops/history")
}
