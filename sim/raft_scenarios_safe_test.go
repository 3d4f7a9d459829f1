//go:build !raftunsafe

package sim

import "testing"

// In an ordinary build no scenario can switch a safety rule off: raft
// refuses the configuration, so no raftkv binary can ever run with one.
func TestScenarios_UnsafeRulesRefusedInOrdinaryBuilds(t *testing.T) {
	sc, err := FindScenario("figure8")
	if err != nil {
		t.Fatal(err)
	}
	res := RunRaft(sc.Config(1))
	if res.Passed() {
		t.Fatal("an ordinary build ran with a safety rule switched off")
	}
	t.Log(res.Violation)
}
