package sim

import (
	"os"
	"strconv"
	"testing"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestMemberSim_One runs the seed in $SEED (default 1) at trace level $V
// and logs its trace: a debugging aid (SEED=N go test ./sim -run
// MemberSim_One -v). Without SEED it runs seed 1, a check like any other,
// rather than skipping.
func TestMemberSim_One(t *testing.T) {
	cfg := DefaultMemberConfig(uint64(envInt("SEED", 1)))
	cfg.Trace = envInt("V", 1)
	res := RunMember(cfg)
	for _, l := range res.Trace {
		t.Log(l)
	}
	t.Logf("%+v", res.Stats)
	if !res.Passed() {
		t.Fatalf("failed at %s: %s", res.At, res.Violation)
	}
}
