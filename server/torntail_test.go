package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/wal"
	"pgregory.net/rapid"
)

// These tests damage the end of a member's WAL the way crashes did in issue
// 12, then restart the member: garbage after the last synced record is a
// torn write the member cuts off (saying so) before it starts and catches
// up; damage that a valid record follows is corruption it refuses to start
// on, naming the file and the offset.

// recordingLogger keeps a member's log lines, and shows them in the test's
// output too.
type recordingLogger struct {
	t     testing.TB
	name  string
	lines []string
}

func (l *recordingLogger) Printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.lines = append(l.lines, line)
	l.t.Logf("%s: %s", l.name, line)
}

func (l *recordingLogger) find(parts ...string) string {
	for _, line := range l.lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return line
		}
	}
	return ""
}

// startLogged starts a member, keeping its log. Unlike start, it returns
// the error: refusing to start is an outcome here.
func (c *memberCluster) startLogged(name string, opts ...wal.Option) (*recordingLogger, error) {
	c.seed++
	log := &recordingLogger{t: c.t, name: name}
	m, err := NewMember(c.cfgs[name], Env{
		FS: c.disks[name], Transport: queueTransport{c}, Clock: fakeClock{c},
		Rand: rand.New(rand.NewPCG(c.seed, 7)), Logger: log,
		FetchCluster: c.fetchCluster, WALOptions: opts,
	})
	if err != nil {
		return log, err
	}
	c.members[name] = m
	c.byID[m.ID()] = name
	return log, nil
}

// crashSynced stops a member abruptly, its disk keeping exactly what was
// synced, and returns the records of its WAL.
func (c *memberCluster) crashSynced(name string) []wal.Record {
	c.t.Helper()
	c.disks[name].SetFaults(vfs.Faults{}) // every unsynced write is lost
	c.crash(name)
	c.disks[name].SetFaults(vfs.DefaultFaults())
	return walRecords(c.t, c.disks[name], walDir(c.cfgs[name].DataDir))
}

