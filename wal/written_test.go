package wal

import (
	"testing"

	"github.com/raftkv/raftkv/raft"
)

// BytesWritten is what a server exports as etcd_disk_wal_write_bytes_total:
// it must grow by exactly what each Save and SaveSnapshot put in the file —
// nothing for a Save without sync (its records wait for the next synced
// write), and those records with the next.
func TestBytesWrittenCountsEveryRecordAppended(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		defer w.Close()
		for i, step := range []struct {
			save   func() error
			writes bool
		}{
			{func() error { return w.Save(raft.HardState{Term: 1, Commit: 2}, ents(1, 3, 1, "a"), true) }, true},
			{func() error { return w.Save(raft.HardState{}, ents(4, 4, 1, "b"), false) }, false},
			{func() error { return w.SaveSnapshot(Snapshot{Index: 3, Term: 1}) }, true},
		} {
			before, off := w.BytesWritten(), w.off
			must(t, step.save())
			got, want := w.BytesWritten()-before, uint64(w.off-off)
			if got != want || (got > 0) != step.writes {
				t.Fatalf("step %d: BytesWritten grew by %d, the tail by %d", i, got, want)
			}
		}
	})
}
