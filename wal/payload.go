package wal

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// Payload encodings. Raft's own values (entries, hard state, snapshot
// metadata) use raft's binary codec; the WAL adds only the framing around
// them, so there is one encoding of an entry to learn, not two.

// Metadata identifies the member a WAL belongs to. It is written at the start
// of every segment, so that a segment copied from another member's WAL (or
// another cluster's) is refused instead of replayed.
type Metadata struct {
	ClusterID uint64
	MemberID  uint64
}

// Snapshot is a snapshot marker: the WAL's record that a snapshot covering
// the log up to Index (whose entry has Term) was saved.
type Snapshot struct {
	Index uint64
	Term  uint64
}

const metadataVersion = 1

func appendMetadata(b []byte, md Metadata) []byte {
	b = append(b, metadataVersion)
	b = binary.AppendUvarint(b, md.ClusterID)
	return binary.AppendUvarint(b, md.MemberID)
}

func decodeMetadata(p []byte) (Metadata, error) {
	if len(p) == 0 || p[0] != metadataVersion {
		return Metadata{}, errors.New("metadata: unknown version")
	}
	p = p[1:]
	c, n := binary.Uvarint(p)
	if n <= 0 {
		return Metadata{}, errors.New("metadata: bad cluster ID")
	}
	p = p[n:]
	m, n := binary.Uvarint(p)
	if n <= 0 || n != len(p) {
		return Metadata{}, errors.New("metadata: bad member ID")
	}
	return Metadata{ClusterID: c, MemberID: m}, nil
}

func appendSeed(b []byte, crc uint32) []byte { return binary.LittleEndian.AppendUint32(b, crc) }

func decodeSeed(p []byte) (uint32, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("crc record: payload of %d bytes, want 4", len(p))
	}
	return binary.LittleEndian.Uint32(p), nil
}

// entryLenSize is the fixed-width length in front of each entry in a
// RecordEntries payload. Fixed, so that the writer can reserve it before it
// knows the entry's encoded size, and encode straight into the write buffer.
const entryLenSize = 4

// appendEntry appends one length-prefixed entry.
func appendEntry(b []byte, e *raft.Entry) []byte {
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	b, _ = e.AppendBinary(b) // cannot fail: it only appends
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-entryLenSize))
	return b
}

// decodeEntries appends the entries of a RecordEntries payload to dst,
// checking that their indexes are consecutive. Their Data aliases p.
func decodeEntries(dst []raft.Entry, p []byte) ([]raft.Entry, error) {
	if len(p) == 0 {
		return dst, errors.New("entries record holds no entry")
	}
	for start := len(dst); len(p) > 0; {
		if len(p) < entryLenSize {
			return dst, errors.New("entries record: truncated entry length")
		}
		n := binary.LittleEndian.Uint32(p)
		p = p[entryLenSize:]
		if uint64(n) > uint64(len(p)) {
			return dst, fmt.Errorf("entries record: entry of %d bytes, only %d left", n, len(p))
		}
		dst = append(dst, raft.Entry{})
		e := &dst[len(dst)-1]
		if err := e.UnmarshalBinary(p[:n]); err != nil {
			return dst, fmt.Errorf("entries record: %w", err)
		}
		switch {
		case e.Index == 0:
			return dst, errors.New("entries record: entry with index 0")
		case len(dst)-1 > start && e.Index != dst[len(dst)-2].Index+1:
			return dst, fmt.Errorf("entries record: index %d follows %d", e.Index, dst[len(dst)-2].Index)
		}
		p = p[n:]
	}
	return dst, nil
}

func appendHardState(b []byte, hs *raft.HardState) []byte {
	b, _ = hs.AppendBinary(b)
	return b
}

func decodeHardState(p []byte) (raft.HardState, error) {
	var hs raft.HardState
	err := hs.UnmarshalBinary(p)
	return hs, err
}

func appendSnapshot(b []byte, s Snapshot) []byte {
	m := raft.SnapshotMeta{Index: s.Index, Term: s.Term}
	b, _ = m.AppendBinary(b)
	return b
}

func decodeSnapshot(p []byte) (Snapshot, error) {
	var m raft.SnapshotMeta
	if err := m.UnmarshalBinary(p); err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Index: m.Index, Term: m.Term}, nil
}
