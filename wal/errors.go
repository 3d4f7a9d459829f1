package wal

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every *CorruptError.
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrExist is returned by Create when dir already holds a WAL.
	ErrExist = errors.New("wal: already exists")
	// ErrNotFound is returned by Open when dir holds no WAL.
	ErrNotFound = errors.New("wal: no segment files found")
	// ErrSnapshotNotFound is returned by ReadAll when the snapshot marker
	// it was opened from is not in the WAL.
	ErrSnapshotNotFound = errors.New("wal: snapshot marker not found")
	// ErrSnapshotMismatch is returned by ReadAll when the WAL has a marker
	// at the snapshot's index but with another term.
	ErrSnapshotMismatch = errors.New("wal: snapshot marker has a different term")
	// ErrNotReplayed is returned by writes to a WAL that was opened but not
	// yet read: appending before the tail is known could overwrite it.
	ErrNotReplayed = errors.New("wal: ReadAll must be called before writing")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("wal: closed")
)

// CorruptError is damage the WAL does not repair by itself: anything but a
// torn tail of the last segment. It names the file and the offset, so a
// human can look (raftkv-dump prints the records around it).
type CorruptError struct {
	Path   string
	Offset int64
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt %s at offset %d (%#x): %v", e.Path, e.Offset, e.Offset, e.Err)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true and exposes the reason.
func (e *CorruptError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

func corrupt(path string, off int64, format string, args ...any) *CorruptError {
	return &CorruptError{Path: path, Offset: off, Err: fmt.Errorf(format, args...)}
}
