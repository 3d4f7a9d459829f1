package wal

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/raft"
)

// corruptionLog builds a WAL of three or more small segments whose records
// are full of non-zero bytes, and returns its records and entries. The last
// Save repeats the hard state, so the newest segment ends with an entries
// record.
func corruptionLog(t *testing.T, d disk) ([]Record, []raft.Entry) {
	w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(2048))
	must(t, err)
	var all []raft.Entry
	const n = 14
	for i := uint64(1); i <= n; i++ {
		e := bigEnts(i, i, 1, 600)
		all = append(all, e...)
		must(t, w.Save(raft.HardState{Term: 1, Commit: min(i, n-1)}, e, true))
	}
	must(t, w.Close())
	recs := records(t, d.fs, d.dir)
	if segs := segmentNames(t, d.fs, d.dir); len(segs) < 3 {
		t.Fatalf("want 3 segments or more, have %v", segs)
	}
	return recs, all
}

// pick returns the records of segment seg (negative counts from the newest)
// of type typ.
func pick(t *testing.T, d disk, recs []Record, seg int, typ RecordType) []Record {
	names := segmentNames(t, d.fs, d.dir)
	if seg < 0 {
		seg += len(names)
	}
	var out []Record
	for _, r := range recs {
		if r.Segment == names[seg] && r.Type == typ {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s record in segment %d", typ, seg)
	}
	return out
}

func (d disk) path(r Record) string { return filepath.Join(d.dir, r.Segment) }

// lastOf returns the last element of s.
func lastOf[T any](s []T) T { return s[len(s)-1] }

// payloadMid is an offset in the middle of r's payload.
func payloadMid(r Record) int64 { return r.Offset + headerSize + int64(r.Size-headerSize)/2 }

// craft encodes one record of type t chained from prev.
func craft(t RecordType, prev uint32, payload []byte) []byte {
	b, _ := appendRecord(nil, prev, t, func(b []byte) []byte { return append(b, payload...) })
	return b
}

func TestCorruption(t *testing.T) {
	type outcome struct {
		repaired bool
		keep     int    // repaired: entries left
		at       Record // not repaired: the record the error must name
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, d disk, recs []Record) outcome
	}{
		{"torn/last record cut short by the end of the file", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			truncate(t, d.fs, d.path(r), r.Offset+int64(r.Size)/2)
			return outcome{repaired: true, keep: 13}
		}},
		{"torn/the part of the last record in one sector is zeros", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			from := (r.Offset/512 + 1) * 512
			patch(t, d.fs, d.path(r), from, make([]byte, r.Offset+int64(r.Size)-from))
			return outcome{repaired: true, keep: 13}
		}},
		{"torn/header of the last record zeroed, payload intact", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			patch(t, d.fs, d.path(r), r.Offset, make([]byte, headerSize))
			return outcome{repaired: true, keep: 13}
		}},
		{"torn/stray bytes in the preallocated space", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			patch(t, d.fs, d.path(r), r.Offset+int64(r.Size)+700, []byte{1, 2, 3})
			return outcome{repaired: true, keep: 14}
		}},
		{"torn/garbage over the last record", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			patch(t, d.fs, d.path(r), r.Offset+headerSize+3, bytes.Repeat([]byte{0xa7}, 512))
			return outcome{repaired: true, keep: 13}
		}},
		// The limit of the rule: no valid record follows a flipped bit in
		// the last record, so it looks exactly like a torn write, and is cut
		// like one (docs/persistence.md, "Torn tail or corruption?").
		{"limit/flipped bit in the last record", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			flipBit(t, d.fs, d.path(r), payloadMid(r))
			return outcome{repaired: true, keep: 13}
		}},
		{"limit/flipped bit in the length of the last record", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, -1, RecordEntries))
			flipBit(t, d.fs, d.path(r), r.Offset)
			return outcome{repaired: true, keep: 13}
		}},
		{"corrupt/flipped bit in the record before the last", func(t *testing.T, d disk, recs []Record) outcome {
			r := recs[len(recs)-2]
			flipBit(t, d.fs, d.path(r), payloadMid(r))
			return outcome{at: r}
		}},
		{"corrupt/flipped bit in an earlier record of the newest segment", func(t *testing.T, d disk, recs []Record) outcome {
			r := pick(t, d, recs, -1, RecordEntries)[0]
			flipBit(t, d.fs, d.path(r), payloadMid(r))
			return outcome{at: r}
		}},
		{"corrupt/flipped bit in an older segment", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, 0, RecordEntries))
			flipBit(t, d.fs, d.path(r), payloadMid(r))
			return outcome{at: r}
		}},
		{"corrupt/zeroed sector in an older segment", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, 0, RecordEntries))
			from := (r.Offset/512 + 1) * 512
			patch(t, d.fs, d.path(r), from, make([]byte, r.Offset+int64(r.Size)-from))
			return outcome{at: r}
		}},
		{"corrupt/older segment cut short", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, 0, RecordEntries))
			truncate(t, d.fs, d.path(r), r.Offset+int64(r.Size)/2)
			return outcome{at: r}
		}},
		{"corrupt/last record of an older segment zeroed", func(t *testing.T, d disk, recs []Record) outcome {
			r := lastOf(pick(t, d, recs, 0, RecordEntries))
			patch(t, d.fs, d.path(r), r.Offset, make([]byte, r.Size))
			return outcome{at: r}
		}},
		{"corrupt/segment missing from the sequence", func(t *testing.T, d disk, recs []Record) outcome {
			gone, after := pick(t, d, recs, 1, RecordCRC)[0], pick(t, d, recs, 2, RecordCRC)[0]
			must(t, d.fs.Remove(d.path(gone)))
			return outcome{at: after}
		}},
		{"corrupt/crc chain broken between segments", func(t *testing.T, d disk, recs []Record) outcome {
			r := pick(t, d, recs, 1, RecordCRC)[0]
			patch(t, d.fs, d.path(r), r.Offset, craft(RecordCRC, 0, appendSeed(nil, r.Seed+1)))
			return outcome{at: r}
		}},
		{"corrupt/metadata differs between segments", func(t *testing.T, d disk, recs []Record) outcome {
			seed := pick(t, d, recs, 1, RecordCRC)[0]
			r := pick(t, d, recs, 1, RecordMetadata)[0]
			other := appendMetadata(nil, Metadata{ClusterID: testMD.ClusterID + 1, MemberID: testMD.MemberID + 1})
			patch(t, d.fs, d.path(r), r.Offset, craft(RecordMetadata, seed.CRC, other))
			return outcome{at: r}
		}},
		{"corrupt/segment without its crc record", func(t *testing.T, d disk, recs []Record) outcome {
			r := pick(t, d, recs, -1, RecordCRC)[0]
			patch(t, d.fs, d.path(r), r.Offset, craft(RecordHardState, 0, appendHardState(nil, &raft.HardState{})))
			return outcome{at: r}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			onDisks(t, func(t *testing.T, d disk) {
				recs, all := corruptionLog(t, d)
				want := tc.damage(t, d, recs)
				var got []raft.Entry
				var cut *TailCut
				w, err := Open(d.fs, d.dir, Snapshot{})
				if err == nil {
					_, _, got, err = w.ReadAll()
					cut, _ = w.CutTail()
					w.Close()
				}
				if !want.repaired {
					var ce *CorruptError
					if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
						t.Fatalf("ReadAll = %v, want a *CorruptError", err)
					}
					if ce.Path != d.path(want.at) || ce.Offset != want.at.Offset {
						t.Fatalf("error names %s at %d, want %s at %d: %v", ce.Path, ce.Offset, d.path(want.at), want.at.Offset, err)
					}
					if !strings.Contains(err.Error(), want.at.Segment) {
						t.Fatalf("message does not name the file: %v", err)
					}
					return
				}
				must(t, err)
				if diff := diffEntries(got, all[:want.keep]); diff != "" {
					t.Fatal(diff)
				}
				checkRepaired(t, d)
				// The caller is told, so that the member can say so.
				if cut == nil || !strings.HasSuffix(cut.Broken, ".broken") || cut.Bytes <= 0 {
					t.Fatalf("CutTail = %+v after a repair", cut)
				}
				// The repaired WAL takes appends and replays them.
				w, _, _ = reopen(t, d.fs, d.dir, Snapshot{})
				next := uint64(want.keep + 1)
				must(t, w.Save(raft.HardState{Term: 2, Commit: next}, bigEnts(next, next, 2, 600), true))
				must(t, w.Close())
				w, _, got = reopen(t, d.fs, d.dir, Snapshot{})
				must(t, w.Close())
				if diff := diffEntries(got, append(all[:want.keep:want.keep], bigEnts(next, next, 2, 600)...)); diff != "" {
					t.Fatal(diff)
				}
			})
		})
	}
}

