package wal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

func seedRecords() [][]byte {
	e := ents(1, 3, 1, "seed")
	rec, _, _, _ := appendEntriesRecord(nil, 7, e, 0)
	hs := craft(RecordHardState, 7, appendHardState(nil, &raft.HardState{Term: 1, Vote: 2, Commit: 3}))
	return [][]byte{
		rec,
		hs,
		craft(RecordCRC, 0, appendSeed(nil, 7)),
		craft(RecordMetadata, 7, appendMetadata(nil, testMD)),
		craft(RecordSnapshot, 7, appendSnapshot(nil, Snapshot{Index: 3, Term: 1})),
		rec[:len(rec)/2],
		make([]byte, 24),
		append(bytes.Clone(hs), rec...),
	}
}

// FuzzDecodeRecord: the frame decoder never panics, never accepts a frame
// it would not have written, and reports a size that fits.
func FuzzDecodeRecord(f *testing.F) {
	for _, b := range seedRecords() {
		f.Add(b, uint32(7))
	}
	f.Fuzz(func(t *testing.T, b []byte, prev uint32) {
		r, err := decodeRecord(b, prev)
		if err != nil {
			return
		}
		if r.size > len(b) || r.size%8 != 0 {
			t.Fatalf("size %d for %d bytes", r.size, len(b))
		}
		again := craft(r.typ, prev, r.payload)
		if !bytes.Equal(again, b[:r.size]) {
			t.Fatalf("decoded frame re-encodes differently:\n%x\n%x", again, b[:r.size])
		}
		// Payload decoders must not panic either.
		switch r.typ {
		case RecordEntries:
			_, _ = decodeEntries(nil, r.payload)
		case RecordMetadata:
			_, _ = decodeMetadata(r.payload)
		case RecordHardState:
			_, _ = decodeHardState(r.payload)
		case RecordSnapshot:
			_, _ = decodeSnapshot(r.payload)
		case RecordCRC:
			_, _ = decodeSeed(r.payload)
		}
	})
}

// FuzzReplayTail: whatever bytes follow the synced records of the newest
// segment, replay never panics and never loses a synced entry; it either
// cuts the bytes off as a torn tail or reports corruption.
func FuzzReplayTail(f *testing.F) {
	for _, b := range seedRecords() {
		f.Add(b, uint16(0))
		f.Add(b, uint16(513))
	}
	f.Fuzz(func(t *testing.T, tail []byte, gap uint16) {
		sim := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 1)))
		must(t, sim.MkdirAll("/d"))
		w, err := Create(sim, "/d/wal", testMD, WithSegmentSize(8192))
		must(t, err)
		want := ents(1, 4, 1, "synced")
		must(t, w.Save(raft.HardState{Term: 1, Commit: 2}, want, true))
		end := w.off
		must(t, w.Close())
		names := segmentNames(t, sim, "/d/wal")
		patch(t, sim, filepath.Join("/d/wal", names[len(names)-1]), end+int64(gap), tail)

		w, err = Open(sim, "/d/wal", Snapshot{})
		must(t, err)
		defer w.Close()
		_, _, got, err := w.ReadAll()
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ReadAll: %v", err)
			}
			return
		}
		if len(got) < len(want) || diffEntries(got[:len(want)], want) != "" {
			t.Fatalf("synced entries lost: %s", diffEntries(got, want))
		}
	})
}
