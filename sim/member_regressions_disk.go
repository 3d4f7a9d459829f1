package sim

import (
	"fmt"
	"path"
	"slices"

	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/wal"
)

// Regression scripts about what is on a member's disk: WAL tails torn by a
// crash, bits flipped by a failing disk, a damaged snapshot.

// tornWAL returns why slot i's WAL ends in a torn write (nil if it does
// not): the bytes after its last valid record are a write that never
// completed, which the restart will cut off.
func (sc *MemberScript) tornWAL(i int) error {
	sl := sc.s.slots[i]
	end, err := wal.Walk(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"), func(wal.Record) error { return nil })
	if err != nil {
		return nil
	}
	return end.Torn
}

// tornTailScript: a member's disk fails in the middle of a WAL write and
// the power goes; the restart must cut the torn write off and start (it was
// never synced, so never acknowledged), then catch up.
//
// The seeds that found this saw tails of several unsynced writes, some
// kept and some lost, or a torn hard state followed by kept entries. Those
// tails can no longer happen — the WAL writes nothing of an unsynced Save
// until the next synced one (wal.WAL.pending) — so a crash can tear only the
// last write, which is what this script makes it do.
func tornTailScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {F}'s disk will fail in the middle of its next write",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.FailDiskAfter(sc.Node("F"), 1)
			}},
		{Say: "{F} crashed in the middle of a write, and its WAL ends in a torn write",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				f := sc.Node("F")
				if sc.Up(f) {
					return false
				}
				if sc.tornWAL(f) != nil {
					return true
				}
				// The write that failed was not a WAL write, or the crash
				// kept all of it or none: try again.
				sc.Note("{F}'s crash left no torn write; restart it and fail its disk again")
				sc.Restart(f)
				sc.FailDiskAfter(f, 1)
				return false
			}},
		{Say: "restart {F}: it must cut the torn write off and start",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} started, said it cut a torn write, and caught up with the leader",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				return caughtUp("F")(sc) && sc.Logged(sc.Node("F"), "ended in a torn write")
			}},
	}
}

// walRecords returns the records of slot i's WAL, oldest first (their
// entries left out).
func (sc *MemberScript) walRecords(i int) []wal.Record {
	sl := sc.s.slots[i]
	var recs []wal.Record
	_, _ = wal.Walk(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"), func(r wal.Record) error {
		r.Entries = nil
		recs = append(recs, r)
		return nil
	})
	return recs
}

// flipInWAL flips bit bit of byte at of record k of slot i's WAL (the
// member is down), and marks the slot damaged — with the refusal to start
// that the WAL then owes, as the random corrupt fault does (flipBit).
func (sc *MemberScript) flipInWAL(i int, recs []wal.Record, k int, at int64, bit uint) {
	sl := sc.s.slots[i]
	r := recs[k]
	file := path.Join(sl.cfg.DataDir, "member", "wal", r.Segment)
	if err := sl.disk.FlipBit(file, r.Offset+at, bit); err != nil {
		sc.Fail("script: flip a bit in %s: %v", file, err)
		return
	}
	sl.corrupted = true
	sl.mustRefuse = r.Segment == recs[len(recs)-1].Segment && completedWriteAfter(recs[k+1:])
	sc.s.res.Stats.Corruptions++
	sc.Note("flip bit %d of byte %d of %s's WAL segment %s (inside a %s record, %d of %d)", bit, r.Offset+at, sl.name, r.Segment, r.Type, k+1, len(recs))
}

