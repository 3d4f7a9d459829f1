package vfs

import (
	"errors"
	"io"
)

// FS is the set of filesystem operations the WAL and the snapshotter need.
//
// Durability contract (both implementations honour it, and the simulated disk
// enforces it): data written to a File survives a crash only once File.Sync has
// returned; a Create, Rename, Remove or RemoveAll survives a crash only once
// SyncDir has returned for the directory that holds the name. MkdirAll is the
// one exception: directories it creates are durable when it returns, because
// every caller needs that and forgetting it is an easy, silent mistake.
type FS interface {
	// Create creates name (truncating it if it exists), open for reading and writing.
	Create(name string) (File, error)
	// Open opens an existing file for reading only.
	Open(name string) (File, error)
	// OpenReadWrite opens an existing file for reading and writing.
	OpenReadWrite(name string) (File, error)
	// Rename atomically replaces newpath with oldpath (files or directories).
	Rename(oldpath, newpath string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes path and everything below it; a missing path is no error.
	RemoveAll(path string) error
	// ReadDir lists the names in dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and its missing parents, durably.
	MkdirAll(dir string) error
	// SyncDir makes the entries of dir (creates, renames, removes) durable.
	SyncDir(dir string) error
	// Stat describes name.
	Stat(name string) (FileInfo, error)
	// Lock takes an exclusive lock on dir, held until the returned Closer is
	// closed (or the process dies). A second Lock on the same dir, from this
	// process or another, fails with an error wrapping ErrLocked.
	Lock(dir string) (io.Closer, error)
}

// File is an open file. Reads and writes through Read/Write use the file's own
// position; ReadAt/WriteAt do not move it.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Closer
	// Sync makes everything written to the file so far durable, including its
	// size. On Linux it is fdatasync(2): the file's data and the metadata needed
	// to read it back, without the modification time nobody needs.
	Sync() error
	// Truncate changes the file's size (shrinking, or growing with zeros).
	Truncate(size int64) error
	// Preallocate reserves space so that the file is at least size bytes long,
	// reading back as zeros past its current end. Writing into reserved space
	// later does not change the file's size, so each Sync has less metadata
	// to flush.
	Preallocate(size int64) error
	// Size returns the current size of the file.
	Size() (int64, error)
	// Name returns the name the file was opened with.
	Name() string
}

// FileInfo is what Stat reports.
type FileInfo struct {
	Size  int64
	IsDir bool
}

// ErrLocked is wrapped by Lock when the directory is already locked.
var ErrLocked = errors.New("vfs: directory is locked by another process or handle")
