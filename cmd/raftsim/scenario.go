package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/sim"
	"github.com/raftkv/raftkv/ui"
)

// runScenario runs a break-a-rule scenario: with a seed, that one run (and
// its trace); without, seeds from 1 on until the checker catches the
// violation the broken rule lets happen.
func runScenario(name string, seed uint64, tracePath string, stdout, stderr io.Writer) int {
	if name == "list" {
		for _, sc := range sim.Scenarios {
			fmt.Fprintf(stdout, "%-22s %s\n", sc.Name, sc.About)
		}
		return 0
	}
	sc, err := sim.FindScenario(name)
	if err != nil {
		fmt.Fprintf(stderr, "raftsim: %v\n", err)
		return 2
	}
	if sc.Config(1).Unsafe != (raft.UnsafeRules{}) && !raft.UnsafeRulesAllowed() {
		fmt.Fprintf(stderr, "raftsim: scenario %s switches a safety rule off, which only a build tagged raftunsafe allows:\n"+
			"  go run -tags raftunsafe ./cmd/raftsim -scenario %s\n", name, name)
		return 2
	}
	replay := func(s uint64) string {
		tag := ""
		if sc.Config(s).Unsafe != (raft.UnsafeRules{}) {
			tag = " -tags raftunsafe"
		}
		return fmt.Sprintf("go run%s ./cmd/raftsim -scenario %s -seed %d -trace %s.html", tag, name, s, name)
	}
	if seed > 0 {
		cfg := sc.Config(seed)
		cfg.Trace = 1
		cfg.Record = tracePath != ""
		res := sim.RunRaft(cfg)
		for _, line := range res.Trace {
			fmt.Fprintln(stdout, line)
		}
		if tracePath != "" {
			if err := os.WriteFile(tracePath, ui.TimelinePage(res.Timeline), 0o644); err != nil {
				fmt.Fprintf(stderr, "raftsim: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "timeline written to %s (open it in a browser)\n", tracePath)
		}
		if caught(res) {
			fmt.Fprintf(stdout, "CAUGHT: %s\n", res.Violation)
		} else {
			fmt.Fprintf(stdout, "not caught with seed %d\n", seed)
		}
		return 0
	}
	fmt.Fprintf(stdout, "scenario %s: %s\n", name, sc.About)
	start := time.Now()
	for s := uint64(1); s <= 500 && time.Since(start) < 2*time.Minute; s++ {
		res := sim.RunRaft(sc.Config(s))
		if caught(res) {
			fmt.Fprintf(stdout, "caught at seed %d after %d runs (%s of searching), at %s of simulated time:\n  %s\n",
				s, s, time.Since(start).Round(time.Millisecond), strings.TrimSpace(res.At.String()), res.Violation)
			fmt.Fprintf(stdout, "replay it, with a timeline: %s\n", replay(s))
			return 0
		}
	}
	fmt.Fprintf(stdout, "not caught in %s\n", time.Since(start).Round(time.Second))
	return 1
}

// caught says whether a run hit a safety violation (not merely the
// liveness check, which a scenario's adversarial network may also trip).
func caught(res sim.RaftResult) bool {
	return !res.Passed() && !strings.HasPrefix(res.Violation, "liveness")
}
