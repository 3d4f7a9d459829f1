package vfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteZeros covers the preallocation fallback used where fallocate(2)
// is unavailable.
func TestWriteZeros(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := writeZeros(f, 3, 3<<20+5); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 3<<20+5 || !bytes.Equal(b[:3], []byte{1, 2, 3}) || bytes.ContainsFunc(b[3:], func(r rune) bool { return r != 0 }) {
		t.Fatalf("file of %d bytes is not the data followed by zeros", len(b))
	}
}
