//go:build raftunsafe

package sim

import (
	"strings"
	"testing"

	"github.com/raftkv/raftkv/raft"
)

// Every break-a-rule scenario is caught by the checker within a few seeds —
// and with the rule put back, the same runs pass: the rule is what prevents
// the violation. (Build tag raftunsafe: `make test` runs this file.)
func TestScenarios_BrokenRuleIsCaught(t *testing.T) {
	for _, sc := range Scenarios {
		var caughtAt uint64
		for seed := uint64(1); seed <= 50; seed++ {
			res := RunRaft(sc.Config(seed))
			if !res.Passed() && !strings.HasPrefix(res.Violation, "liveness") {
				caughtAt = seed
				t.Logf("%s: seed %d: %s", sc.Name, seed, res.Violation)
				break
			}
		}
		if caughtAt == 0 {
			t.Errorf("%s: not caught in 50 seeds", sc.Name)
			continue
		}
		fixed := sc.Config(caughtAt)
		fixed.Unsafe = raft.UnsafeRules{}
		fixed.DisablePreVote = false
		if res := RunRaft(fixed); !res.Passed() && !strings.HasPrefix(res.Violation, "liveness") {
			t.Errorf("%s: seed %d fails even with the rule kept: %s", sc.Name, caughtAt, res.Violation)
		}
	}
}
