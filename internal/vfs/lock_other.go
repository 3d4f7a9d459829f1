//go:build !unix

package vfs

import (
	"errors"
	"os"
)

func lockFile(*os.File) error {
	return errors.New("vfs: directory locking is not supported on this platform")
}