func walRecords(t testing.TB, fsys vfs.FS, dir string) []wal.Record {
	t.Helper()
	var out []wal.Record
	end, err := wal.Walk(fsys, dir, func(r wal.Record) error {
		r.Entries = nil // only the position is kept
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	if end.Torn != nil {
		t.Fatalf("%s ends in a torn write before any damage: %v", dir, end.Torn)
	}
	return out
}

// payloadEnd is where the bytes that r's CRC covers end; its zero padding
// follows.
func payloadEnd(t testing.TB, fsys vfs.FS, path string, r wal.Record) int64 {
	t.Helper()
	head := readFile(t, fsys, path, r.Offset, 4)
	return r.Offset + 12 + int64(binary.LittleEndian.Uint32(head))
}

func readFile(t testing.TB, fsys vfs.FS, path string, off int64, n int) []byte {
	t.Helper()
	f, err := fsys.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatalf("read %d bytes at %d of %s: %v", n, off, path, err)
	}
	return b
}

// overwrite writes b at off in path (durably), then cuts the file after it
// if cut is set.
func overwrite(t testing.TB, fsys vfs.FS, path string, off int64, b []byte, cut bool) {
	t.Helper()
	f, err := fsys.OpenReadWrite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if cut {
		if err := f.Truncate(off + int64(len(b))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// sameRecords fails unless after starts with exactly the records of before.
func sameRecords(t testing.TB, before, after []wal.Record) {
	t.Helper()
	if len(after) < len(before) {
		t.Fatalf("the WAL has %d records after the restart, %d before", len(after), len(before))
	}
	for i, r := range before {
		a := after[i]
		if a.Segment != r.Segment || a.Offset != r.Offset || a.Type != r.Type || a.CRC != r.CRC {
			t.Fatalf("record %d was %s at %d of %s (crc %08x), now %s at %d of %s (crc %08x)",
				i, r.Type, r.Offset, r.Segment, r.CRC, a.Type, a.Offset, a.Segment, a.CRC)
		}
	}
}

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 12))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestMember_RestartsAfterTornTailsWithGarbage reproduces issue 12: after
// crashes, two of three members found garbage after the last record of
// their WAL — one a partial copy of a record written into the last record's
// padding, the file cut there; the other 4 KiB of random bytes — refused to
// start ("padding is not zero"), and the cluster lost its quorum. Both
// writes were torn by the crash, never synced: each member must cut its
// garbage off (keeping it in a .broken file, and saying so), keep every
// record it had synced, start, and catch up.
func TestMember_RestartsAfterTornTailsWithGarbage(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	want := map[string]string{}
	for i := range 20 {
		k, v := fmt.Sprintf("k%02d", i), fmt.Sprint(i)
		if r := c.put(lead, k, v); r.Err != nil {
			t.Fatal(r.Err)
		}
		want[k] = v
	}
	// The leader and one follower crash: the third cannot commit alone.
	victims := []string{c.byID[lead.ID()]}
	for _, name := range c.names {
		if len(victims) < 2 && c.members[name] != lead {
			victims = append(victims, name)
		}
	}
	damage := []func(path string, last wal.Record, end int64) int64{
		func(path string, last wal.Record, end int64) int64 {
			copied := readFile(t, c.disks[victims[0]], path, last.Offset, last.Size/2)
			overwrite(t, c.disks[victims[0]], path, end, copied, true)
			return end
		},
		func(path string, last wal.Record, end int64) int64 {
			overwrite(t, c.disks[victims[1]], path, end, randomBytes(3, 4096), false)
			return end
		},
	}
	before := map[string][]wal.Record{}
	for i, name := range victims {
		recs := c.crashSynced(name)
		before[name] = recs
		last := recs[len(recs)-1]
		path := filepath.Join(walDir(c.cfgs[name].DataDir), last.Segment)
		end := payloadEnd(t, c.disks[name], path, last)
		if end == last.Offset+int64(last.Size) {
			t.Logf("%s: the last record (%s at %d) has no padding; the garbage starts right after it", name, last.Type, last.Offset)
		}
		at := damage[i](path, last, end)
		t.Logf("%s: garbage written at offset %d of %s, after the last synced record (%s at %d)", name, at, path, last.Type, last.Offset)
	}
	for _, name := range victims {
		log, err := c.startLogged(name)
		if err != nil {
			t.Fatalf("%s refuses to start: %v", name, err)
		}
		sameRecords(t, before[name], walRecords(t, c.disks[name], walDir(c.cfgs[name].DataDir)))
		if line := log.find("torn write", ".broken"); line == "" {
			t.Fatalf("%s did not say that it cut its WAL's tail; its log:\n%s", name, strings.Join(log.lines, "\n"))
		}
	}
	c.settle()
	lead = c.leader()
	if r := c.put(lead, "after", "restart"); r.Err != nil {
		t.Fatalf("no quorum after the restarts: %v", r.Err)
	}
	want["after"] = "restart"
	for _, name := range victims {
		for k, v := range want {
			if got, ok := c.get(c.members[name], k); !ok || got != v {
				t.Fatalf("%s reads %s = %q (%v), want %q", name, k, got, ok, v)
			}
		}
	}
}

// rapidTB lets the member harness, written for testing.TB, fail through
// rapid, which then shrinks the case and prints the seed that replays it.
type rapidTB struct {
	testing.TB
	rt *rapid.T
}

func (r rapidTB) Helper()                         { r.rt.Helper() }
func (r rapidTB) Fatal(args ...any)               { r.rt.Fatal(args...) }
func (r rapidTB) Fatalf(format string, a ...any)  { r.rt.Fatalf(format, a...) }
func (r rapidTB) Error(args ...any)               { r.rt.Error(args...) }
func (r rapidTB) Errorf(format string, a ...any)  { r.rt.Errorf(format, a...) }
func (r rapidTB) Log(args ...any)                 { r.rt.Log(args...) }
func (r rapidTB) Logf(format string, args ...any) { r.rt.Logf(format, args...) }

// smallSegments is the WAL segment size of the members that the properties
// below restart hundreds of times: a restart reads the newest segment
// whole, and small segments put records in older segments too.
var smallSegments = wal.WithSegmentSize(4 << 10)

// syncedMember runs a one-member cluster, puts a few keys — each
// acknowledged, so synced — and crashes it keeping exactly what was synced.
// It returns the keys, the WAL's records, and the path of its newest segment.
func syncedMember(tb rapidTB, rt *rapid.T) (*memberCluster, map[string]string, []wal.Record, string) {
	const name = "m1"
	c := &memberCluster{
		t: tb, now: time.Unix(1_700_000_000, 0), names: []string{name}, members: map[string]*Member{}, disks: map[string]*vfs.SimDisk{},
		cfgs: map[string]Config{}, down: map[uint64]bool{}, byID: map[uint64]string{}, seed: 1,
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir = name, "/data/"+name
	cfg.InitialAdvertisePeerURLs = []string{peerURL(name)}
	cfg.AdvertiseClientURLs = []string{"http://" + name + ":2379"}
	cfg.InitialCluster = name + "=" + peerURL(name)
	c.cfgs[name] = cfg
	c.disks[name] = vfs.NewSimDisk(rand.New(rand.NewPCG(1, 0)))
	if _, err := c.startLogged(name, smallSegments); err != nil {
		rt.Fatal(err)
	}
	c.settle()
	lead := c.leader()
	want := map[string]string{}
	for i := range rapid.IntRange(1, 20).Draw(rt, "puts") {
		k, v := fmt.Sprintf("k%02d", i), strings.Repeat(fmt.Sprint(i), rapid.IntRange(1, 300).Draw(rt, "value size"))
		if r := c.put(lead, k, v); r.Err != nil {
			rt.Fatal(r.Err)
		}
		want[k] = v
	}
	recs := c.crashSynced(name)
	newest := recs[len(recs)-1].Segment
	return c, want, recs, filepath.Join(walDir(c.cfgs[name].DataDir), newest)
}

// TestMember_GarbageAfterTheLastSyncedRecordNeverStopsIt is the property
// behind issue 12: garbage of any length, at any offset at or after the end
// of the last synced record (its padding included), never stops a member
// and never loses a synced record; the member says what it cut.
func TestMember_GarbageAfterTheLastSyncedRecordNeverStopsIt(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tb := rapidTB{t, rt}
		c, want, recs, path := syncedMember(tb, rt)
		name := c.names[0]
		fsys := c.disks[name]
		last := recs[len(recs)-1]
		end := payloadEnd(tb, fsys, path, last)
		size := int64(0)
		if st, err := fsys.Stat(path); err == nil {
			size = st.Size
		}
		var off int64
		if rapid.Bool().Draw(rt, "near the last record") {
			off = end + rapid.Int64Range(0, 8192).Draw(rt, "offset after the last record")
		} else {
			off = rapid.Int64Range(end, size+4096).Draw(rt, "offset in the segment")
		}
		var junk []byte
		switch rapid.SampledFrom([]string{"random bytes", "partial copy of a record"}).Draw(rt, "garbage") {
		case "random bytes":
			junk = randomBytes(rapid.Uint64().Draw(rt, "garbage seed"), rapid.IntRange(1, 8192).Draw(rt, "length"))
		default:
			r := recs[rapid.IntRange(0, len(recs)-1).Draw(rt, "copied record")]
			full := readFile(tb, fsys, filepath.Join(filepath.Dir(path), r.Segment), r.Offset, r.Size)
			junk = full[:rapid.IntRange(1, r.Size-1).Draw(rt, "copied bytes")]
		}
		if bytes.Count(junk, []byte{0}) == len(junk) {
			junk[len(junk)-1] = 0x5a // zeros are no garbage: preallocated space holds them
		}
		cut := rapid.Bool().Draw(rt, "file cut after the garbage")
		// The situation: non-zero bytes now follow the last synced record,
		// in the newest segment.
		if off < end || bytes.Count(junk, []byte{0}) == len(junk) || filepath.Base(path) != last.Segment {
			rt.Fatalf("garbage at %d (%d bytes) is not after the last synced record (payload ends at %d of %s)", off, len(junk), end, last.Segment)
		}
		overwrite(tb, fsys, path, off, junk, cut)

		log, err := c.startLogged(name, smallSegments)
		if err != nil {
			rt.Fatalf("refused to start after %d bytes of garbage at offset %d (the last synced record's payload ends at %d): %v", len(junk), off, end, err)
		}
		sameRecords(tb, recs, walRecords(tb, fsys, walDir(c.cfgs[name].DataDir)))
		if log.find("torn write", ".broken") == "" {
			rt.Fatalf("the member did not say that it cut its WAL's tail; its log:\n%s", strings.Join(log.lines, "\n"))
		}
		lead := c.leader()
		for k, v := range want {
			if got, ok := c.get(lead, k); !ok || got != v {
				rt.Fatalf("%s = %q (%v) after the restart, want %q", k, got, ok, v)
			}
		}
	})
}

// TestMember_DamageBeforeAValidRecordRefusesToStart is the other half:
// damage inside a synced record that a valid record follows is corruption,
// and the member refuses to start, naming the file and the offset. (In an
// older segment, every record has valid records after it.)
//
// A valid record is one whose CRC checks out, and that needs the CRC it is
// chained from (docs/persistence.md): the damaged record's own, as stored or
// as its bytes compute it, or the stored CRC of the record before it. So
// damage that destroys the stored CRC of the record before the last one
// together with other bytes of it is left out: nothing vouches for the last
// record then.
func TestMember_DamageBeforeAValidRecordRefusesToStart(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tb := rapidTB{t, rt}
		c, _, recs, newest := syncedMember(tb, rt)
		name := c.names[0]
		fsys := c.disks[name]
		k := rapid.IntRange(0, len(recs)-2).Draw(rt, "damaged record")
		r := recs[k]
		path := filepath.Join(filepath.Dir(newest), r.Segment)
		lo := rapid.IntRange(0, r.Size-1).Draw(rt, "damage from")
		hi := rapid.IntRange(lo+1, min(r.Size, lo+64)).Draw(rt, "damage to")
		damaged := readFile(tb, fsys, path, r.Offset, r.Size)
		crcHit, otherHit := false, false
		for i := lo; i < hi; i++ {
			damaged[i] ^= byte(rapid.IntRange(1, 255).Draw(rt, "xor"))
			if i >= 8 && i < 12 {
				crcHit = true
			} else {
				otherHit = true
			}
		}
		if path == newest && crcHit && otherHit && k+2 >= len(recs) {
			rt.Skip("the CRC that the last record chains from is destroyed: nothing vouches for it")
		}
		overwrite(tb, fsys, path, r.Offset, damaged, false)

		_, err := c.startLogged(name, smallSegments)
		if err == nil {
			rt.Fatalf("started despite damage in bytes %d..%d of record %d of %d (%s at %d of %s)", lo, hi, k, len(recs), r.Type, r.Offset, r.Segment)
		}
		if want := fmt.Sprintf("%s at offset %d ", path, r.Offset); !strings.Contains(err.Error(), want) {
			rt.Fatalf("the error does not name %q: %v", want, err)
		}
	})
}
