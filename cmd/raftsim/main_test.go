package main

import (
	"bytes"
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
