package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/sim"
)

// -regression list names every script; -regression NAME runs one and says
// whether it passed, its script's steps in the trace.
func TestRegressionFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-mode", "member", "-regression", "list"}, &stdout, &stderr); code != 0 {
		t.Fatalf("-regression list: exit %d: %s", code, stderr.String())
	}
	for _, r := range sim.Regressions {
		if !strings.Contains(stdout.String(), r.Name+"\n") {
			t.Errorf("-regression list lacks %s", r.Name)
		}
	}
	stdout.Reset()
	name := sim.Regressions[0].Name
	if code := run([]string{"-mode", "member", "-regression", name}, &stdout, &stderr); code != 0 {
		t.Fatalf("-regression %s: exit %d\n%s%s", name, code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"  script: ", "regression " + name + ", seed 1", "PASSED"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-regression %s printed no %q:\n%s", name, want, stdout.String())
		}
	}
}

func TestRegressionFlagRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"-mode", "member", "-regression", "no-such-bug"},
		{"-mode", "member", "-regression", "all", "-faults", "crash"},
		{"-mode", "member", "-regression", "all", "-trace", "x.html"},
		{"-regression", "list"}, // raft mode
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("raftsim %v: exit %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("raftsim %v: no error message", args)
		}
	}
}
