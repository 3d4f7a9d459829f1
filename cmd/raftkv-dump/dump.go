package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
	"github.com/raftkv/raftkv/wal"
)

type options struct {
	entries bool // one line per entry
	data    int  // bytes of data to show per entry
}

// dump prints the WAL and the snapshots under dir. A data directory is
// recognised by its member/wal subdirectory (etcd's layout).
func dump(dir string, o options, out io.Writer) error {
	fsys := vfs.OS()
	walDir, snapDir := dir, ""
	if fi, err := fsys.Stat(filepath.Join(dir, "member", "wal")); err == nil && fi.IsDir {
		walDir = filepath.Join(dir, "member", "wal")
		snapDir = filepath.Join(dir, "member", "snap")
	}
	walErr := dumpWAL(fsys, walDir, o, out)
	if snapDir != "" {
		if err := dumpSnapshots(fsys, snapDir, out); err != nil && walErr == nil {
			return err
		}
	}
	return walErr
}

func dumpWAL(fsys vfs.FS, dir string, o options, out io.Writer) error {
	fmt.Fprintf(out, "wal %s\n", dir)
	segment := ""
	end, err := wal.Walk(fsys, dir, func(r wal.Record) error {
		if r.Segment != segment {
			segment = r.Segment
			fmt.Fprintf(out, "segment %s\n  %-10s %7s  %-9s  %-8s  %s\n", segment, "offset", "size", "type", "crc", "contents")
		}
		fmt.Fprintf(out, "  %#010x %7d  %-9s  %08x  %s\n", r.Offset, r.Size, r.Type, r.CRC, describe(r))
		if o.entries && r.Type == wal.RecordEntries {
			for _, e := range r.Entries {
				fmt.Fprintf(out, "      %s\n", describeEntry(e, o.data))
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(out, "STOPPED: %v\n", err)
		return err
	}
	switch {
	case end.Torn != nil:
		fmt.Fprintf(out, "end: %s at %#x: then a torn write (%v);\n     opening the WAL will cut it off and keep the bytes in a .broken file\n", end.Segment, end.Offset, end.Torn)
	default:
		fmt.Fprintf(out, "end: %s at %#x, clean (%d bytes of preallocated space follow)\n", end.Segment, end.Offset, end.Size-end.Offset)
	}
	return nil
}

func describe(r wal.Record) string {
	switch r.Type {
	case wal.RecordCRC:
		return fmt.Sprintf("chain continues from %08x", r.Seed)
	case wal.RecordMetadata:
		return fmt.Sprintf("cluster=%x member=%x", r.Metadata.ClusterID, r.Metadata.MemberID)
	case wal.RecordEntries:
		first, last := r.Entries[0], r.Entries[len(r.Entries)-1]
		bytes := 0
		for _, e := range r.Entries {
			bytes += len(e.Data)
		}
		terms := fmt.Sprintf("term=%d", first.Term)
		if first.Term != last.Term {
			terms = fmt.Sprintf("terms=%d..%d", first.Term, last.Term)
		}
		return fmt.Sprintf("entries %d..%d %s (%d entries, %d data bytes)", first.Index, last.Index, terms, len(r.Entries), bytes)
	case wal.RecordHardState:
		hs := r.HardState
		return fmt.Sprintf("term=%d vote=%x commit=%d", hs.Term, hs.Vote, hs.Commit)
	case wal.RecordSnapshot:
		return fmt.Sprintf("snapshot saved up to index=%d term=%d", r.Snapshot.Index, r.Snapshot.Term)
	}
	return ""
}

func describeEntry(e raft.Entry, n int) string {
	s := fmt.Sprintf("%d/%d %s", e.Index, e.Term, e.Type)
	if e.Type == raft.EntryConfChange {
		var cc raft.ConfChange
		if err := cc.UnmarshalBinary(e.Data); err == nil {
			return s + fmt.Sprintf(" %s node=%x context=%q", cc.Type, cc.NodeID, cc.Context)
		}
	}
	if len(e.Data) == 0 {
		return s + " (empty: a new leader's no-op)"
	}
	d := e.Data
	if len(d) > n {
		d = d[:n]
	}
	more := ""
	if len(e.Data) > n {
		more = "..."
	}
	return s + fmt.Sprintf(" %q%s (%d bytes)", d, more, len(e.Data))
}

func dumpSnapshots(fsys vfs.FS, dir string, out io.Writer) error {
	fmt.Fprintf(out, "\nsnapshots %s\n", dir)
	infos, err := snapshot.New(fsys, dir).List()
	if err != nil {
		fmt.Fprintf(out, "  %v\n", err)
		return err
	}
	if len(infos) == 0 {
		fmt.Fprintln(out, "  (none)")
	}
	for _, in := range infos {
		if in.Err != nil {
			fmt.Fprintf(out, "  %s  BROKEN: %v\n", in.Name, in.Err)
			continue
		}
		m := in.Meta
		fmt.Fprintf(out, "  %s  index=%d term=%d voters=%s learners=%s payload=%d bytes, crc ok\n",
			in.Name, m.Index, m.Term, ids(m.ConfState.Voters), ids(m.ConfState.Learners), in.Size)
	}
	return nil
}

func ids(v []uint64) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = fmt.Sprintf("%x", id)
	}
	return "[" + strings.Join(s, " ") + "]"
}
