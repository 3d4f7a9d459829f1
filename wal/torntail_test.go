package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
	"pgregory.net/rapid"
)

// tailLog writes a small WAL whose every Save was synced and whose last
// record has zero padding after its payload (so that garbage can land in
// it). It returns the entries, the hard state, and the last record with the
// offset where its payload ends.
func tailLog(t *testing.T, d disk) ([]raft.Entry, raft.HardState, Record, int64) {
	t.Helper()
	w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(64<<10))
	must(t, err)
	var all []raft.Entry
	hs := raft.HardState{Term: 1, Vote: 2}
	for i := uint64(1); i <= 6; i++ {
		e := bigEnts(i, i, 1, 300)
		all = append(all, e...)
		hs.Commit = i - 1
		must(t, w.Save(hs, e, true))
	}
	// The last Save holds one entry and no new hard state, sized so that its
	// record is padded.
	var last []raft.Entry
	for n := 300; ; n++ {
		last = bigEnts(7, 7, 1, n)
		rec, _, _, err := appendEntriesRecord(nil, 0, last, 0)
		must(t, err)
		if pad := len(rec) - headerSize - int(binary.LittleEndian.Uint32(rec)); pad >= 4 {
			break
		}
	}
	all = append(all, last...)
	must(t, w.Save(hs, last, true))
	must(t, w.Close())
	recs := records(t, d.fs, d.dir)
	r := lastOf(recs)
	if r.Type != RecordEntries || r.Entries[0].Index != 7 {
		t.Fatalf("the log ends with %+v, want the entries record of index 7", r)
	}
	head := readAt(t, d.fs, d.path(r), r.Offset, headerSize)
	payloadEnd := r.Offset + headerSize + int64(binary.LittleEndian.Uint32(head))
	if payloadEnd >= r.Offset+int64(r.Size)-3 {
		t.Fatalf("record at %d (%d bytes) has no padding to damage: payload ends at %d", r.Offset, r.Size, payloadEnd)
	}
	return all, hs, r, payloadEnd
}

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 12))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestTornTail_GarbageAfterTheLastRecordIsCut reproduces the two tails of
// issue 12 that stopped two of three members for good ("padding is not
// zero"): what a crash leaves after the last valid record of the newest
// segment — with no valid record after it — is a write that was never
// synced. ReadAll keeps every record, sets the garbage aside in a .broken
// file, zeroes it, and the WAL appends after it.
func TestTornTail_GarbageAfterTheLastRecordIsCut(t *testing.T) {
	cases := []struct {
		name string
		// damage writes garbage after the last record r (whose payload ends
		// at payloadEnd) and returns where the garbage starts and what it is.
		damage func(t *testing.T, d disk, r Record, payloadEnd int64) (int64, []byte)
	}{
		{"partial copy of a record written into the padding of the last one, file cut there", func(t *testing.T, d disk, r Record, payloadEnd int64) (int64, []byte) {
			// A rewrite of the last record that started right after its
			// payload, and stopped halfway.
			copied := readAt(t, d.fs, d.path(r), r.Offset, r.Size/2)
			patch(t, d.fs, d.path(r), payloadEnd, copied)
			truncate(t, d.fs, d.path(r), payloadEnd+int64(len(copied)))
			return payloadEnd, copied
		}},
		{"4 KiB of random bytes from the end of the last record's payload", func(t *testing.T, d disk, r Record, payloadEnd int64) (int64, []byte) {
			junk := randomBytes(1, 4096)
			patch(t, d.fs, d.path(r), payloadEnd, junk)
			return payloadEnd, junk
		}},
		{"4 KiB of random bytes from the end of the last record", func(t *testing.T, d disk, r Record, _ int64) (int64, []byte) {
			junk := randomBytes(2, 4096)
			patch(t, d.fs, d.path(r), r.Offset+int64(r.Size), junk)
			return r.Offset + int64(r.Size), junk
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			onDisks(t, func(t *testing.T, d disk) {
				all, hs, r, payloadEnd := tailLog(t, d)
				at, junk := tc.damage(t, d, r, payloadEnd)
				junk = bytes.TrimRight(junk, "\x00") // what is cut ends at the last non-zero byte

				w, err := Open(d.fs, d.dir, Snapshot{})
				must(t, err)
				_, gotHS, got, err := w.ReadAll()
				if err != nil {
					w.Close()
					t.Fatalf("ReadAll after garbage at offset %d: %v", at, err)
				}
				cut, ok := w.CutTail()
				must(t, w.Close())
				if diff := diffEntries(got, all); diff != "" {
					t.Fatalf("synced entries lost: %s", diff)
				}
				if gotHS != hs {
					t.Fatalf("hard state %+v, want %+v", gotHS, hs)
				}
				if !ok || cut.Segment != d.path(r) || cut.Offset != at || cut.Bytes != int64(len(junk)) {
					t.Fatalf("CutTail = %+v, %v; want %d bytes cut at offset %d of %s", cut, ok, len(junk), at, d.path(r))
				}
				if !strings.HasSuffix(cut.Broken, ".broken") || !bytes.Equal(readAt(t, d.fs, cut.Broken, 0, len(junk)), junk) {
					t.Fatalf("%s does not hold the cut bytes", cut.Broken)
				}
				checkRepaired(t, d)

				// The repaired WAL takes appends after the last record.
				w, _, _ = reopen(t, d.fs, d.dir, Snapshot{})
				more := bigEnts(8, 8, 2, 100)
				must(t, w.Save(raft.HardState{Term: 2, Commit: 8}, more, true))
				must(t, w.Close())
				w, _, got = reopen(t, d.fs, d.dir, Snapshot{})
				must(t, w.Close())
				if diff := diffEntries(got, append(all, more...)); diff != "" {
					t.Fatal(diff)
				}
			})
		})
	}
}

