package wal

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

func TestCreateSaveReplay(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		if !Exist(d.fs, d.dir) {
			t.Fatal("Exist is false after Create")
		}
		if _, err := Create(d.fs, d.dir, testMD); !errors.Is(err, ErrExist) {
			t.Fatalf("second Create: %v, want ErrExist", err)
		}
		hs := raft.HardState{Term: 2, Vote: 1, Commit: 3}
		must(t, w.Save(hs, ents(1, 3, 1, "a"), true))
		must(t, w.Save(raft.HardState{Term: 2, Vote: 1, Commit: 5}, ents(4, 5, 2, "a"), false))
		must(t, w.Close())

		w, gotHS, got := reopen(t, d.fs, d.dir, Snapshot{})
		defer w.Close()
		if want := (raft.HardState{Term: 2, Vote: 1, Commit: 5}); gotHS != want {
			t.Fatalf("hard state %+v, want %+v", gotHS, want)
		}
		if diff := diffEntries(got, append(ents(1, 3, 1, "a"), ents(4, 5, 2, "a")...)); diff != "" {
			t.Fatal(diff)
		}
		// The reopened WAL appends after what it replayed.
		must(t, w.Save(raft.HardState{}, ents(6, 6, 2, "b"), true))
	})
}

func TestOverwrittenSuffixIsReplayedAsOverwritten(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		must(t, w.Save(raft.HardState{Term: 1}, ents(1, 5, 1, "old"), false))
		// A new leader's log diverges at 3: a follower replaces 3..5.
		must(t, w.Save(raft.HardState{Term: 2}, ents(3, 4, 2, "new"), false))
		must(t, w.Save(raft.HardState{}, ents(5, 6, 2, "new"), false))
		must(t, w.Save(raft.HardState{Term: 3}, ents(6, 6, 3, "newer"), true))
		must(t, w.Close())

		w, _, got := reopen(t, d.fs, d.dir, Snapshot{})
		defer w.Close()
		want := slices.Concat(ents(1, 2, 1, "old"), ents(3, 5, 2, "new"), ents(6, 6, 3, "newer"))
		if diff := diffEntries(got, want); diff != "" {
			t.Fatal(diff)
		}
	})
}

func TestSegmentsAreCutAndChained(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(1024))
		must(t, err)
		var want []raft.Entry
		for i := uint64(1); i <= 40; i++ {
			e := bigEnts(i, i, 1, 100)
			want = append(want, e...)
			must(t, w.Save(raft.HardState{Term: 1, Commit: i - 1}, e, i%3 == 0))
		}
		must(t, w.Close())
		names := segmentNames(t, d.fs, d.dir)
		if len(names) < 4 {
			t.Fatalf("only %d segments: %v", len(names), names)
		}
		// Names carry the sequence and the first index the segment may hold.
		if names[0] != "0000000000000000-0000000000000000.wal" {
			t.Fatalf("first segment is %s", names[0])
		}
		for i, n := range names[1:] {
			s, _ := parseSegmentName(n)
			prev, _ := parseSegmentName(names[i])
			if s.seq != prev.seq+1 || s.index <= prev.index {
				t.Fatalf("segment %s follows %s", n, names[i])
			}
		}
		w, hs, got := reopen(t, d.fs, d.dir, Snapshot{}, WithSegmentSize(1024))
		defer w.Close()
		if diff := diffEntries(got, want); diff != "" {
			t.Fatal(diff)
		}
		if hs.Commit != 39 {
			t.Fatalf("commit %d, want 39", hs.Commit)
		}
	})
}

