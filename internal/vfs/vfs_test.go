package vfs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
)

// filesystems runs a test on the real disk and on the simulated one, so that
// the simulated disk cannot drift from the behaviour it stands in for.
func filesystems(t *testing.T, test func(t *testing.T, fsys vfs.FS, dir string)) {
	t.Run("os", func(t *testing.T) { test(t, vfs.OS(), t.TempDir()) })
	t.Run("sim", func(t *testing.T) {
		d := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 2)))
		if err := d.MkdirAll("/data"); err != nil {
			t.Fatal(err)
		}
		test(t, d, "/data")
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, fsys vfs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	must(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	must(t, err)
	return b
}

func TestFileReadWrite(t *testing.T) {
	filesystems(t, func(t *testing.T, fsys vfs.FS, dir string) {
		name := filepath.Join(dir, "f")
		f, err := fsys.Create(name)
		must(t, err)
		_, err = f.Write([]byte("hello "))
		must(t, err)
		_, err = f.Write([]byte("world"))
		must(t, err)
		_, err = f.WriteAt([]byte("W"), 6)
		must(t, err)
		must(t, f.Sync())
		buf := make([]byte, 5)
		n, err := f.ReadAt(buf, 6)
		if n != 5 || err != nil || string(buf) != "World" {
			t.Fatalf("ReadAt = %d %v %q", n, err, buf)
		}
		if n, err := f.ReadAt(buf, 9); n != 2 || err != io.EOF {
			t.Fatalf("ReadAt past end = %d %v, want 2 EOF", n, err)
		}
		must(t, f.Close())
		if got := readAll(t, fsys, name); string(got) != "hello World" {
			t.Fatalf("contents %q", got)
		}
		if fi, err := fsys.Stat(name); err != nil || fi.Size != 11 || fi.IsDir {
			t.Fatalf("Stat = %+v %v", fi, err)
		}
		ro, err := fsys.Open(name)
		must(t, err)
		if _, err := ro.Write([]byte("x")); err == nil {
			t.Fatal("write to a read-only handle succeeded")
		}
		must(t, ro.Close())
	})
}

func TestTruncateAndPreallocate(t *testing.T) {
	filesystems(t, func(t *testing.T, fsys vfs.FS, dir string) {
		name := filepath.Join(dir, "f")
		f, err := fsys.Create(name)
		must(t, err)
		defer f.Close()
		_, err = f.Write(bytes.Repeat([]byte{7}, 100))
		must(t, err)
		must(t, f.Truncate(10))
		must(t, f.Preallocate(1<<20))
		if size, err := f.Size(); err != nil || size != 1<<20 {
			t.Fatalf("size after Preallocate = %d %v", size, err)
		}
		buf := make([]byte, 20)
		_, err = f.ReadAt(buf, 0)
		must(t, err)
		// Bytes cut by Truncate must not come back when the file grows again.
		want := append(bytes.Repeat([]byte{7}, 10), make([]byte, 10)...)
		if !bytes.Equal(buf, want) {
			t.Fatalf("contents %v, want %v", buf, want)
		}
		must(t, f.Preallocate(10)) // never shrinks
		if size, _ := f.Size(); size != 1<<20 {
			t.Fatalf("Preallocate shrank the file to %d", size)
		}
	})
}

func TestDirectoryOperations(t *testing.T) {
	filesystems(t, func(t *testing.T, fsys vfs.FS, dir string) {
		sub := filepath.Join(dir, "a", "b")
		must(t, fsys.MkdirAll(sub))
		must(t, fsys.MkdirAll(sub)) // idempotent
		for _, n := range []string{"z", "y", "x.tmp"} {
			f, err := fsys.Create(filepath.Join(sub, n))
			must(t, err)
			must(t, f.Close())
		}
		must(t, fsys.Rename(filepath.Join(sub, "x.tmp"), filepath.Join(sub, "x")))
		must(t, fsys.Remove(filepath.Join(sub, "y")))
		must(t, fsys.SyncDir(sub))
		names, err := fsys.ReadDir(sub)
		must(t, err)
		if !slices.Equal(names, []string{"x", "z"}) {
			t.Fatalf("ReadDir = %v", names)
		}
		if _, err := fsys.Open(filepath.Join(sub, "y")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open removed file: %v, want ErrNotExist", err)
		}
		if fi, err := fsys.Stat(sub); err != nil || !fi.IsDir {
			t.Fatalf("Stat dir = %+v %v", fi, err)
		}
		// Renaming a whole directory is how the WAL is created atomically.
		must(t, fsys.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "c")))
		if _, err := fsys.Stat(filepath.Join(dir, "c", "b", "x")); err != nil {
			t.Fatal(err)
		}
		must(t, fsys.RemoveAll(filepath.Join(dir, "c")))
		must(t, fsys.RemoveAll(filepath.Join(dir, "c")))
		if _, err := fsys.Stat(filepath.Join(dir, "c")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat after RemoveAll: %v", err)
		}
	})
}

func TestLockIsExclusive(t *testing.T) {
	filesystems(t, func(t *testing.T, fsys vfs.FS, dir string) {
		l, err := fsys.Lock(dir)
		must(t, err)
		if _, err := fsys.Lock(dir); !errors.Is(err, vfs.ErrLocked) {
			t.Fatalf("second Lock = %v, want ErrLocked", err)
		}
		must(t, l.Close())
		l, err = fsys.Lock(dir)
		must(t, err)
		must(t, l.Close())
	})
}
