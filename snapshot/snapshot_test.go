package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

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

// onDisks runs test on the real disk and on the simulated one.
func onDisks(t *testing.T, test func(t *testing.T, fsys vfs.FS, dir string)) {
	t.Run("os", func(t *testing.T) { test(t, vfs.OS(), filepath.Join(t.TempDir(), "snap")) })
	t.Run("sim", func(t *testing.T) { test(t, vfs.NewSimDisk(rand.New(rand.NewPCG(1, 1))), "/data/member/snap") })
}

func meta(index, term uint64) raft.SnapshotMeta {
	return raft.SnapshotMeta{Index: index, Term: term, ConfState: raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}}
}

// payload is n bytes that depend on seed.
func payload(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func save(t fataler, s *Snapshotter, m raft.SnapshotMeta, data []byte) {
	t.Helper()
	must(t, s.Save(m, func(w io.Writer) error {
		// In pieces, as a state machine streaming its B-tree would.
		for len(data) > 0 {
			n := min(len(data), 1000)
			if _, err := w.Write(data[:n]); err != nil {
				return err
			}
			data = data[n:]
		}
		return nil
	}))
}

func load(t fataler, s *Snapshotter, accept func(index, term uint64) bool) (*Loaded, []byte) {
	t.Helper()
	l, err := s.LoadNewest(accept)
	must(t, err)
	defer l.Close()
	b, err := io.ReadAll(l)
	must(t, err)
	return l, b
}

func TestSaveLoad(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		if _, err := s.LoadNewest(nil); !errors.Is(err, ErrNoSnapshot) {
			t.Fatalf("LoadNewest on nothing: %v", err)
		}
		data := payload(1, 300_000)
		save(t, s, meta(10, 2), data)
		l, got := load(t, s, nil)
		if !bytes.Equal(got, data) || l.Size != int64(len(data)) {
			t.Fatalf("payload differs (%d bytes, want %d)", len(got), len(data))
		}
		if !slices.Equal(l.Meta.ConfState.Voters, []uint64{1, 2, 3}) || l.Meta.Index != 10 || l.Meta.Term != 2 {
			t.Fatalf("meta %+v", l.Meta)
		}
		if filepath.Base(l.Path) != "0000000000000002-000000000000000a.snap" {
			t.Fatalf("file name %s", l.Path)
		}
		save(t, s, meta(20, 2), nil) // an empty payload is fine
		l, got = load(t, s, nil)
		if l.Meta.Index != 20 || len(got) != 0 {
			t.Fatalf("loaded %d with %d bytes", l.Meta.Index, len(got))
		}
	})
}

// TestLoadOnlyWhatTheWALKnows: a newer snapshot whose marker never reached
// the WAL is passed over (not treated as broken).
func TestLoadOnlyWhatTheWALKnows(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		for i := uint64(1); i <= 3; i++ {
			save(t, s, meta(i*10, 1), payload(i, 100))
		}
		known := map[[2]uint64]bool{{10, 1}: true, {20, 1}: true}
		l, got := load(t, s, func(index, term uint64) bool { return known[[2]uint64{index, term}] })
		if l.Meta.Index != 20 || !bytes.Equal(got, payload(2, 100)) || len(l.Broken) != 0 {
			t.Fatalf("loaded %d, broken %v", l.Meta.Index, l.Broken)
		}
		if _, err := s.LoadNewest(func(uint64, uint64) bool { return false }); !errors.Is(err, ErrNoSnapshot) {
			t.Fatalf("nothing accepted: %v", err)
		}
	})
}

// rewrite replaces a file's bytes through the filesystem.
func rewrite(t *testing.T, fsys vfs.FS, path string, change func([]byte) []byte) {
	t.Helper()
	f, err := fsys.Open(path)
	must(t, err)
	b, err := io.ReadAll(f)
	must(t, err)
	f.Close()
	b = change(b)
	f, err = fsys.Create(path)
	must(t, err)
	_, err = f.Write(b)
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
}

