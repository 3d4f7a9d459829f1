package main

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/sim"
)

// -h and the error for an unknown fault list every fault -faults accepts.
func TestRaftsimListsEveryFault(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-faults", "lightning"}} {
		var stdout, stderr bytes.Buffer
		run(args, &stdout, &stderr)
		for _, name := range strings.Split(sim.FaultNames(), ",") {
			if !strings.Contains(stderr.String(), name) {
				t.Errorf("raftsim %v does not mention fault %q:\n%s", args, name, stderr.String())
			}
		}
	}
	if !strings.Contains(sim.FaultNames(), "member") {
		t.Errorf("fault names %q lack member", sim.FaultNames())
	}
}

// The "replay:" line a failed run prints is a command that reruns it: its
// arguments, passed to run, ask for the same simulation and print the same
// report (boolean flags included, which need -name=value). Every run here
// is made to fail, so that run prints the line.
func TestRaftsimReplayLineReplays(t *testing.T) {
	defer func(saved func(sim.RaftConfig) sim.RaftResult) { runRaft = saved }(runRaft)
	var cfgs []sim.RaftConfig
	runRaft = func(cfg sim.RaftConfig) sim.RaftResult {
		cfgs = append(cfgs, cfg)
		res := sim.RunRaft(cfg)
		res.Violation = "made to fail by the test"
		return res
	}
	const prefix = "go run ./cmd/raftsim "
	replayOf := func(out string) []string {
		t.Helper()
		for _, line := range strings.Split(out, "\n") {
			if _, cmd, ok := strings.Cut(line, "replay: "); ok {
				if !strings.HasPrefix(cmd, prefix) {
					t.Fatalf("replay line %q does not start with %q", line, prefix)
				}
				return strings.Fields(strings.TrimPrefix(cmd, prefix))
			}
		}
		t.Fatalf("no replay line in:\n%s", out)
		return nil
	}
	for _, args := range [][]string{
		{"-seed", "3", "-faults", "partition,crash", "-duration", "15s", "-no-prevote", "-no-checkquorum", "-nodes", "5"},
		{"-no-checkquorum", "-seeds", "1", "-start", "4", "-faults", "drop", "-duration", "16s"},
	} {
		var out, errOut bytes.Buffer
		cfgs = nil
		code := run(args, &out, &errOut)
		if code != 1 {
			t.Fatalf("raftsim %v: exit %d, want 1 (stderr %q)", args, code, errOut.String())
		}
		want := cfgs[len(cfgs)-1]
		replay := replayOf(out.String())

		var again, errAgain bytes.Buffer
		cfgs = nil
		if code := run(replay, &again, &errAgain); code != 1 {
			t.Fatalf("raftsim %v (the replay of %v): exit %d, want 1; stderr:\n%s", replay, args, code, errAgain.String())
		}
		got := cfgs[0]
		// A sweep runs without a trace; its replay, one seed, with one.
		want.Trace, got.Trace = 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("raftsim %v ran\n %+v\nits replay %v ran\n %+v", args, want, replay, got)
		}
		if slices.Contains(args, "-seed") && again.String() != out.String() {
			t.Fatalf("the replay %v printed\n%s\nraftsim %v printed\n%s", replay, again.String(), args, out.String())
		}
		if r := replayOf(again.String()); !slices.Equal(r, replay) {
			t.Fatalf("the replay's own replay line is %v, want %v", r, replay)
		}
	}
}
