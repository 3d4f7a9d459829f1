package snapshot

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// DefaultKeep is how many snapshot files Purge keeps unless told otherwise.
const DefaultKeep = 5

// Snapshotter saves and loads the snapshot files of one directory
// (<data-dir>/member/snap). It holds no state beyond its arguments and is
// safe to use from one goroutine at a time.
type Snapshotter struct {
	fs  vfs.FS
	dir string
}

// New returns a Snapshotter for dir; dir is created on the first Save.
func New(fsys vfs.FS, dir string) *Snapshotter { return &Snapshotter{fs: fsys, dir: dir} }

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