func TestCorruptNewestFallsBack(t *testing.T) {
	flip := func(off func(b []byte) int) func([]byte) []byte {
		return func(b []byte) []byte { b[off(b)] ^= 0x04; return b }
	}
	cases := []struct {
		name   string
		change func([]byte) []byte
	}{
		{"payload bit flipped", flip(func(b []byte) int { return len(b) - 100 })},
		{"magic bit flipped", flip(func([]byte) int { return 0 })},
		{"payload length bit flipped", flip(func([]byte) int { return 16 })},
		{"metadata bit flipped", flip(func([]byte) int { return fixedHeaderSize + 1 })},
		{"payload cut short", func(b []byte) []byte { return b[:len(b)-1] }},
		{"header cut short", func(b []byte) []byte { return b[:20] }},
		{"empty file", func([]byte) []byte { return nil }},
		{"bytes appended", func(b []byte) []byte { return append(b, 0) }},
		{"another snapshot's file", func([]byte) []byte {
			m := meta(99, 9)
			return appendHeader(nil, must2(m.AppendBinary(nil)), 0, 0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
				s := New(fsys, dir)
				save(t, s, meta(10, 1), payload(1, 5000))
				save(t, s, meta(20, 1), payload(2, 5000))
				newest := filepath.Join(dir, fileName(1, 20))
				rewrite(t, fsys, newest, tc.change)
				l, got := load(t, s, nil)
				if l.Meta.Index != 10 || !bytes.Equal(got, payload(1, 5000)) {
					t.Fatalf("loaded %d", l.Meta.Index)
				}
				if len(l.Broken) != 1 || l.Broken[0].Path != newest || !errors.Is(l.Broken[0].Err, ErrCorrupt) {
					t.Fatalf("Broken = %+v", l.Broken)
				}
				if _, err := fsys.Stat(newest + ".broken"); err != nil {
					t.Fatalf("corrupt file not set aside: %v", err)
				}
				if _, err := fsys.Stat(newest); err == nil {
					t.Fatal("corrupt file still under its name")
				}
			})
		})
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAllCorrupt(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		save(t, s, meta(10, 1), payload(1, 100))
		rewrite(t, fsys, filepath.Join(dir, fileName(1, 10)), func(b []byte) []byte { return b[:40] })
		_, err := s.LoadNewest(nil)
		if !errors.Is(err, ErrNoSnapshot) || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("LoadNewest = %v, want ErrNoSnapshot with the reason", err)
		}
	})
}

func TestFailedSaveLeavesNothing(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		boom := errors.New("state machine failed")
		err := s.Save(meta(10, 1), func(w io.Writer) error {
			w.Write(payload(1, 1000))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Save = %v", err)
		}
		names, err := fsys.ReadDir(dir)
		must(t, err)
		if len(names) != 0 {
			t.Fatalf("left behind %v", names)
		}
	})
}

func TestPurge(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		must(t, s.Purge(DefaultKeep)) // no directory yet
		for i := uint64(1); i <= 8; i++ {
			save(t, s, meta(i, 1), payload(i, 10))
		}
		f, err := fsys.Create(filepath.Join(dir, fileName(1, 9)+".tmp"))
		must(t, err)
		f.Close()
		must(t, s.Purge(DefaultKeep))
		names, err := fsys.ReadDir(dir)
		must(t, err)
		var want []string
		for i := uint64(4); i <= 8; i++ {
			want = append(want, fileName(1, i))
		}
		if !slices.Equal(names, want) {
			t.Fatalf("after purge: %v, want %v", names, want)
		}
		if err := s.Purge(0); err == nil {
			t.Fatal("Purge(0) succeeded")
		}
	})
}

func TestList(t *testing.T) {
	onDisks(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := New(fsys, dir)
		save(t, s, meta(1, 1), payload(1, 10))
		save(t, s, meta(2, 1), payload(2, 10))
		rewrite(t, fsys, filepath.Join(dir, fileName(1, 2)), func(b []byte) []byte { return b[:len(b)-1] })
		infos, err := s.List()
		must(t, err)
		if len(infos) != 2 || infos[0].Err == nil || infos[1].Err != nil || infos[1].Meta.Index != 1 || infos[1].Size != 10 {
			t.Fatalf("List = %+v", infos)
		}
	})
}

// TestReaderNoticesLateDamage: the payload reader checks the CRC again.
func TestReaderNoticesLateDamage(t *testing.T) {
	sim := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 1)))
	s := New(sim, "/snap")
	save(t, s, meta(1, 1), payload(1, 1000))
	l, err := s.LoadNewest(nil)
	must(t, err)
	defer l.Close()
	must(t, sim.FlipBit(l.Path, 500, 3))
	if _, err := io.ReadAll(l); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("reading a payload damaged after verification: %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, n := range []string{"x.snap", "0000000000000001-000000000000000A.snap", "0000000000000001-0000000000000001.snap.tmp", "1-1.snap"} {
		if _, ok := parseName(n); ok {
			t.Errorf("%s parsed as a snapshot name", n)
		}
	}
	got := newestFirst([]string{fileName(2, 5), fileName(1, 7), fileName(3, 5), "junk"})
	var order []string
	for _, s := range got {
		order = append(order, fmt.Sprintf("%d/%d", s.index, s.term))
	}
	if strings.Join(order, " ") != "7/1 5/3 5/2" {
		t.Fatalf("order %v", order)
	}
}
