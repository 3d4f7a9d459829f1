package sim

import "testing"

// The one scenario that needs no unsafe build: without PreVote, a node that
// comes back from a partition deposes a healthy leader; with it, it doesn't.
func TestScenarios_WithoutPreVoteRejoiningNodeDisrupts(t *testing.T) {
	sc, _ := FindScenario("no-prevote")
	cfg := sc.Config(1)
	if res := RunRaft(cfg); res.Passed() {
		t.Fatal("no disruption without PreVote")
	}
	cfg.DisablePreVote = false
	if res := RunRaft(cfg); !res.Passed() {
		t.Fatalf("disruption with PreVote on: %s", res.Violation)
	}
}