// TestTornTail_DamageBeforeAValidRecordIsCorruption: the same garbage is
// corruption when a valid record follows it — the write it hit was synced —
// and the error names the file and the offset of the damaged record.
func TestTornTail_DamageBeforeAValidRecordIsCorruption(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		_, _, r, _ := tailLog(t, d)
		recs := records(t, d.fs, d.dir)
		// The last padded record before the last record.
		var prev Record
		var payloadEnd int64
		for _, rec := range recs[:len(recs)-1] {
			head := readAt(t, d.fs, d.path(rec), rec.Offset, headerSize)
			if end := rec.Offset + headerSize + int64(binary.LittleEndian.Uint32(head)); end < rec.Offset+int64(rec.Size) {
				prev, payloadEnd = rec, end
			}
		}
		if prev.Segment != r.Segment {
			t.Fatalf("no padded record before the last one in %s", r.Segment)
		}
		// Garbage in its padding only: the record itself checks out.
		patch(t, d.fs, d.path(prev), payloadEnd, []byte{0xee})
		w, err := Open(d.fs, d.dir, Snapshot{})
		must(t, err)
		_, _, _, err = w.ReadAll()
		w.Close()
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Path != d.path(prev) || ce.Offset != prev.Offset {
			t.Fatalf("ReadAll = %v, want a *CorruptError at offset %d of %s", err, prev.Offset, d.path(prev))
		}
		if !strings.Contains(err.Error(), filepath.Base(d.path(prev))) {
			t.Fatalf("the error does not name the file: %v", err)
		}
	})
}

