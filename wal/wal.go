package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// DefaultSegmentSize is the size segments are preallocated to and cut at.
const DefaultSegmentSize = 64 << 20

// Option configures Create and Open.
type Option func(*options)

type options struct {
	segmentSize int64
	pipeline    bool
}

// WithSegmentSize sets the size a segment is preallocated to; a new segment
// is started once a write takes the current one past it. Tests use small
// sizes to exercise segment changes.
func WithSegmentSize(n int64) Option {
	return func(o *options) { o.segmentSize = max(n, 1) }
}

func buildOptions(opts []Option) options {
	o := options{segmentSize: DefaultSegmentSize}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WAL is an open write-ahead log. It is not safe for concurrent use: one
// goroutine (the member's storage loop) owns it.
type WAL struct {
	fs   vfs.FS
	dir  string
	opts options
	lock io.Closer
	md   Metadata

	// Set by Open until ReadAll has run: where replay starts.
	from      Snapshot
	replaying bool
	start     int // position in segs of the first segment to replay

	pipe *pipeline // prepares the next segment; nil unless WithSegmentPipeline

	segs []segment // live segments, oldest first; the last is the tail
	tail vfs.File
	off  int64  // where the next write goes in the tail
	crc  uint32 // CRC of the last record saved: the chain's next seed
	// lastIndex is the index of the last entry saved, or of a snapshot
	// marker beyond it; a new segment is named lastIndex+1.
	lastIndex uint64
	hs        raft.HardState // the last hard state saved
	dirty     bool           // written since the last sync
	// pending holds the records saved without sync and not yet written,
	// which go to the file with the next synced write (see Save). Its
	// buffer is reused by every Save.
	pending []byte
	// written counts the bytes written to segments since Open or Create
	// (records and their padding), for a server's metrics.
	written uint64

	// tailCut is what ReadAll cut off the newest segment (nil: nothing).
	tailCut *TailCut

	// err is sticky. After a failed write or fsync nobody knows what the
	// file holds — Linux may even have dropped the dirty pages it failed to
	// write — so retrying could acknowledge data that is gone. The member
	// must stop, and recover from what the disk really has.
	err error
}

// Exist reports whether dir holds a WAL.
func Exist(fsys vfs.FS, dir string) bool {
	segs, err := listSegments(fsys, dir)
	return err == nil && len(segs) > 0
}

// Create makes a new WAL in dir, which must not hold one, and returns it
// ready for appending.
//
// The directory appears atomically: the first segment is written and synced
// in dir+".tmp", which is then renamed to dir, and the parent directory is
// synced. A crash leaves either no WAL or a complete one, never a WAL
// without its metadata.
func Create(fsys vfs.FS, dir string, md Metadata, opts ...Option) (*WAL, error) {
	if Exist(fsys, dir) {
		return nil, fmt.Errorf("wal: create %s: %w", dir, ErrExist)
	}
	o := buildOptions(opts)
	dir = filepath.Clean(dir)
	tmp := dir + ".tmp"
	if err := fsys.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if err := fsys.MkdirAll(tmp); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	w := &WAL{fs: fsys, dir: tmp, opts: o, md: md}
	first := segment{seq: 0, index: 0}
	if err := w.startSegment(first); err != nil {
		w.closeTail()
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	w.closeTail()
	// An empty dir left by an earlier attempt would make the rename fail.
	if err := fsys.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if err := fsys.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if err := fsys.SyncDir(filepath.Dir(dir)); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	w.dir = dir
	var err error
	if w.lock, err = fsys.Lock(dir); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if w.tail, err = fsys.OpenReadWrite(filepath.Join(dir, first.name())); err != nil {
		w.lock.Close()
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	w.startPipeline()
	return w, nil
}

// Open opens the WAL in dir for replay from the snapshot marker from (the
// zero Snapshot to replay from the beginning). It locks dir: a second Open
// of the same WAL, by this process or another, fails with an error wrapping
// vfs.ErrLocked. The caller must call ReadAll before writing.
func Open(fsys vfs.FS, dir string, from Snapshot, opts ...Option) (*WAL, error) {
	lock, err := fsys.Lock(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = ErrNotFound
		}
		return nil, fmt.Errorf("wal: open %s: %w", dir, err)
	}
	w, err := open(fsys, dir, from, opts)
	if err != nil {
		lock.Close()
		return nil, err
	}
	w.lock = lock
	return w, nil
}

func open(fsys vfs.FS, dir string, from Snapshot, opts []Option) (*WAL, error) {
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("wal: open %s: %w", dir, ErrNotFound)
	}
	start := searchIndex(segs, from.Index)
	if start < 0 {
		return nil, fmt.Errorf("wal: open %s: segments start at index %d, after snapshot index %d: %w",
			dir, segs[0].index, from.Index, ErrSnapshotNotFound)
	}
	if err := checkSequence(dir, segs[start:]); err != nil {
		return nil, err
	}
	if err := removeTemps(fsys, dir); err != nil {
		return nil, err
	}
	return &WAL{fs: fsys, dir: dir, opts: buildOptions(opts), from: from, replaying: true, start: start, segs: segs}, nil
}

// removeTemps deletes segments that were being created when the process
// stopped. A segment is renamed into place only once complete and synced,
// so a temporary one never held an acknowledged record.
func removeTemps(fsys vfs.FS, dir string) error {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("wal: list %s: %w", dir, err)
	}
	removed := false
	for _, n := range names {
		if strings.HasSuffix(n, segmentExt+".tmp") {
			if err := fsys.Remove(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("wal: remove %s: %w", n, err)
			}
			removed = true
		}
	}
	if removed {
		if err := fsys.SyncDir(dir); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
	}
	return nil
}

// writable reports why the WAL cannot take a write, if it cannot.
func (w *WAL) writable() error {
	switch {
	case w.err != nil:
		return w.err
	case w.replaying:
		return ErrNotReplayed
	case w.tail == nil:
		return ErrClosed
	}
	return nil
}

// fail records a write error; see WAL.err.
func (w *WAL) fail(err error) error {
	w.err = fmt.Errorf("wal: %s: %w (the WAL refuses further writes; restart to recover)", w.dir, err)
	return w.err
}

// Sync makes every record saved so far durable.
func (w *WAL) Sync() error {
	if err := w.writable(); err != nil {
		return err
	}
	return w.commit()
}

func (w *WAL) sync() error {
	if !w.dirty {
		return nil
	}
	if err := w.tail.Sync(); err != nil {
		return w.fail(err)
	}
	w.dirty = false
	return nil
}

// Close makes what was saved durable and releases the WAL.
func (w *WAL) Close() error {
	var err error
	if w.tail != nil && w.err == nil && !w.replaying {
		err = w.commit()
	}
	w.closeTail()
	if w.lock != nil {
		if cerr := w.lock.Close(); err == nil {
			err = cerr
		}
		w.lock = nil
	}
	if w.err == nil {
		w.err = ErrClosed
	}
	return err
}

func (w *WAL) startPipeline() {
	if w.opts.pipeline {
		w.pipe = startPipeline(w.fs, w.dir, w.opts.segmentSize)
	}
}

func (w *WAL) closeTail() {
	if w.pipe != nil {
		w.pipe.close()
		w.pipe = nil
	}
	if w.tail != nil {
		w.tail.Close()
		w.tail = nil
	}
}
