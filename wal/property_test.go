package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
	"pgregory.net/rapid"
)

// The crash property: whatever sequence of saves, syncs, snapshots,
// releases, I/O failures and crashes happens, reopening the WAL yields
// exactly the state after some prefix of the records written, and that
// prefix holds every record whose sync was acknowledged.

// op is one record as the model sees it.
type op struct {
	ents   []raft.Entry    // an entries record
	hs     *raft.HardState // a hard state record
	marker *Snapshot       // a snapshot marker
}

// walState is what a prefix of the records means.
type walState struct {
	hs      raft.HardState
	log     []raft.Entry // the whole log, from index 1
	markers []Snapshot
}

func (s *walState) apply(o op) {
	switch {
	case o.ents != nil:
		s.log = append(s.log[:o.ents[0].Index-1:o.ents[0].Index-1], o.ents...)
	case o.hs != nil:
		s.hs = *o.hs
	case o.marker != nil:
		s.markers = append(s.markers[:len(s.markers):len(s.markers)], *o.marker)
	}
}

func (s *walState) lastMarker() Snapshot {
	if len(s.markers) == 0 {
		return Snapshot{}
	}
	return s.markers[len(s.markers)-1]
}

type walModel struct {
	t       *rapid.T
	sim     *vfs.SimDisk
	dir     string
	segSize int64
	garbage bool // torn writes may leave garbage where they did not reach

	w      *WAL
	ops    []op // every record written, oldest first
	synced int  // ops known durable: their sync was acknowledged
	state  walState
	failed bool // an I/O error happened: only a crash can follow
	// writeFailed: a write or sync failed (not only a release of old
	// segments): the WAL must refuse every later write.
	writeFailed bool
	saves       int
}

func TestCrashRecoveryProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) { runModel(rt, false) })
}

// TestCrashRecoveryWithGarbageProperty: garbage that a crash leaves where a
// torn write did not reach is cut off with the torn write — the WAL never
// refuses to open over it — and what it returns is still a correct prefix.
func TestCrashRecoveryWithGarbageProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) { runModel(rt, true) })
}

func runModel(rt *rapid.T, garbage bool) {
	seed := rapid.Uint64().Draw(rt, "disk seed")
	m := &walModel{
		t:       rt,
		sim:     vfs.NewSimDisk(rand.New(rand.NewPCG(seed, 0x5eed))),
		dir:     "/data/member/wal",
		segSize: rapid.SampledFrom([]int64{512, 2048, 1 << 16}).Draw(rt, "segment size"),
		garbage: garbage,
	}
	f := vfs.Faults{
		KeepProb: rapid.Float64Range(0, 1).Draw(rt, "keep"),
		TearProb: rapid.Float64Range(0, 1).Draw(rt, "tear"),
	}
	if garbage {
		f.GarbageProb = 0.5
	}
	m.sim.SetFaults(f)
	must(rt, m.sim.MkdirAll("/data/member"))
	w, err := Create(m.sim, m.dir, testMD, WithSegmentSize(m.segSize))
	must(rt, err)
	m.w = w
	rt.Repeat(map[string]func(*rapid.T){
		"save":     m.save,
		"sync":     m.sync,
		"snapshot": m.snapshot,
		"release":  m.release,
		"fail":     m.fail,
		"crash":    m.crash,
		"reopen":   m.reopen,
		"garble":   m.garble,
	})
}

// ack records that everything written so far is durable.
func (m *walModel) ack(err error) {
	if err != nil {
		if !errors.Is(err, vfs.ErrInjected) {
			m.t.Fatalf("unexpected error: %v", err)
		}
		m.failed = true
		return
	}
	m.synced = len(m.ops)
}

// live discards a write drawn after the WAL failed or was found corrupt:
// only a crash can follow. A WAL whose write or sync failed must first
// refuse it: it cannot know what reached the disk, so it refuses every
// later write (WAL.fail) rather than acknowledge one. (A failed release of
// old segments loses nothing, and need not stop the WAL.)
func (m *walModel) live(t *rapid.T) {
	if m.writeFailed {
		if err := m.w.Sync(); err == nil {
			t.Fatal("the WAL acknowledged a sync after an I/O error")
		}
	}
	if m.failed {
		t.Skip("the WAL failed; only a crash can follow")
	}
}

