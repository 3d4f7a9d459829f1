package main

import (
	"bytes"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
	"github.com/raftkv/raftkv/wal"
)

// member writes a small data directory with etcd's layout.
func member(t *testing.T) string {
	dir := t.TempDir()
	w, err := wal.Create(vfs.OS(), filepath.Join(dir, "member", "wal"), wal.Metadata{ClusterID: 0xabc, MemberID: 1}, wal.WithSegmentSize(1024))
	if err != nil {
		t.Fatal(err)
	}
	cc := raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: 2, Context: []byte("n2")}
	ccData, _ := cc.AppendBinary(nil)
	ents := []raft.Entry{
		{Term: 1, Index: 1},
		{Term: 1, Index: 2, Type: raft.EntryConfChange, Data: ccData},
		{Term: 1, Index: 3, Data: []byte("put /testdir/testkey Hello world")},
	}
	if err := w.Save(raft.HardState{Term: 1, Vote: 1, Commit: 3}, ents, true); err != nil {
		t.Fatal(err)
	}
	snap := snapshot.New(vfs.OS(), filepath.Join(dir, "member", "snap"))
	meta := raft.SnapshotMeta{Index: 3, Term: 1, ConfState: raft.ConfState{Voters: []uint64{1, 2}}}
	if err := snap.Save(meta, func(w io.Writer) error { _, err := w.Write([]byte("state")); return err }); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveSnapshot(wal.Snapshot{Index: 3, Term: 1}); err != nil {
		t.Fatal(err)
	}
	for i := uint64(4); i <= 20; i++ {
		e := []raft.Entry{{Term: 2, Index: i, Data: bytes.Repeat([]byte("v"), 100)}}
		if err := w.Save(raft.HardState{Term: 2, Vote: 0xd59bd5690ff88ab8, Commit: i}, e, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDumpDataDir(t *testing.T) {
	dir := member(t)
	var out bytes.Buffer
	if err := run([]string{"-entries", dir}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"segment 0000000000000000-0000000000000000.wal",
		"chain continues from 00000000",
		"cluster=abc member=1",
		"entries 1..3 term=1 (3 entries",
		"2/1 ConfChange AddVoter node=2 context=\"n2\"",
		"1/1 Normal (empty: a new leader's no-op)",
		`3/1 Normal "put /testdir/testkey Hello world" (32 bytes)`,
		"snapshot saved up to index=3 term=1",
		"term=2 vote=d59bd5690ff88ab8 commit=20", // member IDs in hex, as everywhere else,
		", clean (",
		"0000000000000001-0000000000000003.snap  index=3 term=1 voters=[1 2] learners=[] payload=5 bytes, crc ok",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^segment `).FindAllString(got, -1)); n < 2 {
		t.Errorf("%d segments shown", n)
	}
	if t.Failed() {
		t.Log(got)
	}
}

func TestDumpShowsTornTailAndCorruption(t *testing.T) {
	dir := member(t)
	walDir := filepath.Join(dir, "member", "wal")
	var last string
	end, err := wal.Walk(vfs.OS(), walDir, func(r wal.Record) error { last = r.Segment; return nil })
	if err != nil {
		t.Fatal(err)
	}
	f, err := vfs.OS().OpenReadWrite(filepath.Join(walDir, last))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{1, 2, 3}, end.Offset+600) // stray bytes after a zeroed header
	f.Close()

	var out bytes.Buffer
	if err := run([]string{walDir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "then a torn write") {
		t.Fatalf("torn tail not reported:\n%s", out.String())
	}

	f, _ = vfs.OS().OpenReadWrite(filepath.Join(walDir, "0000000000000000-0000000000000000.wal"))
	f.WriteAt([]byte{0xff}, 40)
	f.Close()
	out.Reset()
	if err := run([]string{dir}, &out); err == nil || !strings.Contains(out.String(), "STOPPED: wal: corrupt") {
		t.Fatalf("corruption not reported (err %v):\n%s", err, out.String())
	}
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out); err == nil || !strings.Contains(out.String(), "usage") {
		t.Fatalf("no usage: %v %s", err, out.String())
	}
}
