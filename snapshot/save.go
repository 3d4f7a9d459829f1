package snapshot

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
	"sync"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// DefaultKeep is how many snapshot files Purge keeps unless told otherwise.
const DefaultKeep = 5

// Snapshotter saves and loads the snapshot files of one directory
// (<data-dir>/member/snap). A member saves its own snapshots in the
// background while its loop saves the leader's and purges old files, so
// Save and Purge may run at the same time: Purge leaves alone the
// temporary file of a save still in progress.
type Snapshotter struct {
	fs  vfs.FS
	dir string

	mu     sync.Mutex
	saving map[string]bool // temporary file names of saves in progress
}

// New returns a Snapshotter for dir; dir is created on the first Save.
func New(fsys vfs.FS, dir string) *Snapshotter {
	return &Snapshotter{fs: fsys, dir: dir, saving: map[string]bool{}}
}

// startSaving records that tmp is being written, until the returned
// function is called.
func (s *Snapshotter) startSaving(tmp string) (done func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saving[filepath.Base(tmp)] = true
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.saving, filepath.Base(tmp))
	}
}

// inProgress reports whether name is the temporary file of a save that
// has not ended.
func (s *Snapshotter) inProgress(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saving[name]
}

// Dir returns the directory the snapshots live in.
func (s *Snapshotter) Dir() string { return s.dir }

// Save writes a snapshot covering meta, streaming its payload from write:
// the state machine writes its image straight to the file, so a large
// snapshot is never held in memory by this package.
//
// The file appears atomically: it is written under a temporary name,
// synced, renamed, and the directory synced. A crash leaves the complete
// snapshot or none. Only after Save returns may the WAL record the
// snapshot's marker (wal.WAL.SaveSnapshot).
func (s *Snapshotter) Save(meta raft.SnapshotMeta, write func(io.Writer) error) (err error) {
	name := fileName(meta.Term, meta.Index)
	path := filepath.Join(s.dir, name)
	tmp := path + ".tmp"
	defer func() {
		if err != nil {
			err = fmt.Errorf("snapshot: save %s: %w", name, err)
		}
	}()
	if err := s.fs.MkdirAll(s.dir); err != nil {
		return err
	}
	enc, err := meta.AppendBinary(nil)
	if err != nil {
		return err
	}
	if len(enc) > maxMeta {
		return fmt.Errorf("metadata of %d bytes exceeds %d", len(enc), maxMeta)
	}
	defer s.startSaving(tmp)()
	f, err := s.fs.Create(tmp)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			s.fs.Remove(tmp) // best effort; a leftover .tmp is ignored and purged
		}
	}()
	// A placeholder header of the right size; the real one is written last.
	hdr := appendHeader(nil, enc, 0, 0)
	if _, err := f.Write(hdr); err != nil {
		return err
	}
	cw := &crcWriter{w: f}
	bw := bufio.NewWriterSize(cw, 256<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("writing the payload: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if _, err := f.WriteAt(appendHeader(hdr[:0], enc, cw.n, cw.crc), 0); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := s.fs.Rename(tmp, path); err != nil {
		return err
	}
	return s.fs.SyncDir(s.dir)
}

// crcWriter checksums and counts what passes through it.
type crcWriter struct {
	w   io.Writer
	crc uint32
	n   uint64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	c.n += uint64(n)
	return n, err
}
