package wal

import (
	"testing"

	"github.com/raftkv/raftkv/raft"
)

// BytesWritten is what a server exports as etcd_disk_wal_write_bytes_total:
// it must grow by exactly what each Save and SaveSnapshot put in the file.
func TestBytesWrittenCountsEveryRecordAppended(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		defer w.Close()
		for _, step := range []func() error{
			func() error { return w.Save(raft.HardState{Term: 1, Commit: 2}, ents(1, 3, 1, "a"), true) },
			func() error { return w.Save(raft.HardState{}, ents(4, 4, 1, "b"), false) },
			func() error { return w.SaveSnapshot(Snapshot{Index: 3, Term: 1}) },
		} {
			before, off := w.BytesWritten(), w.off
			must(t, step())
			if got, want := w.BytesWritten()-before, uint64(w.off-off); got != want || got == 0 {
				t.Fatalf("BytesWritten grew by %d, the tail by %d", got, want)
			}
		}
	})
}
