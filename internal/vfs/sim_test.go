package vfs_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
)

func newSim(t *testing.T, seed uint64, f vfs.Faults) *vfs.SimDisk {
	t.Helper()
	d := vfs.NewSimDisk(rand.New(rand.NewPCG(seed, seed)))
	d.SetFaults(f)
	must(t, d.MkdirAll("/d"))
	return d
}

func writeFile(t *testing.T, d vfs.FS, name, data string, sync bool) {
	t.Helper()
	f, err := d.Create(name)
	must(t, err)
	_, err = f.Write([]byte(data))
	must(t, err)
	if sync {
		must(t, f.Sync())
	}
	must(t, f.Close())
}

func exists(d vfs.FS, name string) bool {
	_, err := d.Stat(name)
	return err == nil
}

var (
	keepAll = vfs.Faults{KeepProb: 1}
	loseAll = vfs.Faults{KeepProb: 0}
)

// TestSimNamesNeedDirectorySync: creates, renames and removes are directory
// updates, lost at a crash unless the directory was synced.
func TestSimNamesNeedDirectorySync(t *testing.T) {
	d := newSim(t, 1, keepAll)
	writeFile(t, d, "/d/synced", "a", true)
	must(t, d.SyncDir("/d"))
	writeFile(t, d, "/d/unsynced-name", "b", true)
	must(t, d.Rename("/d/synced", "/d/renamed"))
	d.Crash()
	if !exists(d, "/d/synced") || exists(d, "/d/renamed") || exists(d, "/d/unsynced-name") {
		names, _ := d.ReadDir("/d")
		t.Fatalf("after crash /d holds %v, want only the synced name", names)
	}
	if got := readAll(t, d, "/d/synced"); string(got) != "a" {
		t.Fatalf("contents %q", got)
	}

	must(t, d.Remove("/d/synced"))
	d.Crash()
	if !exists(d, "/d/synced") {
		t.Fatal("an unsynced remove survived the crash")
	}
	must(t, d.Remove("/d/synced"))
	must(t, d.SyncDir("/d"))
	d.Crash()
	if exists(d, "/d/synced") {
		t.Fatal("a synced remove was undone by the crash")
	}
}

func TestSimDirectoryContentsNeedTheirOwnSync(t *testing.T) {
	d := newSim(t, 1, keepAll)
	must(t, d.MkdirAll("/d/tmp"))
	writeFile(t, d, "/d/tmp/f", "x", true)
	must(t, d.Rename("/d/tmp", "/d/final"))
	must(t, d.SyncDir("/d"))
	d.Crash()
	// The directory's own name is durable; the file inside it was never
	// recorded by a sync of that directory.
	names, err := d.ReadDir("/d/final")
	must(t, err)
	if len(names) != 0 {
		t.Fatalf("/d/final holds %v, want nothing", names)
	}
}

func TestSimUnsyncedData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults vfs.Faults
		want   string
	}{
		{"all kept", keepAll, "synced+more"},
		{"all lost", loseAll, "synced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newSim(t, 1, tc.faults)
			f, err := d.Create("/d/f")
			must(t, err)
			must(t, d.SyncDir("/d"))
			_, err = f.Write([]byte("synced"))
			must(t, err)
			must(t, f.Sync())
			_, err = f.Write([]byte("+more"))
			must(t, err)
			d.Crash()
			if got := readAll(t, d, "/d/f"); string(got) != tc.want {
				t.Fatalf("after crash %q, want %q", got, tc.want)
			}
			if _, err := f.Write([]byte("x")); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("write through a pre-crash handle: %v, want ErrCrashed", err)
			}
		})
	}
}

// TestSimTornWriteKeepsWholeSectors: a torn write keeps a sector-aligned
// prefix and leaves the rest as it was (zeros here), or garbage if asked.
func TestSimTornWriteKeepsWholeSectors(t *testing.T) {
	for _, garbage := range []bool{false, true} {
		for seed := range uint64(50) {
			f := vfs.Faults{KeepProb: 1, TearProb: 1}
			if garbage {
				f.GarbageProb = 1
			}
			d := newSim(t, seed, f)
			file, err := d.Create("/d/f")
			must(t, err)
			must(t, file.Preallocate(4*vfs.SectorSize))
			must(t, file.Sync())
			must(t, d.SyncDir("/d"))
			data := bytes.Repeat([]byte{0xAB}, 3*vfs.SectorSize)
			const off = 100
			_, err = file.WriteAt(data, off)
			must(t, err)
			d.Crash()
			got := readAll(t, d, "/d/f")
			// Find where the written bytes stop.
			cut := off
			for cut < off+len(data) && got[cut] == 0xAB {
				cut++
			}
			if cut != off+len(data) && cut != off && cut%vfs.SectorSize != 0 {
				t.Fatalf("seed %d: torn at %d, not a sector boundary", seed, cut)
			}
			rest := got[cut : off+len(data)]
			allZero := !slices.ContainsFunc(rest, func(b byte) bool { return b != 0 })
			if !garbage && !allZero {
				t.Fatalf("seed %d: lost part of a torn write is not its old contents", seed)
			}
		}
	}
}

func TestSimDeterministic(t *testing.T) {
	run := func() []byte {
		d := newSim(t, 42, vfs.Faults{KeepProb: 0.5, TearProb: 0.5, GarbageProb: 0.5})
		f, err := d.Create("/d/f")
		must(t, err)
		must(t, d.SyncDir("/d"))
		for i := range 20 {
			_, err := f.Write(bytes.Repeat([]byte{byte(i + 1)}, 300))
			must(t, err)
		}
		d.Crash()
		return readAll(t, d, "/d/f")
	}
	if a, b := run(), run(); !bytes.Equal(a, b) {
		t.Fatal("the same seed gave two different crashes")
	}
}

func TestSimFailAfter(t *testing.T) {
	d := newSim(t, 1, keepAll)
	f, err := d.Create("/d/f")
	must(t, err)
	d.FailAfter(1)
	_, err = f.Write([]byte("a"))
	must(t, err)
	if err := f.Sync(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Sync after the budget: %v, want ErrInjected", err)
	}
	if err := d.Rename("/d/f", "/d/g"); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Rename after the budget: %v, want ErrInjected", err)
	}
	d.Crash()
	writeFile(t, d, "/d/h", "ok", true) // the crash ends the failures
}

func TestSimFlipBit(t *testing.T) {
	d := newSim(t, 1, keepAll)
	writeFile(t, d, "/d/f", "abc", true)
	must(t, d.SyncDir("/d"))
	must(t, d.FlipBit("/d/f", 1, 0))
	if got := readAll(t, d, "/d/f"); string(got) != "acc" {
		t.Fatalf("after FlipBit %q", got)
	}
	d.Crash()
	if got := readAll(t, d, "/d/f"); string(got) != "acc" {
		t.Fatalf("a flipped bit in synced data must survive a crash, got %q", got)
	}
	if err := d.FlipBit("/d/f", 3, 0); err == nil {
		t.Fatal("FlipBit past the end succeeded")
	}
	if err := d.FlipBit("/d/nope", 0, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("FlipBit of a missing file: %v", err)
	}
}

func TestSimLockDiesWithCrash(t *testing.T) {
	d := newSim(t, 1, keepAll)
	_, err := d.Lock("/d")
	must(t, err)
	d.Crash()
	l, err := d.Lock("/d")
	must(t, err)
	must(t, l.Close())
}