// TestDamageBeforeAValidRecordProperty: damage inside a synced record that
// a valid record follows is always corruption — never cut as a torn tail —
// reported with the file and the offset of the damaged record. In an older
// segment every record counts as followed by a valid one: the segment was
// synced in full before the next one was started.
//
// A valid record is one whose CRC can be checked, which needs the CRC it is
// chained from (scanner.validRecordAfter): the damaged record's own, as
// stored or as its bytes compute it, or the stored CRC of the record before
// it. So when the damage destroys the stored CRC of the record before the
// last one together with other bytes of it, nothing vouches for the last
// record, and that case is left out.
func TestDamageBeforeAValidRecordProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sim := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 1)))
		must(t, sim.MkdirAll("/data"))
		dir := "/data/wal"
		segSize := rapid.SampledFrom([]int64{512, 2048, 1 << 16}).Draw(t, "segment size")
		w, err := Create(sim, dir, testMD, WithSegmentSize(segSize))
		must(t, err)
		var last uint64
		hs := raft.HardState{Term: 1}
		for range rapid.IntRange(1, 12).Draw(t, "saves") {
			var es []raft.Entry
			for range rapid.IntRange(0, 3).Draw(t, "entries") {
				last++
				// Mostly zeros, as real entries often are: sectors of zeros
				// inside a record must not pass for a torn write.
				data := make([]byte, rapid.IntRange(0, 300).Draw(t, "data size"))
				if len(data) > 0 {
					data[0] = byte(last)
				}
				es = append(es, raft.Entry{Term: 1, Index: last, Data: data})
			}
			if rapid.Bool().Draw(t, "new hard state") {
				hs.Vote = rapid.Uint64Range(0, 3).Draw(t, "vote")
				hs.Commit = rapid.Uint64Range(hs.Commit, last).Draw(t, "commit")
			}
			must(t, w.Save(hs, es, rapid.Bool().Draw(t, "sync")))
			if hs.Commit > 0 && rapid.IntRange(0, 5).Draw(t, "snapshot") == 0 {
				must(t, w.SaveSnapshot(Snapshot{Index: hs.Commit, Term: 1}))
			}
		}
		must(t, w.Close()) // everything saved is synced now
		var recs []Record
		_, err = Walk(sim, dir, func(r Record) error {
			r.Entries = nil
			recs = append(recs, r)
			return nil
		})
		must(t, err)
		if len(recs) < 2 {
			t.Skip("no record is followed by another")
		}
		k := rapid.IntRange(0, len(recs)-2).Draw(t, "damaged record")
		r := recs[k]
		path := filepath.Join(dir, r.Segment)
		f, err := sim.OpenReadWrite(path)
		must(t, err)
		old := make([]byte, r.Size)
		_, err = f.ReadAt(old, r.Offset)
		must(t, err)
		lo := rapid.IntRange(0, r.Size-1).Draw(t, "damage from")
		hi := rapid.IntRange(lo+1, min(r.Size, lo+64)).Draw(t, "damage to")
		damaged := bytes.Clone(old)
		crcHit, otherHit := false, false
		for i := lo; i < hi; i++ {
			damaged[i] ^= byte(rapid.IntRange(1, 255).Draw(t, "xor"))
			if i >= 8 && i < 12 {
				crcHit = true
			} else {
				otherHit = true
			}
		}
		newest := recs[len(recs)-1].Segment
		if r.Segment == newest && crcHit && otherHit && k+2 >= len(recs) {
			t.Skip("the CRC that the last record chains from is destroyed: nothing vouches for it")
		}
		_, err = f.WriteAt(damaged, r.Offset)
		must(t, err)
		must(t, f.Sync())
		must(t, f.Close())

		w, err = Open(sim, dir, Snapshot{}, WithSegmentSize(segSize))
		must(t, err)
		_, _, _, err = w.ReadAll()
		w.Close()
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Path != path || ce.Offset != r.Offset {
			t.Fatalf("bytes %d..%d of record %d of %d (%s at %d of %s, %d bytes) damaged: ReadAll = %v, want a *CorruptError at that offset",
				lo, hi, k, len(recs), r.Type, r.Offset, r.Segment, r.Size, err)
		}
	})
}

// TestTornTail_ZeroedHeaderBeforeLargeRecordsIsCorruption: a record header
// that the disk zeroed stores no CRC for the next record to chain from;
// what proves that valid records follow is two of them chained to each
// other. Here they are larger than a read chunk, so that the second starts
// in another chunk than the first.
func TestTornTail_ZeroedHeaderBeforeLargeRecordsIsCorruption(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(8*readChunk))
		must(t, err)
		for i := uint64(1); i <= 3; i++ {
			must(t, w.Save(raft.HardState{}, bigEnts(i, i, 1, readChunk+readChunk/4), true))
		}
		must(t, w.Close())
		recs := records(t, d.fs, d.dir)
		r := recs[len(recs)-3] // the first of the three entries records
		if r.Type != RecordEntries || r.Entries[0].Index != 1 {
			t.Fatalf("record %+v, want the entries record of index 1", r)
		}
		patch(t, d.fs, d.path(r), r.Offset, make([]byte, headerSize))
		w, err = Open(d.fs, d.dir, Snapshot{})
		must(t, err)
		_, _, _, err = w.ReadAll()
		w.Close()
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Offset != r.Offset || !strings.Contains(err.Error(), "valid record follows") {
			t.Fatalf("ReadAll = %v, want a *CorruptError at offset %d saying a valid record follows", err, r.Offset)
		}
	})
}
