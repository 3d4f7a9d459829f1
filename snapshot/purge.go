package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/raftkv/raftkv/raft"
)

// Purge removes all but the newest keep snapshot files (DefaultKeep is the
// usual choice), and leftover temporary files of interrupted saves — not
// the temporary file of a save in progress on another goroutine. Keep
// more than one: the newest file may be one whose WAL marker a crash lost,
// and the WAL still relies on the one before it.
func (s *Snapshotter) Purge(keep int) error {
	if keep < 1 {
		return fmt.Errorf("snapshot: purge: keep %d, want at least 1", keep)
	}
	names, err := s.fs.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("snapshot: list %s: %w", s.dir, err)
	}
	var doomed []string
	for i, n := range newestFirst(names) {
		if i >= keep {
			doomed = append(doomed, n.name)
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, snapExt+".tmp") && !s.inProgress(n) {
			doomed = append(doomed, n)
		}
	}
	if len(doomed) == 0 {
		return nil
	}
	for _, n := range doomed {
		if err := s.fs.Remove(filepath.Join(s.dir, n)); err != nil {
			return fmt.Errorf("snapshot: purge: %w", err)
		}
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return fmt.Errorf("snapshot: purge: %w", err)
	}
	return nil
}

// Info describes one snapshot file, for inspection.
type Info struct {
	Name string
	Meta raft.SnapshotMeta
	Size int64 // payload bytes
	Err  error // why the file is not a valid snapshot, if it is not
}

// List verifies every snapshot file in the directory, newest first, without
// changing anything.
func (s *Snapshotter) List() ([]Info, error) {
	names, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot: list %s: %w", s.dir, err)
	}
	var out []Info
	for _, n := range newestFirst(names) {
		info := Info{Name: n.name}
		if l, err := s.open(filepath.Join(s.dir, n.name), n); err != nil {
			info.Err = err
		} else {
			info.Meta, info.Size = l.Meta, l.Size
			l.Close()
		}
		out = append(out, info)
	}
	return out, nil
}
