package snapshot

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"pgregory.net/rapid"
)

// The crash property for snapshots: after any sequence of saves, purges,
// I/O failures and crashes, LoadNewest returns a snapshot exactly as it was
// saved, at least as new as the newest Save that returned success; and a
// crash alone never makes a snapshot look broken.
func TestCrashProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "disk seed")
		sim := vfs.NewSimDisk(rand.New(rand.NewPCG(seed, 0x5eed)))
		sim.SetFaults(vfs.Faults{
			KeepProb:    rapid.Float64Range(0, 1).Draw(t, "keep"),
			TearProb:    rapid.Float64Range(0, 1).Draw(t, "tear"),
			GarbageProb: rapid.Float64Range(0, 1).Draw(t, "garbage"),
		})
		s := New(sim, "/data/member/snap")
		saved := map[uint64][]byte{} // every payload a Save was attempted with, by index
		var acked uint64             // newest index whose Save returned success
		var next uint64
		failed := false
		// check loads the newest and compares; exact when nothing is in doubt.
		check := func(t *rapid.T) {
			l, err := s.LoadNewest(nil)
			if errors.Is(err, ErrNoSnapshot) {
				if acked != 0 {
					t.Fatalf("no snapshot, but the one at %d was saved: %v", acked, err)
				}
				return
			}
			must(t, err)
			defer l.Close()
			if len(l.Broken) != 0 {
				t.Fatalf("a crash produced a broken snapshot: %+v", l.Broken)
			}
			got, err := io.ReadAll(l)
			must(t, err)
			want, ok := saved[l.Meta.Index]
			if !ok || l.Meta.Index < acked || !bytes.Equal(got, want) {
				t.Fatalf("loaded %d (%d bytes), newest acknowledged %d", l.Meta.Index, len(got), acked)
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"save": func(t *rapid.T) {
				if failed {
					t.Skip("disk failed")
				}
				next += rapid.Uint64Range(1, 5).Draw(t, "index step")
				data := payload(next, rapid.IntRange(0, 3000).Draw(t, "size"))
				saved[next] = data
				err := s.Save(meta(next, 1), func(w io.Writer) error { _, err := w.Write(data); return err })
				if err != nil {
					if !errors.Is(err, vfs.ErrInjected) {
						t.Fatal(err)
					}
					failed = true
					return
				}
				acked = next
			},
			"purge": func(t *rapid.T) {
				if failed {
					t.Skip("disk failed")
				}
				if err := s.Purge(rapid.IntRange(1, 3).Draw(t, "keep")); err != nil {
					if !errors.Is(err, vfs.ErrInjected) {
						t.Fatal(err)
					}
					failed = true
				}
			},
			"fail": func(t *rapid.T) {
				sim.FailAfter(rapid.IntRange(0, 8).Draw(t, "operations before failure"))
			},
			"crash": func(t *rapid.T) {
				sim.Crash()
				failed = false
				check(t)
			},
			"load": func(t *rapid.T) {
				if failed {
					t.Skip("disk failed")
				}
				check(t)
			},
		})
	})
}

// TestFlipBitFallsBackProperty: a flipped bit anywhere in the newest
// snapshot file sends LoadNewest to the previous one.
func TestFlipBitFallsBackProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sim := vfs.NewSimDisk(rand.New(rand.NewPCG(1, 1)))
		s := New(sim, "/snap")
		save(t, s, meta(1, 1), payload(1, 700))
		save(t, s, meta(2, 1), payload(2, rapid.IntRange(0, 700).Draw(t, "size")))
		path := filepath.Join("/snap", fileName(1, 2))
		fi, err := sim.Stat(path)
		must(t, err)
		must(t, sim.FlipBit(path, rapid.Int64Range(0, fi.Size-1).Draw(t, "offset"), uint(rapid.IntRange(0, 7).Draw(t, "bit"))))
		l, got := load(t, s, nil)
		if l.Meta.Index != 1 || !bytes.Equal(got, payload(1, 700)) || len(l.Broken) != 1 {
			t.Fatalf("loaded %d, broken %+v", l.Meta.Index, l.Broken)
		}
	})
}
