package sim

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"

	"github.com/raftkv/raftkv/wal"
)

// generateMemberSchedule draws the fault schedule of a member-level run
// over [0, until). Each kind comes in episodes that end (heal, restart,
// resume, disk recovered) before the next of its kind, and the kinds
// overlap freely: a partition during a crash during a slow disk.
func generateMemberSchedule(rng *rand.Rand, nodes int, until Time, fs FaultSet) []Fault {
	var out []Fault
	between := func(lo, hi Time) Time { return lo + Time(rng.Int64N(int64(hi-lo))) }
	episodes := func(first, length, gap [2]Time, each func(start, end Time)) {
		for t := between(first[0], first[1]); t < until; {
			end := min(t+between(length[0], length[1]), until)
			each(t, end)
			t = end + between(gap[0], gap[1])
		}
	}
	if fs.Partition {
		episodes([2]Time{Second, 3 * Second}, [2]Time{500 * Millisecond, 5 * Second}, [2]Time{500 * Millisecond, 4 * Second},
			func(start, end Time) {
				out = append(out, randomPartition(rng, nodes, start), Fault{At: end, Kind: FaultHeal})
			})
	}
	if fs.Crash {
		episodes([2]Time{Second, 4 * Second}, [2]Time{50 * Millisecond, 4 * Second}, [2]Time{300 * Millisecond, 4 * Second},
			func(start, end Time) {
				n := rng.IntN(nodes)
				out = append(out, Fault{At: start, Kind: FaultCrash, Node: n})
				if fs.Corrupt && rng.IntN(4) == 0 {
					out = append(out, Fault{At: start + 10*Millisecond, Kind: FaultCorrupt, Node: n})
				}
				out = append(out, Fault{At: max(end, start+20*Millisecond), Kind: FaultRestart, Node: n})
			})
	}
	if fs.SlowDisk {
		episodes([2]Time{Second, 5 * Second}, [2]Time{500 * Millisecond, 4 * Second}, [2]Time{Second, 6 * Second},
			func(start, end Time) {
				n := rng.IntN(nodes)
				out = append(out, Fault{At: start, Kind: FaultSlowDisk, Node: n}, Fault{At: end, Kind: FaultDiskOK, Node: n})
			})
	}
	if fs.Pause {
		episodes([2]Time{2 * Second, 6 * Second}, [2]Time{200 * Millisecond, 3 * Second}, [2]Time{2 * Second, 8 * Second},
			func(start, end Time) {
				n := rng.IntN(nodes)
				out = append(out, Fault{At: start, Kind: FaultPause, Node: n}, Fault{At: end, Kind: FaultResume, Node: n})
			})
	}
	slices.SortStableFunc(out, func(a, b Fault) int { return int(a.At - b.At) })
	return out
}

// faultLabel describes a fault with the member names of this simulation.
func (s *memberSim) faultLabel(f Fault) string {
	name := func(i int) string { return s.slots[i].name }
	switch f.Kind {
	case FaultPartition:
		var parts []string
		for _, g := range f.Groups {
			var names []string
			for _, i := range g {
				names = append(names, name(i))
			}
			parts = append(parts, strings.Join(names, " "))
		}
		return "partition [" + strings.Join(parts, "] | [") + "]"
	case FaultOneWay:
		return fmt.Sprintf("one-way cut %s -> %s", name(f.From), name(f.To))
	case FaultBridge:
		return fmt.Sprintf("bridge through %s", name(f.Node))
	case FaultHeal:
		return "heal network"
	}
	return fmt.Sprintf("%s %s", f.Kind, name(f.Node))
}

func (s *memberSim) applyFault(f Fault) {
	sl := s.slots[f.Node]
	switch f.Kind {
	case FaultPartition, FaultOneWay, FaultIsolateLeader, FaultBridge:
		lead := -1
		if l := s.leader(); l != nil {
			lead = l.idx
		}
		s.net.apply(f, lead)
		label := s.faultLabel(f)
		if f.Kind == FaultIsolateLeader {
			if lead < 0 {
				s.tracef("fault: isolate the leader (there is none)")
				return
			}
			label = "isolate leader " + s.slots[lead].name
		}
		s.tracef("fault: %s", label)
		if s.tl != nil {
			s.tl.faultStart(s, "net", label, -1)
		}
	case FaultHeal:
		s.net.heal()
		s.tracef("fault: heal network")
		if s.tl != nil {
			s.tl.faultEnd(s, "net", -1)
		}
	case FaultCrash:
		if sl.m == nil {
			return
		}
		if s.rng.IntN(2) == 0 {
			// The disk fails a few writes from now: the member dies in the
			// middle of its next WAL write or snapshot, leaving a torn tail.
			n := s.rng.IntN(6)
			sl.disk.FailAfter(n)
			s.res.Stats.TornCrashes++
			s.tracef("fault: %s's disk will fail after %d more writes", sl.name, n)
			inc := sl.incarnation
			s.after(500*Millisecond, func() {
				if sl.incarnation == inc && sl.m != nil && !s.healed {
					s.crash(sl, "power failure", false)
				}
			})
			return
		}
		s.crash(sl, "power failure", false)
	case FaultCorrupt:
		// A damaged member is lost for good: it must be replaced, which
		// takes a quorum of the others. Damage one at a time, and not
		// while a replacement is under way, as real disks (mostly) do.
		if sl.m != nil || sl.state != slotNormal || s.op.phase != opIdle || s.anyCorrupt() {
			return
		}
		if what, mustRefuse := s.flipBit(sl); what != "" {
			s.res.Stats.Corruptions++
			s.tracef("fault: %s", what)
			sl.corrupted, sl.mustRefuse = true, mustRefuse
			if s.tl != nil {
				s.tl.point(s, "corrupt", what, sl.idx)
			}
		}
	case FaultRestart:
		if sl.m == nil && sl.state == slotNormal {
			s.restart(sl, sl.corrupted)
		}
	case FaultPause:
		if sl.m == nil || sl.paused {
			return
		}
		sl.paused = true
		s.res.Stats.Pauses++
		s.tracef("fault: pause %s (no ticks, no processing)", sl.name)
		if s.tl != nil {
			s.tl.faultStart(s, "pause", "paused", sl.idx)
		}
	case FaultResume:
		s.resume(sl)
	case FaultSlowDisk:
		if !sl.slowDisk {
			sl.slowDisk = true
			s.res.Stats.SlowDisks++
			s.tracef("fault: %s's disk becomes slow (fsync 20-400 ms)", sl.name)
			if s.tl != nil {
				s.tl.faultStart(s, "disk", "slow disk", sl.idx)
			}
		}
	case FaultDiskOK:
		s.diskOK(sl)
	}
}