func (m *walModel) save(t *rapid.T) {
	m.live(t)
	last := uint64(len(m.state.log))
	hs := m.state.hs
	var ents []raft.Entry
	if n := rapid.IntRange(0, 4).Draw(t, "entries"); n > 0 {
		first := last + 1
		if rapid.IntRange(0, 4).Draw(t, "conflict") == 0 && hs.Commit < last {
			// A new leader overwrites the uncommitted suffix (§5.3).
			first = rapid.Uint64Range(hs.Commit+1, last).Draw(t, "overwrite from")
			hs.Term++
		}
		m.saves++
		for i := range uint64(n) {
			size := rapid.IntRange(0, 700).Draw(t, "data size")
			data := []byte(fmt.Sprintf("save %d entry %d ", m.saves, first+i))
			for len(data) < size {
				data = append(data, byte('a'+len(data)%26))
			}
			ents = append(ents, raft.Entry{Term: max(hs.Term, 1), Index: first + i, Data: data})
		}
		last = first + uint64(n) - 1
	}
	if rapid.Bool().Draw(t, "new hard state") {
		hs.Term = max(hs.Term, 1)
		hs.Vote = rapid.Uint64Range(0, 3).Draw(t, "vote")
		hs.Commit = rapid.Uint64Range(min(hs.Commit, last), last).Draw(t, "commit")
	}
	if hs.Commit > last {
		hs.Commit = last // entries above it were overwritten
	}
	sync := rapid.Bool().Draw(t, "sync")
	err := m.w.Save(hs, ents, sync)
	// Whatever happened, these records may be on disk now.
	if ents != nil {
		m.push(op{ents: ents})
	}
	if !hs.IsEmpty() && hs != m.state.hs {
		m.push(op{hs: &hs})
	}
	if err != nil || sync {
		m.ack(err)
	}
	m.writeFailed = m.writeFailed || err != nil
}

func (m *walModel) push(o op) {
	m.ops = append(m.ops, o)
	m.state.apply(o)
}

func (m *walModel) sync(t *rapid.T) {
	m.live(t)
	err := m.w.Sync()
	m.ack(err)
	m.writeFailed = m.writeFailed || err != nil
}

func (m *walModel) snapshot(t *rapid.T) {
	m.live(t)
	lo := m.state.lastMarker().Index + 1
	if lo > m.state.hs.Commit {
		t.Skip("nothing new is committed")
	}
	i := rapid.Uint64Range(lo, m.state.hs.Commit).Draw(t, "snapshot index")
	s := Snapshot{Index: i, Term: m.state.log[i-1].Term}
	err := m.w.SaveSnapshot(s)
	m.push(op{marker: &s})
	m.ack(err)
	m.writeFailed = m.writeFailed || err != nil
}

func (m *walModel) release(t *rapid.T) {
	m.live(t)
	m.ack(m.w.ReleaseBefore(m.state.lastMarker().Index))
}

func (m *walModel) fail(t *rapid.T) {
	m.live(t)
	m.sim.FailAfter(rapid.IntRange(0, 6).Draw(t, "operations before failure"))
}

func (m *walModel) reopen(t *rapid.T) {
	m.live(t)
	m.ack(m.w.Close())
	if m.failed {
		m.crash(t) // Close failed: the process dies
		return
	}
	m.recover(t, len(m.ops))
}

func (m *walModel) crash(t *rapid.T) {
	m.sim.Crash()
	m.failed, m.writeFailed = false, false
	m.recover(t, -1)
}

// recover restarts the member's storage as a server would — the newest
// valid snapshot marker, then Open and ReadAll — and checks that what comes
// back is the state after some prefix of the records that includes every
// acknowledged one (exactly all of them when exact >= 0).
func (m *walModel) recover(t *rapid.T, exact int) {
	for attempt := 0; ; attempt++ {
		if attempt == 5 {
			t.Fatal("recovery keeps failing")
		}
		snaps, err := ValidSnapshots(m.sim, m.dir)
		if err != nil {
			t.Fatalf("ValidSnapshots: %v", err)
		}
		var from Snapshot
		if len(snaps) > 0 {
			from = snaps[len(snaps)-1]
		}
		w, err := Open(m.sim, m.dir, from, WithSegmentSize(m.segSize))
		must(t, err)
		md, hs, ents, err := w.ReadAll()
		if errors.Is(err, vfs.ErrInjected) {
			// The disk failed during repair: crash again and retry.
			w.Close()
			m.sim.Crash()
			continue
		}
		if err != nil {
			w.Close()
			t.Fatalf("ReadAll from %+v: %v", from, err)
		}
		if md != testMD {
			t.Fatalf("metadata %+v", md)
		}
		m.w = w
		m.match(t, exact, snaps, from, hs, ents)
		return
	}
}