// walFlipScript: a bit flips in the length of a hard-state record of a
// stopped member's WAL, and records of a completed write follow it. The
// damaged length runs past the end of the segment, which looks like a
// write cut short — but a crash cannot damage a write that a completed one
// follows. The member must refuse to start, naming the file, and be
// replaced; cutting the "tail" would drop acknowledged entries.
func walFlipScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {F} crashes",
			Until: leads(100), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.Crash(sc.Node("F"))
			}},
		{Say: "a bit flips in the length of {F}'s newest hard state that a completed write follows: it now runs past the end of its segment",
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				recs := sc.walRecords(f)
				k := -1
				for j := len(recs) - 1; j >= 0 && recs[j].Segment == recs[len(recs)-1].Segment; j-- {
					if recs[j].Type == wal.RecordHardState && completedWriteAfter(recs[j+1:]) {
						k = j
						break
					}
				}
				if k < 0 {
					sc.Fail("script: %s's newest WAL segment has no hard state that a completed write follows", sc.Name(f))
					return
				}
				// Bit 0 of the length's third byte adds 64 KiB: more than the
				// segment holds.
				sc.flipInWAL(f, recs, k, 2, 0)
				if !sc.s.slots[f].mustRefuse {
					sc.Fail("script: the damage in %s's WAL does not oblige it to refuse to start", sc.Name(f))
				}
			}},
		{Say: "restart {F}: it must refuse to start, naming the damaged file",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} refused to start; the operator replaces it",
			Within: 100 * Millisecond,
			Until:  func(sc *MemberScript) bool { return sc.s.slots[sc.Node("F")].state == slotCorrupt }},
		{Say: "{F}'s replacement joined, was promoted and caught up",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("F")(sc) }},
	}
}

// walFlipInLastWriteScript: a bit flips in the last record of a stopped
// member's WAL. Nothing follows it, so it looks exactly like a write a
// crash tore: the WAL may cut it and start (the limit of its rule,
// docs/persistence.md), and the simulator must not require a refusal.
func walFlipInLastWriteScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write",
			Until: leads(100), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
			}},
		{Say: "{F} crashed, its WAL ending with entries or a hard state",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				f := sc.Node("F")
				if sc.Up(f) {
					sc.Crash(f)
					return false
				}
				recs := sc.walRecords(f)
				if n := len(recs); n > 0 && (recs[n-1].Type == wal.RecordEntries || recs[n-1].Type == wal.RecordHardState) {
					return true
				}
				// It ends with a snapshot's marker: try again.
				sc.Restart(f)
				return false
			}},
		{Say: "a bit flips in the last record of {F}'s WAL: nothing follows it, as nothing follows a torn write",
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				recs := sc.walRecords(f)
				sc.flipInWAL(f, recs, len(recs)-1, 12, 0) // the payload's first byte: the CRC no longer checks out
			}},
		{Say: "restart {F}: it cuts the damaged record like a torn write, and starts",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} started and caught up",
			Within: 5 * Second, Until: caughtUp("F")},
	}
}

// snapshotIndexes returns the indexes of the snapshot files on slot i's
// disk, oldest first, and the newest one's path.
func (sc *MemberScript) snapshotIndexes(i int) (indexes []uint64, newest string) {
	sl := sc.s.slots[i]
	dir := path.Join(sl.cfg.DataDir, "member", "snap")
	names, _ := sl.disk.ReadDir(dir)
	slices.Sort(names)
	for _, n := range names {
		var term, index uint64
		if _, err := fmt.Sscanf(n, "%016x-%016x.snap", &term, &index); err == nil && path.Ext(n) == ".snap" {
			indexes = append(indexes, index)
			newest = path.Join(dir, n)
		}
	}
	return indexes, newest
}

// received is the index of the snapshot slot i's member logged it
// restored from the leader (0 if none).
func (sc *MemberScript) received(i int) uint64 {
	var index uint64
	for _, l := range sc.logged {
		var term uint64
		if l.slot == i {
			if _, err := fmt.Sscanf(l.text, "restored snapshot at index %d (term %d) from the leader", &index, &term); err == nil {
				return index
			}
		}
	}
	return 0
}

// walSpan returns the indexes of the first and the last entry slot i's
// WAL holds.
func (sc *MemberScript) walSpan(i int) (first, last uint64) {
	sl := sc.s.slots[i]
	_, _ = wal.Walk(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"), func(r wal.Record) error {
		if r.Type == wal.RecordEntries && len(r.Entries) > 0 {
			if first == 0 {
				first = r.Entries[0].Index
			}
			last = r.Entries[len(r.Entries)-1].Index
		}
		return nil
	})
	return first, last
}