func (s *memberSim) anyCorrupt() bool {
	for _, sl := range s.slots {
		if sl.corrupted || sl.state == slotCorrupt {
			return true
		}
	}
	return false
}

func (s *memberSim) resume(sl *slot) {
	if !sl.paused {
		return
	}
	sl.paused = false
	s.tracef("fault: resume %s", sl.name)
	if s.tl != nil {
		s.tl.faultEnd(s, "pause", sl.idx)
	}
	s.wake(sl)
}

func (s *memberSim) diskOK(sl *slot) {
	if !sl.slowDisk {
		return
	}
	sl.slowDisk = false
	s.tracef("fault: %s's disk is fast again", sl.name)
	if s.tl != nil {
		s.tl.faultEnd(s, "disk", sl.idx)
	}
}

// flipBit flips one bit of a stopped member's files: inside a WAL record
// that has valid records after it (corruption, which the member must
// report, not a torn tail it may cut off), or anywhere in its newest
// snapshot file. It returns what it did, or "" if there was nothing to
// flip, and whether the member must now refuse to start: a damaged record
// in the newest segment is always read back on restart (an older segment
// may lie wholly before the snapshot, and a damaged snapshot may be set
// aside for an older one).
func (s *memberSim) flipBit(sl *slot) (string, bool) {
	walDir := path.Join(sl.cfg.DataDir, "member", "wal")
	snapDir := path.Join(sl.cfg.DataDir, "member", "snap")
	var snaps []string
	names, _ := sl.disk.ReadDir(snapDir)
	for _, n := range names {
		if strings.HasSuffix(n, ".snap") {
			snaps = append(snaps, n)
		}
	}
	if len(snaps) > 0 && s.rng.IntN(3) == 0 {
		file := path.Join(snapDir, snaps[len(snaps)-1])
		st, err := sl.disk.Stat(file)
		if err == nil && st.Size > 0 {
			off, bit := s.rng.Int64N(st.Size), uint(s.rng.IntN(8))
			if sl.disk.FlipBit(file, off, bit) == nil {
				return fmt.Sprintf("flip bit %d of byte %d of %s's snapshot %s", bit, off, sl.name, file), false
			}
		}
	}
	var recs []wal.Record
	_, err := wal.Walk(sl.disk, walDir, func(r wal.Record) error {
		r.Entries = nil // only the position is kept
		recs = append(recs, r)
		return nil
	})
	if err != nil || len(recs) < 2 {
		return "", false
	}
	k := s.rng.IntN(len(recs) - 1)
	r := recs[k]
	// Flip inside the header or payload, not the zero padding after it.
	span := max(int64(r.Size)-7, 12)
	off, bit := r.Offset+s.rng.Int64N(span), uint(s.rng.IntN(8))
	file := path.Join(walDir, r.Segment)
	if sl.disk.FlipBit(file, off, bit) != nil {
		return "", false
	}
	// In its newest segment the WAL must report damage that a completed
	// write follows: before the last write with entries, a crash could not
	// have torn anything. After it, a flip and a tear look the same.
	mustRefuse := r.Segment == recs[len(recs)-1].Segment && completedWriteAfter(recs[k+1:])
	return fmt.Sprintf("flip bit %d of byte %d of %s's WAL segment %s (inside a %s record, %d of %d)", bit, off, sl.name, file, r.Type, k+1, len(recs)), mustRefuse
}

// completedWriteAfter reports whether the records after a damaged one show
// a write that completed: entries, then a hard state, then anything (or a
// marker, then anything). Its sync completed, so everything before it was
// durable: the damage is corruption, not a crash's torn tail.
func completedWriteAfter(later []wal.Record) bool {
	state := 0
	for _, r := range later {
		if state == 2 {
			return true
		}
		switch r.Type {
		case wal.RecordEntries:
			state = 1
		case wal.RecordHardState:
			if state == 1 {
				state = 2
			}
		default:
			state = 2
		}
	}
	return false
}

// healAll ends the faults: every link restored, every machine restarted,
// pauses and slow disks over. From here on the cluster must make progress.
func (s *memberSim) healAll() {
	s.healed = true
	s.net.heal()
	s.net.dropRate, s.net.dupRate = 0, 0
	if s.tl != nil {
		s.tl.faultEnd(s, "net", -1)
	}
	for _, sl := range s.slots {
		sl.disk.FailAfter(-1)
		s.resume(sl)
		s.diskOK(sl)
		if sl.m == nil && sl.state == slotNormal {
			s.restart(sl, sl.corrupted)
		}
	}
	s.tracef("all faults healed; the cluster must now make progress")
}
