package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
)

// repairTail cuts a torn write off the newest segment.
//
// The bytes from the cut to the last non-zero byte are first copied, durably,
// to "<segment>.<offset>.broken", so that nothing is destroyed that a human
// might want to look at. Then they are overwritten with zeros and synced.
// Zeroing (rather than truncating) keeps the preallocation, and makes sure
// that no stale fragment can line up behind records appended later.
func repairTail(fsys vfs.FS, dir string, end logEnd) (*TailCut, error) {
	f := end.tail
	stop, err := lastNonZero(f, end.off, end.size)
	if err != nil {
		return nil, fmt.Errorf("wal: repair %s: %w", end.path, err)
	}
	if stop <= end.off {
		return nil, nil
	}
	broken, err := saveBroken(fsys, dir, end, stop)
	if err != nil {
		return nil, fmt.Errorf("wal: repair %s: keep the torn bytes: %w", end.path, err)
	}
	zeros := make([]byte, min(stop-end.off, readChunk))
	for off := end.off; off < stop; {
		n := min(int64(len(zeros)), stop-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return nil, fmt.Errorf("wal: repair %s: %w", end.path, err)
		}
		off += n
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("wal: repair %s: %w", end.path, err)
	}
	return &TailCut{Segment: end.path, Offset: end.off, Bytes: stop - end.off, Broken: broken, Reason: end.torn.Reason}, nil
}

// TailCut describes a torn write that ReadAll cut off the newest segment.
type TailCut struct {
	Segment string // the segment's path
	Offset  int64  // where the cut bytes began: the end of the last valid record
	Bytes   int64  // how many bytes were cut (and zeroed)
	Broken  string // the file that keeps them
	Reason  error  // why they were taken for a torn write
}

func (t *TailCut) String() string {
	return fmt.Sprintf("%s ended in a torn write at offset %d (%v): cut %d bytes, kept in %s", t.Segment, t.Offset, t.Reason, t.Bytes, t.Broken)
}

// lastNonZero returns the offset just past the last non-zero byte in
// [from, to) of f, or from if there is none.
func lastNonZero(f vfs.File, from, to int64) (int64, error) {
	buf := make([]byte, min(to-from, readChunk))
	stop := from
	for off := from; off < to; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), to-off)], off)
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			break
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				stop = off + int64(i) + 1
				break
			}
		}
		off += int64(n)
	}
	return stop, nil
}

// saveBroken copies [end.off, stop) of the tail to a new .broken file.
func saveBroken(fsys vfs.FS, dir string, end logEnd, stop int64) (string, error) {
	base := fmt.Sprintf("%s.%016x.broken", end.seg.name(), end.off)
	name := base
	for i := 1; ; i++ {
		_, err := fsys.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		name = fmt.Sprintf("%s.%d", base, i)
	}
	path := filepath.Join(dir, name)
	out, err := fsys.Create(path)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, io.NewSectionReader(end.tail, end.off, stop-end.off))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.SyncDir(dir)
	}
	return path, err
}
