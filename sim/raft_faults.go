package sim

import (
	"math/rand/v2"
	"slices"
)

// The raft-level faults: the schedule drawn from the seed, each fault
// applied when its time comes, and the final heal.

func (s *raftSim) applyFault(f Fault) {
	switch f.Kind {
	case FaultPartition, FaultOneWay, FaultIsolateLeader, FaultBridge:
		lead := s.leaderIndex()
		s.net.apply(f, lead)
		if f.Kind == FaultIsolateLeader {
			if lead < 0 {
				s.tracef("fault: isolate leader (there is none)")
				return
			}
			s.tracef("fault: isolate leader n%d", lead+1)
			return
		}
		s.tracef("fault: %s", f)
	case FaultHeal:
		s.net.heal()
		s.tracef("fault: heal network")
	case FaultCrash:
		s.crash(s.nodes[f.Node])
	case FaultRestart:
		s.restart(s.nodes[f.Node])
	case FaultCompact:
		s.compact(s.nodes[f.Node])
	}
}

// healAll ends the faults: every link restored, every node restarted. From
// here on the cluster must make progress (the liveness check).
func (s *raftSim) healAll() {
	s.healed = true
	s.net.heal()
	s.net.dropRate, s.net.dupRate = 0, 0
	for _, n := range s.nodes {
		s.restart(n)
	}
	s.tracef("all faults healed; the cluster must now make progress")
}

// SortedFaults returns a copy of a schedule sorted by time (for display).
func SortedFaults(fs []Fault) []Fault {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b Fault) int { return int(a.At - b.At) })
	return out
}

// GenerateSchedule draws a random fault schedule over [0, until) from rng:
// partitions and crashes come in episodes that end (heal, restart) before
// the next one of their kind starts, so a run alternates trouble and calm.
func GenerateSchedule(rng *rand.Rand, nodes int, until Time, fs FaultSet) []Fault {
	var out []Fault
	between := func(lo, hi Time) Time { return lo + Time(rng.Int64N(int64(hi-lo))) }
	if fs.Partition {
		for t := between(0, 3*Second); t < until; {
			end := min(t+between(500*Millisecond, 6*Second), until)
			out = append(out, randomPartition(rng, nodes, t))
			out = append(out, Fault{At: end, Kind: FaultHeal})
			t = end + between(200*Millisecond, 5*Second)
		}
	}
	if fs.Crash {
		for t := between(0, 4*Second); t < until; {
			n := rng.IntN(nodes)
			end := min(t+between(10*Millisecond, 5*Second), until)
			out = append(out, Fault{At: t, Kind: FaultCrash, Node: n}, Fault{At: end, Kind: FaultRestart, Node: n})
			t = end + between(100*Millisecond, 4*Second)
		}
	}
	if fs.Compact {
		for t := between(0, 2*Second); t < until; t += between(100*Millisecond, 3*Second) {
			out = append(out, Fault{At: t, Kind: FaultCompact, Node: rng.IntN(nodes)})
		}
	}
	slices.SortStableFunc(out, func(a, b Fault) int { return int(a.At - b.At) })
	return out
}
