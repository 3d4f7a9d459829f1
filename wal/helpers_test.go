package wal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// disk is a filesystem to run a test on, with a directory in it.
type disk struct {
	name string
	fs   vfs.FS
	dir  string
	sim  *vfs.SimDisk // nil on the real disk
}

// disks returns the real disk (a fresh temp dir) and a simulated one.
func disks(t *testing.T) []disk {
	sim := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 1)))
	if err := sim.MkdirAll("/data"); err != nil {
		t.Fatal(err)
	}
	return []disk{
		{name: "os", fs: vfs.OS(), dir: filepath.Join(t.TempDir(), "wal")},
		{name: "sim", fs: sim, dir: "/data/wal", sim: sim},
	}
}

func onDisks(t *testing.T, test func(t *testing.T, d disk)) {
	for _, d := range disks(t) {
		t.Run(d.name, func(t *testing.T) { test(t, d) })
	}
}

// fataler is what must needs: *testing.T and *rapid.T both have it.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

func must(t fataler, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var testMD = Metadata{ClusterID: 0xc1, MemberID: 0x2}

// ents makes entries lo..hi of term, whose data says which call made them.
func ents(lo, hi, term uint64, tag string) []raft.Entry {
	var out []raft.Entry
	for i := lo; i <= hi; i++ {
		out = append(out, raft.Entry{Term: term, Index: i, Data: []byte(fmt.Sprintf("%s-%d-%d", tag, term, i))})
	}
	return out
}

// bigEnts makes entries whose data is n non-zero bytes, so that no sector
// of their records reads as zeros by accident.
func bigEnts(lo, hi, term uint64, n int) []raft.Entry {
	var out []raft.Entry
	for i := lo; i <= hi; i++ {
		out = append(out, raft.Entry{Term: term, Index: i, Data: bytes.Repeat([]byte{byte(i%250) + 1}, n)})
	}
	return out
}

// reopen closes nothing: it opens dir from snap and replays it.
func reopen(t testing.TB, fsys vfs.FS, dir string, from Snapshot, opts ...Option) (*WAL, raft.HardState, []raft.Entry) {
	t.Helper()
	w, err := Open(fsys, dir, from, opts...)
	must(t, err)
	md, hs, es, err := w.ReadAll()
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	if md != testMD {
		t.Fatalf("metadata %+v, want %+v", md, testMD)
	}
	return w, hs, es
}

// diffEntries describes the first difference between two logs ("" if none).
// (cmp.Diff walks byte slices element by element: far too slow for
// megabytes of entry data.)
func diffEntries(got, want []raft.Entry) string {
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Term != w.Term || g.Index != w.Index || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) {
			return fmt.Sprintf("entry %d: got %s, want %s", i, fmtEntry(g), fmtEntry(w))
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d entries %s, want %d %s", len(got), fmtRange(got), len(want), fmtRange(want))
	}
	return ""
}

func fmtEntry(e raft.Entry) string {
	d := e.Data
	if len(d) > 32 {
		d = d[:32]
	}
	return fmt.Sprintf("{index %d term %d type %v data %q (%d bytes)}", e.Index, e.Term, e.Type, d, len(e.Data))
}

func fmtRange(es []raft.Entry) string {
	if len(es) == 0 {
		return "[]"
	}
	return fmt.Sprintf("[%d..%d]", es[0].Index, es[len(es)-1].Index)
}

// records lists the WAL's records as Walk sees them (entries dropped).
func records(t testing.TB, fsys vfs.FS, dir string) []Record {
	t.Helper()
	var out []Record
	_, err := Walk(fsys, dir, func(r Record) error {
		r.Entries = append([]raft.Entry(nil), r.Entries...)
		out = append(out, r)
		return nil
	})
	must(t, err)
	return out
}

// patch overwrites bytes of a file in place and syncs.
func patch(t testing.TB, fsys vfs.FS, path string, off int64, b []byte) {
	t.Helper()
	f, err := fsys.OpenReadWrite(path)
	must(t, err)
	_, err = f.WriteAt(b, off)
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
}

func readAt(t testing.TB, fsys vfs.FS, path string, off int64, n int) []byte {
	t.Helper()
	f, err := fsys.Open(path)
	must(t, err)
	defer f.Close()
	b := make([]byte, n)
	_, err = f.ReadAt(b, off)
	must(t, err)
	return b
}

func flipBit(t testing.TB, fsys vfs.FS, path string, off int64) {
	t.Helper()
	b := readAt(t, fsys, path, off, 1)
	b[0] ^= 0x10
	patch(t, fsys, path, off, b)
}

func truncate(t testing.TB, fsys vfs.FS, path string, size int64) {
	t.Helper()
	f, err := fsys.OpenReadWrite(path)
	must(t, err)
	must(t, f.Truncate(size))
	must(t, f.Sync())
	must(t, f.Close())
}

func segmentNames(t fataler, fsys vfs.FS, dir string) []string {
	t.Helper()
	segs, err := listSegments(fsys, dir)
	must(t, err)
	var names []string
	for _, s := range segs {
		names = append(names, s.name())
	}
	return names
}
