package snapshot

import (
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
)

// A member writes its own snapshot in the background while its loop saves
// a newer one received from the leader and purges: the purge must not take
// the temporary file from under the save in progress, which would fail
// when it renames the file (and stop the member — seen in the chaos test,
// "rename …snap.tmp …snap: no such file or directory"). A temporary file
// that no save is writing is still a leftover, and goes.
func TestPurge_LeavesASaveInProgressAlone(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		must(t, fsys.MkdirAll(dir))
		leftover := filepath.Join(dir, fileName(1, 5)+".tmp")
		f, err := fsys.Create(leftover)
		must(t, err)
		must(t, f.Close())

		inWrite, release := make(chan struct{}), make(chan struct{})
		background := make(chan error, 1)
		go func() {
			background <- s.Save(meta(10, 2), func(w io.Writer) error {
				close(inWrite)
				<-release
				_, err := w.Write(payload(1, 100))
				return err
			})
		}()
		<-inWrite
		must(t, s.Save(meta(20, 2), func(w io.Writer) error { _, err := w.Write(payload(2, 100)); return err }))
		must(t, s.Purge(DefaultKeep))
		close(release)
		if err := <-background; err != nil {
			t.Fatalf("the save in progress during a purge: %v", err)
		}
		names, err := fsys.ReadDir(dir)
		must(t, err)
		want := []string{fileName(2, 10), fileName(2, 20)}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Fatalf("files after the purge and the save: %q, want %q (the leftover .tmp purged)", names, want)
		}
	})
}