// garble is the crash of issue 12: once everything saved is synced, the
// crash leaves garbage — random bytes, or part of a copy of a record — at
// or after the end of the last record, its padding included, where the next
// write would have gone; sometimes the file is cut right after it. That is
// a torn write: recovery cuts exactly the garbage off and keeps every
// record.
func (m *walModel) garble(t *rapid.T) {
	m.live(t)
	m.ack(m.w.Sync())
	if m.failed {
		return
	}
	var recs []Record
	end, err := Walk(m.sim, m.dir, func(r Record) error {
		r.Entries = nil
		recs = append(recs, r)
		return nil
	})
	must(t, err)
	last := recs[len(recs)-1]
	if end.Torn != nil || last.Segment != end.Segment {
		t.Fatalf("after a sync the WAL ends in %+v, its last record is %+v", end, last)
	}
	read := func(seg string, off int64, n int) []byte {
		f, err := m.sim.Open(filepath.Join(m.dir, seg))
		must(t, err)
		defer f.Close()
		b := make([]byte, n)
		_, err = f.ReadAt(b, off)
		must(t, err)
		return b
	}
	payloadEnd := last.Offset + headerSize + int64(binary.LittleEndian.Uint32(read(last.Segment, last.Offset, 4)))
	off := payloadEnd + rapid.Int64Range(0, 3000).Draw(t, "garbage offset after the last payload")
	var junk []byte
	if rapid.Bool().Draw(t, "random garbage") {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "garbage seed"), 0))
		junk = make([]byte, rapid.IntRange(1, 5000).Draw(t, "garbage length"))
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
	} else {
		r := recs[rapid.IntRange(0, len(recs)-1).Draw(t, "copied record")]
		junk = read(r.Segment, r.Offset, rapid.IntRange(1, r.Size-1).Draw(t, "copied bytes"))
	}
	cutFile := rapid.Bool().Draw(t, "file cut after the garbage")
	junk = bytes.TrimRight(junk, "\x00")
	if len(junk) == 0 || off < payloadEnd {
		t.Skip("no garbage after the last record")
	}
	m.sim.Crash()
	f, err := m.sim.OpenReadWrite(filepath.Join(m.dir, last.Segment))
	must(t, err)
	_, err = f.WriteAt(junk, off)
	if err == nil && cutFile {
		err = f.Truncate(off + int64(len(junk)))
	}
	if err == nil {
		err = f.Sync()
	}
	must(t, err)
	must(t, f.Close())

	m.recover(t, len(m.ops))
	cut, ok := m.w.CutTail()
	first := off + int64(len(junk)-len(bytes.TrimLeft(junk, "\x00"))) // the first garbage byte that is not zero
	if !ok || cut.Segment != filepath.Join(m.dir, last.Segment) || cut.Offset < payloadEnd || cut.Offset > first || cut.Offset+cut.Bytes != off+int64(len(junk)) {
		t.Fatalf("%d bytes of garbage at offset %d (the last record's payload ends at %d): CutTail = %+v, %v", len(junk), off, payloadEnd, cut, ok)
	}
}

func (m *walModel) match(t *rapid.T, exact int, snaps []Snapshot, from Snapshot, hs raft.HardState, ents []raft.Entry) {
	var s walState
	lo := m.synced
	if exact >= 0 {
		lo = exact
	}
	var mismatch []string
	for r := 0; r <= len(m.ops); r++ {
		if r > 0 {
			s.apply(m.ops[r-1])
		}
		if r < lo {
			continue
		}
		why := ""
		switch {
		case s.lastMarker() != from:
			why = fmt.Sprintf("newest marker %+v, replayed from %+v", s.lastMarker(), from)
		case s.hs != hs:
			why = fmt.Sprintf("hard state %+v, got %+v", s.hs, hs)
		default:
			why = diffEntries(ents, s.log[min(from.Index, uint64(len(s.log))):])
		}
		if why == "" {
			for _, v := range snaps {
				if !slices.Contains(s.markers, v) || v.Index > s.hs.Commit {
					t.Fatalf("ValidSnapshots returned %+v, not a valid marker of the prefix", v)
				}
			}
			m.ops, m.synced, m.state = m.ops[:r], r, s
			m.state.log = slices.Clone(s.log)
			return
		}
		mismatch = append(mismatch, fmt.Sprintf("prefix %d: %s", r, why))
		if exact >= 0 {
			break
		}
	}
	t.Fatalf("recovered state matches no prefix of %d records from %d (synced):\n%s", len(m.ops), lo, mismatch)
}
