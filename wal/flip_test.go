package wal

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// A flipped bit in a record that a valid record follows is corruption,
// wherever it lands — also in a length field (the record then seems to run
// past the end of the file), in a record one of whose sectors happens to
// hold only zero bytes of data (a hard state's zero vote, an entry's
// zeros), or in the zero padding. The member-level simulator found a WAL
// that took such a record for a torn tail and cut it off, with every
// acknowledged entry after it (its regression script
// wal-flip-before-a-completed-write-is-corruption). Records here are realistic:
// small, full of zeros, crossing sectors. Only a flip in the last record
// cannot be told from a tear, and is cut like one.
func TestCorruption_FlipBeforeValidRecordsIsNeverATornTail(t *testing.T) {
	build := func() (*vfs.SimDisk, []Record) {
		d := vfs.NewSimDisk(rand.New(rand.NewPCG(7, 7)))
		must(t, d.MkdirAll("/data"))
		w, err := Create(d, "/data/wal", testMD, WithSegmentSize(16<<10))
		must(t, err)
		for i := uint64(1); i <= 40; i++ {
			data := make([]byte, 5+i%23) // zeros, of varied lengths
			data[0] = byte(i)
			e := []raft.Entry{{Term: 1, Index: i, Data: data}}
			must(t, w.Save(raft.HardState{Term: 1, Commit: i - 1}, e, true))
		}
		must(t, w.Close())
		return d, records(t, d, "/data/wal")
	}
	_, recs := build()
	checked := 0
	// Every record but the last has a valid record after it.
	for k, r := range recs[:len(recs)-1] {
		for off := r.Offset; off < r.Offset+int64(r.Size); off++ {
			if k%8 != 0 && off%11 != 0 {
				continue // every byte of every eighth record, a sample of the rest
			}
			d, _ := build()
			path := filepath.Join("/data/wal", r.Segment)
			must(t, d.FlipBit(path, off, 0))
			w, err := Open(d, "/data/wal", Snapshot{}, WithSegmentSize(16<<10))
			if err == nil {
				_, _, _, err = w.ReadAll()
				w.Close()
			}
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("bit 0 of byte %d flipped (record %d of %d, %s at %d, %d bytes): ReadAll returned %v, want a *CorruptError",
					off, k, len(recs), r.Type, r.Offset, r.Size, err)
			}
			checked++
		}
	}
	t.Logf("%d flips, each reported as corruption", checked)
}
