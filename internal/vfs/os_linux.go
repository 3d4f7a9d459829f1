package vfs

import (
	"errors"
	"os"
	"syscall"
)

// fdatasync flushes the file's data and the metadata needed to read it (its
// size), skipping timestamps: one disk flush instead of two on most
// filesystems. That is all a log needs.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// fallocate reserves [0, size) in one metadata operation and extends the
// file's size. It reports false, with no error, when the filesystem cannot do
// it, so that the caller falls back to writing zeros.
func fallocate(f *os.File, size int64) (bool, error) {
	for {
		err := syscall.Fallocate(int(f.Fd()), 0, 0, size)
		switch {
		case err == nil:
			return true, nil
		case err == syscall.EINTR:
			continue
		case errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
			return false, nil
		default:
			return false, &os.PathError{Op: "fallocate", Path: f.Name(), Err: err}
		}
	}
}
