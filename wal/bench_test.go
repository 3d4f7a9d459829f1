package wal

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// The benchmarks run on the real disk (in the temp dir). Compare:
//
//   - BenchmarkFdatasyncRaw: pwrite of one small record into a preallocated
//     file, then fdatasync — the physical limit for one durable append.
//   - BenchmarkSave/entries=1: Save of one 256-byte entry with sync (goal:
//     within 1.2x of the raw figure).
//   - BenchmarkSave/entries=64: group commit, 64 entries per sync (goal: 40x
//     the entries/s of entries=1).
//   - BenchmarkReplay: Open+ReadAll of 1,000,000 256-byte entries (goal:
//     under 1.5 s), beside BenchmarkReadRaw, a plain sequential read of the
//     same files.

const benchEntrySize = 256

func BenchmarkFdatasyncRaw(b *testing.B) {
	f, err := vfs.OS().Create(filepath.Join(b.TempDir(), "raw"))
	must(b, err)
	defer f.Close()
	must(b, f.Preallocate(DefaultSegmentSize))
	must(b, f.Sync())
	// The size of one framed 256-byte entry plus a hard state record.
	buf := bytes.Repeat([]byte{0xa5}, 304)
	var off int64
	for b.Loop() {
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		must(b, f.Sync())
		off = (off + int64(len(buf))) % (DefaultSegmentSize - int64(len(buf)))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "syncs/s")
}

func BenchmarkSave(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []Option
	}{
		{"pipeline", []Option{WithSegmentPipeline()}},
		{"fallocate", nil},
	} {
		for _, n := range []int{1, 64} {
			b.Run(mode.name+"/entries="+itoa(n), func(b *testing.B) {
				w, err := Create(vfs.OS(), filepath.Join(b.TempDir(), "wal"), testMD, mode.opts...)
				must(b, err)
				defer w.Close()
				batch := make([]raft.Entry, n)
				data := bytes.Repeat([]byte{0x5a}, benchEntrySize)
				var index uint64
				b.ReportAllocs()
				for b.Loop() {
					for i := range batch {
						index++
						batch[i] = raft.Entry{Term: 1, Index: index, Data: data}
					}
					// Each Ready also advances the commit index.
					if err := w.Save(raft.HardState{Term: 1, Vote: 1, Commit: index - uint64(n)}, batch, true); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "entries/s")
				b.SetBytes(int64(n * benchEntrySize))
			})
		}
	}
}

// replayDir is a WAL of benchReplayEntries entries written one per Save,
// each with a new hard state: the most records per entry a member writes.
func replayDir(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "wal")
	w, err := Create(vfs.OS(), dir, testMD)
	must(b, err)
	data := bytes.Repeat([]byte{0x5a}, benchEntrySize)
	e := []raft.Entry{{Term: 1, Data: data}}
	for i := uint64(1); i <= benchReplayEntries; i++ {
		e[0].Index = i
		must(b, w.Save(raft.HardState{Term: 1, Vote: 1, Commit: i - 1}, e, false))
	}
	must(b, w.Close())
	return dir
}

const benchReplayEntries = 1_000_000

func dirBytes(b *testing.B, dir string) int64 {
	var total int64
	for _, n := range segmentNames(b, vfs.OS(), dir) {
		fi, err := os.Stat(filepath.Join(dir, n))
		must(b, err)
		total += fi.Size()
	}
	return total
}

func BenchmarkReplay(b *testing.B) {
	dir := replayDir(b)
	b.SetBytes(dirBytes(b, dir))
	b.ReportAllocs()
	for b.Loop() {
		w, err := Open(vfs.OS(), dir, Snapshot{})
		must(b, err)
		_, _, es, err := w.ReadAll()
		must(b, err)
		if len(es) != benchReplayEntries {
			b.Fatalf("replayed %d entries", len(es))
		}
		must(b, w.Close())
	}
}

func BenchmarkReadRaw(b *testing.B) {
	dir := replayDir(b)
	b.SetBytes(dirBytes(b, dir))
	buf := make([]byte, 1<<20)
	for b.Loop() {
		for _, n := range segmentNames(b, vfs.OS(), dir) {
			f, err := os.Open(filepath.Join(dir, n))
			must(b, err)
			for {
				_, err := f.Read(buf)
				if err == io.EOF {
					break
				}
				must(b, err)
			}
			f.Close()
		}
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}
