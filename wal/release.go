package wal

import (
	"fmt"
	"path/filepath"
)

// ReleaseBefore deletes the segments that hold nothing the log still needs
// once a snapshot covers index: every segment before the last one whose
// name index is <= index (see segment). The tail is never deleted.
//
// It syncs first. Otherwise a crash could keep the deletions but lose the
// not-yet-synced snapshot marker written just before, leaving a WAL that
// neither starts at the beginning nor knows the snapshot it relies on
// (etcd issue #10219).
func (w *WAL) ReleaseBefore(index uint64) error {
	if err := w.writable(); err != nil {
		return err
	}
	if err := w.commit(); err != nil {
		return err
	}
	k := min(searchIndex(w.segs, index), len(w.segs)-1)
	if k <= 0 {
		return nil
	}
	// Oldest first: a crash part-way leaves a gap only below segments that
	// are still complete, which readers recognise (contiguousSuffix).
	for len(w.segs) > 0 && k > 0 {
		path := filepath.Join(w.dir, w.segs[0].name())
		if err := w.fs.Remove(path); err != nil {
			return fmt.Errorf("wal: release %s: %w", path, err)
		}
		w.segs = w.segs[1:]
		k--
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		return fmt.Errorf("wal: release: %w", err)
	}
	return nil
}
