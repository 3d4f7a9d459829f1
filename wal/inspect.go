package wal

import (
	"fmt"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// ValidSnapshots returns the snapshot markers in the WAL that a restarting
// member may load a snapshot file for, oldest first. It reads without
// locking or changing anything (a torn tail simply ends the read).
//
// A marker beyond the last hard state's commit index is left out: the
// member crashed after writing it and before the hard state that covers it
// was durable, and a snapshot must never be ahead of what is known committed.
// The member then loads the newest snapshot file matching one of these
// markers (snapshot.Snapshotter.LoadNewest) and opens the WAL from it.
func ValidSnapshots(fsys vfs.FS, dir string) ([]Snapshot, error) {
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("wal: %s: %w", dir, ErrNotFound)
	}
	var snaps []Snapshot
	var hs raft.HardState
	lr := logReader{fs: fsys, dir: dir, segs: contiguousSuffix(segs), visit: func(seg segment, r *record) error {
		var err error
		switch r.typ {
		case RecordSnapshot:
			var s Snapshot
			if s, err = decodeSnapshot(r.payload); err == nil {
				snaps = append(snaps, s)
			}
		case RecordHardState:
			hs, err = decodeHardState(r.payload)
		}
		if err != nil {
			return corrupt(filepath.Join(dir, seg.name()), r.off, "%v", err)
		}
		return nil
	}}
	if _, err := lr.run(); err != nil {
		return nil, err
	}
	valid := snaps[:0]
	for _, s := range snaps {
		if s.Index <= hs.Commit {
			valid = append(valid, s)
		}
	}
	return valid, nil
}

// Record is one record as Walk reports it. Only the field for its Type is set.
type Record struct {
	Segment string // file name of the segment
	Offset  int64  // offset of the record in the segment
	Size    int    // bytes on disk, header and padding included
	Type    RecordType
	CRC     uint32

	Seed      uint32 // RecordCRC: the chain value carried over from the previous segment
	Metadata  Metadata
	Entries   []raft.Entry // valid only during the call; Data aliases a reused buffer
	HardState raft.HardState
	Snapshot  Snapshot
}

// End tells where and how the records of a WAL end.
type End struct {
	Segment string // the newest segment
	Offset  int64  // end of its last valid record
	Size    int64  // its file size (preallocated space included)
	// Torn, when not nil, says why the bytes after the last valid record
	// (from the end of its payload, if its padding was written over) look
	// like a write that never completed; Open+ReadAll would cut them off.
	Torn error
}

// Walk calls fn for every record of the WAL in dir, oldest first, without
// locking or changing anything: it is what raftkv-dump shows. It stops at
// the first error from fn or the first damage it finds (a *CorruptError).
// Segments below a gap in the sequence (left by an interrupted
// ReleaseBefore) are not shown.
func Walk(fsys vfs.FS, dir string, fn func(Record) error) (End, error) {
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return End{}, err
	}
	if len(segs) == 0 {
		return End{}, fmt.Errorf("wal: %s: %w", dir, ErrNotFound)
	}
	var scratch []raft.Entry
	lr := logReader{fs: fsys, dir: dir, segs: contiguousSuffix(segs), visit: func(seg segment, r *record) error {
		rec := Record{Segment: seg.name(), Offset: r.off, Size: r.size, Type: r.typ, CRC: r.crc}
		var err error
		switch r.typ {
		case RecordCRC:
			rec.Seed, err = decodeSeed(r.payload)
		case RecordMetadata:
			rec.Metadata, err = decodeMetadata(r.payload)
		case RecordEntries:
			scratch, err = decodeEntries(scratch[:0], r.payload)
			rec.Entries = scratch
		case RecordHardState:
			rec.HardState, err = decodeHardState(r.payload)
		case RecordSnapshot:
			rec.Snapshot, err = decodeSnapshot(r.payload)
		}
		if err != nil {
			return corrupt(filepath.Join(dir, seg.name()), r.off, "%v", err)
		}
		return fn(rec)
	}}
	end, err := lr.run()
	if err != nil {
		return End{}, err
	}
	out := End{Segment: end.seg.name(), Offset: end.off, Size: end.size}
	if end.torn != nil {
		out.Torn = end.torn
	}
	return out, nil
}

// Knows returns a filter accepting exactly the given markers, for
// snapshot.Snapshotter.LoadNewest:
//
//	markers, err := wal.ValidSnapshots(fs, walDir)
//	snap, err := snapshotter.LoadNewest(wal.Knows(markers))
func Knows(markers []Snapshot) func(index, term uint64) bool {
	return func(index, term uint64) bool {
		for _, m := range markers {
			if m.Index == index && m.Term == term {
				return true
			}
		}
		return false
	}
}