func TestReplayFromSnapshotAndRelease(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(1024))
		must(t, err)
		for i := uint64(1); i <= 30; i++ {
			must(t, w.Save(raft.HardState{Term: 1, Commit: i}, bigEnts(i, i, 1, 100), true))
			if i == 20 {
				must(t, w.SaveSnapshot(Snapshot{Index: 20, Term: 1}))
			}
		}
		before := segmentNames(t, d.fs, d.dir)
		must(t, w.ReleaseBefore(20))
		after := segmentNames(t, d.fs, d.dir)
		if len(after) >= len(before) {
			t.Fatalf("ReleaseBefore kept every segment: %v", after)
		}
		must(t, w.Close())

		snaps, err := ValidSnapshots(d.fs, d.dir)
		must(t, err)
		if !slices.Equal(snaps, []Snapshot{{Index: 20, Term: 1}}) {
			t.Fatalf("ValidSnapshots = %v", snaps)
		}
		w, hs, got := reopen(t, d.fs, d.dir, Snapshot{Index: 20, Term: 1})
		if diff := diffEntries(got, bigEnts(21, 30, 1, 100)); diff != "" {
			t.Fatal(diff)
		}
		if hs.Commit != 30 {
			t.Fatalf("commit %d", hs.Commit)
		}
		must(t, w.Close())

		// From the beginning is no longer possible: those segments are gone.
		if _, err := Open(d.fs, d.dir, Snapshot{}); !errors.Is(err, ErrSnapshotNotFound) {
			t.Fatalf("Open from zero after release: %v", err)
		}
		w, err = Open(d.fs, d.dir, Snapshot{Index: 20, Term: 2})
		must(t, err)
		if _, _, _, err := w.ReadAll(); !errors.Is(err, ErrSnapshotMismatch) {
			t.Fatalf("ReadAll with the wrong term: %v", err)
		}
		must(t, w.Close())
		w, err = Open(d.fs, d.dir, Snapshot{Index: 25, Term: 1})
		must(t, err)
		if _, _, _, err := w.ReadAll(); !errors.Is(err, ErrSnapshotNotFound) {
			t.Fatalf("ReadAll from an unknown marker: %v", err)
		}
		must(t, w.Close())
	})
}

// TestSnapshotFromLeader: a follower that receives a snapshot far past its
// log continues after the snapshot, and replay from the marker works.
func TestSnapshotFromLeader(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(512))
		must(t, err)
		must(t, w.Save(raft.HardState{Term: 1, Commit: 3}, ents(1, 5, 1, "a"), true))
		must(t, w.SaveSnapshot(Snapshot{Index: 100, Term: 3}))
		must(t, w.Save(raft.HardState{Term: 3, Commit: 100}, nil, true))
		must(t, w.ReleaseBefore(100))
		must(t, w.Save(raft.HardState{Term: 3, Commit: 101}, ents(101, 120, 3, "b"), true))
		must(t, w.ReleaseBefore(100))
		must(t, w.Close())

		snaps, err := ValidSnapshots(d.fs, d.dir)
		must(t, err)
		if !slices.Contains(snaps, Snapshot{Index: 100, Term: 3}) {
			t.Fatalf("ValidSnapshots = %v", snaps)
		}
		w, _, got := reopen(t, d.fs, d.dir, Snapshot{Index: 100, Term: 3})
		defer w.Close()
		if diff := diffEntries(got, ents(101, 120, 3, "b")); diff != "" {
			t.Fatal(diff)
		}
	})
}

func TestValidSnapshotsIgnoresMarkersPastCommit(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		must(t, w.Save(raft.HardState{Term: 1, Commit: 5}, ents(1, 10, 1, "a"), true))
		must(t, w.SaveSnapshot(Snapshot{Index: 5, Term: 1}))
		must(t, w.SaveSnapshot(Snapshot{Index: 8, Term: 1})) // crash before commit 8 was saved
		must(t, w.Close())
		snaps, err := ValidSnapshots(d.fs, d.dir)
		must(t, err)
		if !slices.Equal(snaps, []Snapshot{{Index: 5, Term: 1}}) {
			t.Fatalf("ValidSnapshots = %v", snaps)
		}
	})
}

