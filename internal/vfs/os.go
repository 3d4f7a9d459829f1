package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// OS returns the real filesystem.
//
// It performs exactly the syncs it is asked for, no more: a caller that needs
// a create or rename to survive a crash calls SyncDir, just as it must on the
// simulated disk (where forgetting it is caught by tests).
func OS() FS { return osFS{} }

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return &osFile{f}, nil
}

func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return &osFile{f}, nil
}

func (osFS) OpenReadWrite(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &osFile{f}, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) RemoveAll(path string) error          { return os.RemoveAll(path) }

func (osFS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll creates the missing directories from the top down and syncs the
// parent of each one, so that a crash cannot leave a WAL directory whose
// files are durable but whose own name is not.
func (fs osFS) MkdirAll(dir string) error {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("vfs: mkdir %s: not a directory", dir)
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := fs.MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return fs.SyncDir(filepath.Dir(dir))
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	// A directory's entries are metadata, so this must be a full fsync.
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vfs: sync dir %s: %w", dir, err)
	}
	return nil
}

func (osFS) Stat(name string) (FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Size: fi.Size(), IsDir: fi.IsDir()}, nil
}

// Lock takes flock(2) on dir/LOCK. The kernel drops the lock when the
// process dies, so a crash never leaves a stale lock behind (a lock file that
// merely exists would).
func (osFS) Lock(dir string) (io.Closer, error) {
	name := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("vfs: lock %s: %w", dir, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("vfs: lock %s: %w", dir, err)
	}
	return f, nil
}

type osFile struct{ *os.File }

func (f *osFile) Sync() error { return fdatasync(f.File) }

func (f *osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (f *osFile) Preallocate(size int64) error {
	cur, err := f.Size()
	if err != nil || cur >= size {
		return err
	}
	if ok, err := fallocate(f.File, size); ok || err != nil {
		return err
	}
	return writeZeros(f, cur, size)
}

// writeZeros is the portable preallocation: it really writes the zeros, which
// costs I/O once but gives the same guarantee (space reserved, reads as zero).
func writeZeros(w io.WriterAt, from, to int64) error {
	zeros := make([]byte, min(to-from, 1<<20))
	for off := from; off < to; {
		n := min(int64(len(zeros)), to-off)
		if _, err := w.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		off += n
	}
	return nil
}