// markers returns the snapshot markers slot i's WAL holds (those a restart
// may start from).
func (sc *MemberScript) markers(i int) []uint64 {
	sl := sc.s.slots[i]
	ms, _ := wal.ValidSnapshots(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"))
	var out []uint64
	for _, m := range ms {
		out = append(out, m.Index)
	}
	return out
}

// damagedSnapshotScript: a member is down for a while, and catches up by a snapshot from
// the leader — a jump in its log, from the last entry it had to the
// snapshot's index. Stopped, that snapshot is damaged: the restart sets it
// aside and starts from the member's own older snapshot, whose WAL holds
// the entries after it up to the jump and then those after the jump, but
// not the ones in between, which were committed. It must refuse, naming
// its data directory and the damaged snapshot (and the operator replaces
// it), not stop with raft's error about a commit index out of range, which
// names no file.
func damagedSnapshotScript() []MemberStep {
	var before uint64 // what F had applied when it was cut off
	return []MemberStep{
		{Say: "{L} leads, clients write; {F} has a snapshot of its own: it crashes",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				l := sc.Leader()
				if l < 0 || sc.Member(l).Applied() < 120 {
					return false
				}
				snaps, _ := sc.snapshotIndexes(sc.Other(l))
				return len(snaps) > 0
			},
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				before = sc.Member(sc.Node("F")).Applied()
				sc.Crash(sc.Node("F"))
			}},
		{Say: "the others have gone on, and compacted the log {F} would need: restart it; once the leader sends it a snapshot, nothing more reaches it",
			Within: 10 * Second,
			Until: func(sc *MemberScript) bool {
				l := sc.Leader()
				if l < 0 {
					return false
				}
				snaps, _ := sc.snapshotIndexes(l)
				return len(snaps) > 0 && snaps[len(snaps)-1] > before+sc.s.cfg.SnapshotCatchUpEntries
			},
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				sc.Restart(f)
				sc.watch = func(from int, m raft.Message) {
					if m.Type == raft.MsgSnap && m.To == sc.Member(f).ID() {
						// The snapshot itself goes; what follows does not.
						sc.watch = nil
						sc.s.after(0, func() { sc.CutOneWay(from, f) })
					}
				}
			}},
		{Say: "{F} restored a snapshot from the leader, a jump in its log, and has no entry after it: crash it, and flip a bit in that snapshot",
			Within: 3 * Second,
			Until:  func(sc *MemberScript) bool { return sc.received(sc.Node("F")) > 0 },
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				sc.Crash(f)
				sc.HealNetwork()
				n := sc.received(f)
				if _, last := sc.walSpan(f); last >= n {
					sc.Fail("script: %s's WAL holds entries up to %d, after the snapshot at %d: a restart from an older snapshot would find the jump in the WAL itself", sc.Name(f), last, n)
					return
				}
				snaps, newest := sc.snapshotIndexes(f)
				markers := sc.markers(f)
				if len(snaps) < 2 || snaps[len(snaps)-1] != n || snaps[len(snaps)-2] > before || !slices.Contains(markers, snaps[len(snaps)-2]) {
					sc.Fail("script: %s's snapshots are at %v (WAL markers %v); want the received one (%d) newest, and before it one of its own, at or below %d, that its WAL knows", sc.Name(f), snaps, markers, n, before)
					return
				}
				sl := sc.s.slots[f]
				st, err := sl.disk.Stat(newest)
				if err != nil || sl.disk.FlipBit(newest, st.Size/2, 3) != nil {
					sc.Fail("script: cannot flip a bit in %s: %v", newest, err)
					return
				}
				sl.corrupted, sl.mustRefuse = true, true
				sc.s.res.Stats.Corruptions++
				sc.Note("flip bit 3 of byte %d of %s: without it there is the snapshot at %d, and entries up to about %d, then after %d", st.Size/2, newest, snaps[len(snaps)-2], before, n)
			}},
		{Say: "restart {F}: it must refuse, naming its data directory and the damaged snapshot",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} refused to start; the operator replaces it",
			Within: 100 * Millisecond,
			Until:  func(sc *MemberScript) bool { return sc.s.slots[sc.Node("F")].state == slotCorrupt }},
		{Say: "{F}'s replacement joined, was promoted and caught up",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("F")(sc) }},
	}
}

// damageSyncedWAL flips a bit in a record of slot i's WAL (the member is
// down) that a completed write follows: the member must refuse to start.
func (sc *MemberScript) damageSyncedWAL(i int) {
	recs := sc.walRecords(i)
	for k := len(recs) - 1; k >= 0; k-- {
		if recs[k].Type == wal.RecordEntries && completedWriteAfter(recs[k+1:]) {
			sc.flipInWAL(i, recs, k, 12, 0)
			return
		}
	}
	sc.Fail("script: %s's WAL has no record that a completed write follows", sc.Name(i))
}