func TestOpenLocksTheDirectory(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		if _, err := Open(d.fs, d.dir, Snapshot{}); !errors.Is(err, vfs.ErrLocked) {
			t.Fatalf("Open while created: %v, want ErrLocked", err)
		}
		must(t, w.Close())
		w, err = Open(d.fs, d.dir, Snapshot{})
		must(t, err)
		if _, err := Open(d.fs, d.dir, Snapshot{}); !errors.Is(err, vfs.ErrLocked) {
			t.Fatalf("second Open: %v, want ErrLocked", err)
		}
		must(t, w.Close())
	})
}

func TestMisuse(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		if _, err := Open(d.fs, d.dir, Snapshot{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Open of nothing: %v, want ErrNotFound", err)
		}
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		if err := w.Save(raft.HardState{}, ents(2, 3, 1, "a"), false); err == nil {
			t.Fatal("Save with a hole before the first entry succeeded")
		}
		must(t, w.Save(raft.HardState{}, ents(1, 3, 1, "a"), false))
		if err := w.Save(raft.HardState{}, []raft.Entry{{Index: 4}, {Index: 6}}, false); err == nil {
			t.Fatal("Save of non-consecutive entries succeeded")
		}
		must(t, w.Close())
		if err := w.Save(raft.HardState{}, ents(4, 4, 1, "a"), false); !errors.Is(err, ErrClosed) {
			t.Fatalf("Save after Close: %v", err)
		}
		w, err = Open(d.fs, d.dir, Snapshot{})
		must(t, err)
		if err := w.Save(raft.HardState{}, ents(4, 4, 1, "a"), false); !errors.Is(err, ErrNotReplayed) {
			t.Fatalf("Save before ReadAll: %v", err)
		}
		must(t, w.Close())
	})
}

// TestLeftoverTempSegmentIsRemoved: a segment being created when the
// process died is not part of the log.
func TestLeftoverTempSegmentIsRemoved(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD)
		must(t, err)
		must(t, w.Save(raft.HardState{Term: 1}, ents(1, 1, 1, "a"), true))
		must(t, w.Close())
		f, err := d.fs.Create(filepath.Join(d.dir, segment{1, 2}.name()+".tmp"))
		must(t, err)
		must(t, f.Close())
		w, _, got := reopen(t, d.fs, d.dir, Snapshot{})
		must(t, w.Close())
		if len(got) != 1 {
			t.Fatalf("replayed %d entries", len(got))
		}
		names, err := d.fs.ReadDir(d.dir)
		must(t, err)
		for _, n := range names {
			if strings.HasSuffix(n, ".tmp") {
				t.Fatalf("%s survived Open", n)
			}
		}
	})
}

// TestFailedWriteIsSticky: after an I/O error the WAL accepts nothing more.
func TestFailedWriteIsSticky(t *testing.T) {
	d := disks(t)[1]
	w, err := Create(d.fs, d.dir, testMD)
	must(t, err)
	d.sim.FailAfter(1) // the write succeeds, its fsync fails
	if err := w.Save(raft.HardState{Term: 1}, ents(1, 1, 1, "a"), true); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Save: %v, want ErrInjected", err)
	}
	d.sim.FailAfter(-1)
	if err := w.Save(raft.HardState{Term: 1}, ents(2, 2, 1, "a"), true); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Save after a failed fsync: %v, want the same error again", err)
	}
	if err := w.Sync(); err == nil {
		t.Fatal("Sync after a failed fsync succeeded")
	}
	w.Close()
}