// checkRepaired: the cut bytes are in a .broken file, the tail reads as a
// clean end, and nothing but zeros follows the last record.
func checkRepaired(t *testing.T, d disk) {
	t.Helper()
	end, err := Walk(d.fs, d.dir, func(Record) error { return nil })
	must(t, err)
	if end.Torn != nil {
		t.Fatalf("still torn after repair: %v", end.Torn)
	}
	names, err := d.fs.ReadDir(d.dir)
	must(t, err)
	var broken []string
	for _, n := range names {
		if strings.HasSuffix(n, ".broken") {
			broken = append(broken, n)
		}
	}
	if len(broken) != 1 || !strings.HasPrefix(broken[0], end.Segment) {
		t.Fatalf("broken files %v, want one for %s", broken, end.Segment)
	}
	fi, err := d.fs.Stat(filepath.Join(d.dir, broken[0]))
	must(t, err)
	if saved := readAt(t, d.fs, filepath.Join(d.dir, broken[0]), 0, int(fi.Size)); bytes.Equal(saved, make([]byte, len(saved))) {
		t.Fatal("the .broken file holds no data")
	}
	path := filepath.Join(d.dir, end.Segment)
	if rest := readAt(t, d.fs, path, end.Offset, int(end.Size-end.Offset)); !bytes.Equal(rest, make([]byte, len(rest))) {
		t.Fatal("bytes after the last record were not zeroed")
	}
}
