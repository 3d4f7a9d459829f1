package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// The readable trace (-v 1) reports every campaign raft starts, including a
// candidate's next one when its election times out: that one changes no
// role, only the term. Raft's own log lines (-v 2) are the reference.
func TestRaftSim_TraceShowsEveryCampaign(t *testing.T) {
	raftLine := regexp.MustCompile(`^ *(\S+)    raft: ([0-9a-f]+) became candidate at term (\d+)$`)
	simLine := regexp.MustCompile(`^ *(\S+)  n(\d+) became candidate \(term (\d+)\)$`)
	recampaigns := 0
	for _, seed := range []uint64{4, 11, 12} {
		cfg := DefaultRaftConfig(seed)
		cfg.Duration = 15 * Second
		cfg.DisablePreVote = true
		cfg.Trace = 2
		res := RunRaft(cfg)
		var want, got []string
		lastTerm := map[string]int{}
		for _, line := range res.Trace {
			if m := raftLine.FindStringSubmatch(line); m != nil {
				id, _ := strconv.ParseUint(m[2], 16, 64)
				want = append(want, fmt.Sprintf("%s n%d %s", m[1], id, m[3]))
			}
			if m := simLine.FindStringSubmatch(line); m != nil {
				got = append(got, fmt.Sprintf("%s n%s %s", m[1], m[2], m[3]))
				term, _ := strconv.Atoi(m[3])
				if lastTerm["n"+m[2]] == term-1 {
					recampaigns++ // a node campaigning in consecutive terms
				}
				lastTerm["n"+m[2]] = term
			}
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("seed %d: raft started campaigns\n %v\nthe trace shows\n %v", seed, want, got)
		}
	}
	if recampaigns == 0 {
		t.Errorf("no node campaigned in two consecutive terms, the case this test is about: pick other seeds")
	}
}