func TestLargeBatchSplitsIntoRecords(t *testing.T) {
	d := disks(t)[1]
	w, err := Create(d.fs, d.dir, testMD)
	must(t, err)
	big := bigEnts(1, 4, 1, maxPayload/3)
	must(t, w.Save(raft.HardState{Term: 1}, big, true))
	if err := w.Save(raft.HardState{}, bigEnts(5, 5, 1, maxPayload), false); !errors.Is(err, ErrEntryTooLarge) {
		t.Fatalf("Save of a huge entry: %v", err)
	}
	must(t, w.Close())
	n := 0
	for _, r := range records(t, d.fs, d.dir) {
		if r.Type == RecordEntries {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("%d entries records for %d MiB", n, 4*maxPayload/3>>20)
	}
	w, _, got := reopen(t, d.fs, d.dir, Snapshot{})
	defer w.Close()
	if diff := diffEntries(got, big); diff != "" {
		t.Fatal("replay differs")
	}
}

// TestSegmentPipeline: with segments prepared in the background, cuts use
// them, and nothing prepared is left behind as a segment.
func TestSegmentPipeline(t *testing.T) {
	fsys, dir := vfs.OS(), filepath.Join(t.TempDir(), "wal")
	opts := []Option{WithSegmentSize(4096), WithSegmentPipeline()}
	w, err := Create(fsys, dir, testMD, opts...)
	must(t, err)
	var want []raft.Entry
	for i := uint64(1); i <= 40; i++ {
		e := bigEnts(i, i, 1, 500)
		want = append(want, e...)
		must(t, w.Save(raft.HardState{Term: 1, Commit: i}, e, true))
	}
	must(t, w.Close())
	if n := len(segmentNames(t, fsys, dir)); n < 4 {
		t.Fatalf("only %d segments", n)
	}
	w, _, got := reopen(t, fsys, dir, Snapshot{}, opts...)
	if diff := diffEntries(got, want); diff != "" {
		t.Fatal(diff)
	}
	must(t, w.Save(raft.HardState{}, bigEnts(41, 60, 1, 500), true))
	must(t, w.Close())
	w, _, got = reopen(t, fsys, dir, Snapshot{})
	must(t, w.Close())
	if len(got) != 60 {
		t.Fatalf("replayed %d entries", len(got))
	}
}

// TestInterruptedReleaseLeavesHarmlessGap: if a crash undoes the deletion
// of an old segment but not of the one after it, the leftover sits below a
// gap in the sequence; readers that start after the gap ignore it and the
// next release removes it.
func TestInterruptedReleaseLeavesHarmlessGap(t *testing.T) {
	onDisks(t, func(t *testing.T, d disk) {
		w, err := Create(d.fs, d.dir, testMD, WithSegmentSize(1024))
		must(t, err)
		for i := uint64(1); i <= 30; i++ {
			must(t, w.Save(raft.HardState{Term: 1, Commit: i}, bigEnts(i, i, 1, 100), true))
		}
		must(t, w.SaveSnapshot(Snapshot{Index: 25, Term: 1}))
		first := filepath.Join(d.dir, segmentNames(t, d.fs, d.dir)[0])
		saved := readAt(t, d.fs, first, 0, 1024)
		must(t, w.ReleaseBefore(25))
		must(t, w.Close())
		f, err := d.fs.Create(first) // the first deletion "did not happen"
		must(t, err)
		_, err = f.Write(saved)
		must(t, err)
		must(t, f.Sync())
		must(t, f.Close())
		must(t, d.fs.SyncDir(d.dir))

		snaps, err := ValidSnapshots(d.fs, d.dir)
		must(t, err)
		if !slices.Contains(snaps, Snapshot{Index: 25, Term: 1}) {
			t.Fatalf("ValidSnapshots = %v", snaps)
		}
		w, _, got := reopen(t, d.fs, d.dir, Snapshot{Index: 25, Term: 1})
		if diff := diffEntries(got, bigEnts(26, 30, 1, 100)); diff != "" {
			t.Fatal(diff)
		}
		must(t, w.ReleaseBefore(25))
		must(t, w.Close())
		if _, err := d.fs.Stat(first); err == nil {
			t.Fatal("the leftover segment survived the next release")
		}
	})
}

func TestKnows(t *testing.T) {
	k := Knows([]Snapshot{{Index: 5, Term: 1}, {Index: 9, Term: 2}})
	if !k(5, 1) || !k(9, 2) || k(9, 1) || k(7, 1) {
		t.Fatal("Knows accepts the wrong markers")
	}
}
