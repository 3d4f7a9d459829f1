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
// The cut bytes (up to the last non-zero one) are first copied, durably,
// to "<segment>.<offset>.broken", so that nothing is destroyed that a human
// might want to look at. Then they are overwritten with zeros and synced.
// Zeroing (rather than truncating) keeps the preallocation, and makes sure
// that no stale fragment can line up behind records appended later. If the
// file ends inside the last record's padding, the zeros complete it: the
// next record starts where the padding ends.
func repairTail(fsys vfs.FS, dir string, end logEnd) (*TailCut, error) {
	f, from, stop := end.tail, end.torn.Offset, end.torn.end
	if stop <= from && end.size >= end.off {
		return nil, nil
	}
	var broken string
	if stop > from {
		var err error
		if broken, err = saveBroken(fsys, dir, end, from, stop); err != nil {
			return nil, fmt.Errorf("wal: repair %s: keep the torn bytes: %w", end.path, err)
		}
	}
	zeroTo := max(stop, end.off)
	zeros := make([]byte, min(zeroTo-from, readChunk))
	for off := from; off < zeroTo; {
		n := min(int64(len(zeros)), zeroTo-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return nil, fmt.Errorf("wal: repair %s: %w", end.path, err)
		}
		off += n
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("wal: repair %s: %w", end.path, err)
	}
	if stop <= from {
		return nil, nil // only zeros were missing: nothing was cut
	}
	return &TailCut{Segment: end.path, Offset: from, Bytes: stop - from, Broken: broken, Reason: end.torn.Reason}, nil
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

// saveBroken copies [from, stop) of the tail to a new .broken file.
func saveBroken(fsys vfs.FS, dir string, end logEnd, from, stop int64) (string, error) {
	base := fmt.Sprintf("%s.%016x.broken", end.seg.name(), from)
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
	_, err = io.Copy(out, io.NewSectionReader(end.tail, from, stop-from))
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
