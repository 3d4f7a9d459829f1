package wal

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/raftkv/raftkv/raft"
)

// ReadAll replays the WAL and leaves it ready for appending. It returns the
// metadata, the last hard state, and the log's entries after the snapshot
// marker the WAL was opened from — with every overwritten suffix replaced,
// exactly as Save calls built it.
//
// A torn write at the end of the newest segment — damage after the last
// valid record that no valid record follows — is cut off (it was never
// acknowledged, since it was never synced): the cut bytes are kept in a
// ".broken" file beside the segment, and the space is zeroed so that the
// stale bytes cannot be mistaken for records later. Any other damage stops
// the replay with a *CorruptError naming the file and offset.
func (w *WAL) ReadAll() (Metadata, raft.HardState, []raft.Entry, error) {
	if !w.replaying {
		if w.tail == nil {
			return Metadata{}, raft.HardState{}, nil, ErrClosed
		}
		return Metadata{}, raft.HardState{}, nil, fmt.Errorf("wal: ReadAll called twice")
	}
	rp := replay{from: w.from, last: w.from.Index, found: w.from.Index == 0, path: w.dir}
	lr := logReader{fs: w.fs, dir: w.dir, segs: w.segs[w.start:], writeLast: true, visit: rp.visit}
	end, err := lr.run()
	if err != nil {
		return Metadata{}, raft.HardState{}, nil, err
	}
	fail := func(err error) (Metadata, raft.HardState, []raft.Entry, error) {
		end.tail.Close()
		return Metadata{}, raft.HardState{}, nil, err
	}
	if rp.mismatch != nil && !rp.found {
		return fail(rp.mismatch)
	}
	if !rp.found {
		return fail(fmt.Errorf("wal: %s: marker %+v: %w", w.dir, w.from, ErrSnapshotNotFound))
	}
	if end.torn != nil {
		cut, err := repairTail(w.fs, w.dir, end)
		if err != nil {
			return fail(err)
		}
		w.tailCut = cut
	}
	w.replaying = false
	w.md, w.hs = end.md, rp.hs
	w.tail, w.off, w.crc = end.tail, end.off, end.crc
	w.lastIndex = rp.last
	w.startPipeline()
	return end.md, rp.hs, rp.ents, nil
}

// CutTail says what ReadAll cut off the end of the log, if anything: the
// caller should say so (the write was never acknowledged, so nothing
// acknowledged is lost, but an operator wants to know).
func (w *WAL) CutTail() (*TailCut, bool) { return w.tailCut, w.tailCut != nil }

// replay folds the records into the log they describe.
type replay struct {
	from     Snapshot
	ents     []raft.Entry
	last     uint64 // index of the last entry in ents, or from.Index
	hs       raft.HardState
	found    bool  // the from marker was seen
	mismatch error // the from marker was seen with another term
	slab     slab
	path     string
}

func (rp *replay) visit(seg segment, r *record) error {
	switch r.typ {
	case RecordEntries:
		return rp.entries(seg, r)
	case RecordHardState:
		hs, err := decodeHardState(r.payload)
		if err != nil {
			return rp.corrupt(seg, r, "%v", err)
		}
		rp.hs = hs
	case RecordSnapshot:
		s, err := decodeSnapshot(r.payload)
		if err != nil {
			return rp.corrupt(seg, r, "%v", err)
		}
		if s.Index == rp.from.Index && rp.from.Index != 0 {
			if s.Term != rp.from.Term {
				rp.mismatch = fmt.Errorf("wal: marker at index %d has term %d, snapshot has %d: %w",
					s.Index, s.Term, rp.from.Term, ErrSnapshotMismatch)
			} else {
				rp.found = true
			}
		}
		// Entries after a marker from the leader's snapshot start past it;
		// the names of new segments must too.
		rp.last = max(rp.last, s.Index)
	}
	return nil
}

// entries applies one RecordEntries: its first entry says where in the log
// the batch goes; everything from there on is replaced.
func (rp *replay) entries(seg segment, r *record) error {
	start := len(rp.ents)
	if start == cap(rp.ents) {
		// Double, rather than append's 1.25x for large slices: a million
		// entries then cost two copies of the slice, not five.
		rp.ents = slices.Grow(rp.ents, max(start, 64))
	}
	var err error
	if rp.ents, err = decodeEntries(rp.ents, r.payload); err != nil {
		rp.ents = rp.ents[:start]
		return rp.corrupt(seg, r, "%v", err)
	}
	batch := rp.ents[start:]
	first, last := batch[0].Index, batch[len(batch)-1].Index
	next := rp.from.Index + uint64(start) + 1
	if first > next {
		return rp.corrupt(seg, r, "entries jump from index %d to %d (replaying from an older snapshot than the WAL's newest?)", next-1, first)
	}
	// The batch replaces the log from its first index on — even when that
	// index is at or below the snapshot: the entries kept so far were
	// overwritten too. Entries at or below the snapshot are in it already.
	skip, at := 0, 0
	if first <= rp.from.Index {
		skip = int(min(rp.from.Index+1-first, uint64(len(batch))))
	} else {
		at = int(first - rp.from.Index - 1)
	}
	n := copy(rp.ents[at:], batch[skip:])
	rp.ents = rp.ents[:at+n]
	// The decoded data aliases the read buffer, which the next record reuses.
	for i := at; i < len(rp.ents); i++ {
		rp.ents[i].Data = rp.slab.copy(rp.ents[i].Data)
	}
	rp.last = max(last, rp.from.Index)
	return nil
}

func (rp *replay) corrupt(seg segment, r *record, format string, args ...any) error {
	return corrupt(filepath.Join(rp.path, seg.name()), r.off, format, args...)
}

// slab packs small byte slices into large shared blocks: replaying a million
// entries costs a few allocations instead of a million. Blocks start small
// and double up to slabSize, so that replaying a short log stays cheap.
type slab struct{ block []byte }

const slabSize = 1 << 20

func (s *slab) copy(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	if len(p) > slabSize/8 {
		return append([]byte(nil), p...)
	}
	if cap(s.block)-len(s.block) < len(p) {
		s.block = make([]byte, 0, min(slabSize, max(4<<10, 2*cap(s.block), len(p))))
	}
	n := len(s.block)
	s.block = append(s.block, p...)
	// Full slice expression: appending to one entry's Data must not
	// overwrite the next entry's.
	return s.block[n:len(s.block):len(s.block)]
}
