package sim

import (
	"slices"
	"strings"
	"testing"
)

// Every regression script stages its situation, every step of it, and
// passes every check. (That each one fails when its bug is put back was
// checked by reverting each fix: docs/simulation.md, "What the simulator
// found", says what each reverted fix does.)
func TestRegressions(t *testing.T) {
	for _, r := range Regressions {
		t.Run(r.Name, func(t *testing.T) {
			cfg := r.Config(1)
			cfg.Trace = 1
			res := RunMember(cfg)
			if !res.Passed() {
				t.Fatalf("%s (%s) fails at %s: %s\nreplay: go run ./cmd/raftsim -mode member -regression %s -v 2\n%s",
					r.Name, r.Bug, res.At, res.Violation, r.Name, strings.Join(tail(res.Trace, 40), "\n"))
			}
			if res.ScriptSteps != len(cfg.Script) {
				t.Fatalf("%s: only %d of its %d steps happened", r.Name, res.ScriptSteps, len(cfg.Script))
			}
			if r.Replays {
				again := RunMember(cfg)
				if again.Digest != res.Digest || !slices.Equal(again.Trace, res.Trace) {
					for i := range min(len(res.Trace), len(again.Trace)) {
						if res.Trace[i] != again.Trace[i] {
							t.Fatalf("%s: two runs of one configuration differ, from line %d:\n%s\n%s", r.Name, i, res.Trace[i], again.Trace[i])
						}
					}
					t.Fatalf("%s: two runs of one configuration differ (digests %x and %x)", r.Name, res.Digest, again.Digest)
				}
			}
		})
	}
}

func tail(lines []string, n int) []string { return lines[max(0, len(lines)-n):] }
