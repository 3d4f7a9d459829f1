package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/raft"
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

// A learner is a follower that does not vote; the status lines show it as l.
func TestRaftSim_StatusLetters(t *testing.T) {
	for _, tc := range []struct {
		st   raft.Status
		want string
	}{
		{raft.Status{ID: 1, SoftState: raft.SoftState{State: raft.StateLeader}}, "L"},
		{raft.Status{ID: 1, SoftState: raft.SoftState{State: raft.StateFollower}}, "F"},
		{raft.Status{ID: 1, SoftState: raft.SoftState{State: raft.StatePreCandidate}}, "P"},
		{raft.Status{ID: 1, SoftState: raft.SoftState{State: raft.StateCandidate}}, "C"},
		{raft.Status{ID: 4, SoftState: raft.SoftState{State: raft.StateFollower}, Config: raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}}, "l"},
	} {
		if got := shortRole(tc.st); got != tc.want {
			t.Errorf("%s, learners %v: letter %q, want %q", tc.st.State, tc.st.Config.Learners, got, tc.want)
		}
	}
	// And in a run whose membership driver adds learners, they show up.
	cfg := DefaultRaftConfig(2)
	cfg.Trace = 1
	if res := RunRaft(cfg); !slices.ContainsFunc(res.Trace, func(l string) bool { return strings.Contains(l, ":l/t") }) {
		t.Errorf("seed 2: no learner in any status line")
	}
}
