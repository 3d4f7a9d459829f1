//go:build !linux

package vfs

import "os"

// fdatasync falls back to fsync where the platform has no fdatasync: slower,
// never weaker.
func fdatasync(f *os.File) error { return f.Sync() }

// fallocate is unavailable; the caller writes zeros instead.
func fallocate(*os.File, int64) (bool, error) { return false, nil }
