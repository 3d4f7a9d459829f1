package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// RecordType says what a record's payload holds.
type RecordType uint8

const (
	// RecordCRC opens every segment. Its payload is the CRC of the last
	// record of the previous segment (zero in the first), so the chain runs
	// unbroken across segment files.
	RecordCRC RecordType = 1
	// RecordMetadata follows RecordCRC in every segment: the cluster and
	// member IDs, identical in all segments.
	RecordMetadata RecordType = 2
	// RecordEntries holds consecutive raft entries, each prefixed by its
	// encoded length. Its first index may be at or below indexes already
	// written: the log's suffix from that index is then replaced.
	RecordEntries RecordType = 3
	// RecordHardState holds raft's term, vote and commit index.
	RecordHardState RecordType = 4
	// RecordSnapshot marks that a snapshot up to (index, term) was saved.
	RecordSnapshot RecordType = 5
)

func (t RecordType) String() string {
	switch t {
	case RecordCRC:
		return "crc"
	case RecordMetadata:
		return "metadata"
	case RecordEntries:
		return "entries"
	case RecordHardState:
		return "hardstate"
	case RecordSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("RecordType(%d)", uint8(t))
}

// The frame of a record:
//
//	offset  size  field
//	0       4     payload length L, little endian
//	4       1     record type
//	5       3     reserved, zero
//	8       4     CRC32C (Castagnoli), chained: seeded with the previous record's CRC
//	12      L     payload
//	12+L    0..7  zero padding, so that every record starts on an 8-byte boundary
//
// The CRC covers the length, the type and the payload. Seeding it with the
// previous record's CRC means a record is valid only right after the record
// it was written after: a stale record left from an earlier write, or a
// record from another file, fails the check.
const (
	headerSize = 12
	// maxPayload bounds a record, and with it what a damaged length field
	// can make the reader allocate.
	maxPayload = 32 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameSize is the number of bytes a record with an n-byte payload occupies.
func frameSize(n int) int { return (headerSize + n + 7) &^ 7 }

// beginRecord reserves a header at the end of b; the payload is appended
// after it and sealRecord fills the header in.
func beginRecord(b []byte) (out []byte, start int) {
	return append(b, make([]byte, headerSize)...), len(b)
}

// sealRecord completes the record started at b[start:] (header reserved,
// payload appended), chaining its CRC from prev, and pads it.
func sealRecord(b []byte, start int, t RecordType, prev uint32) ([]byte, uint32) {
	n := len(b) - start - headerSize
	h := b[start : start+headerSize]
	binary.LittleEndian.PutUint32(h[0:4], uint32(n))
	h[4] = byte(t)
	h[5], h[6], h[7] = 0, 0, 0
	crc := crc32.Update(prev, castagnoli, h[:8])
	crc = crc32.Update(crc, castagnoli, b[start+headerSize:])
	binary.LittleEndian.PutUint32(h[8:12], crc)
	var pad [8]byte
	return append(b, pad[:frameSize(n)-headerSize-n]...), crc
}

// record is one decoded frame. payload aliases the buffer it was read from.
type record struct {
	typ     RecordType
	payload []byte
	crc     uint32
	off     int64 // offset of the frame in its segment
	size    int   // bytes the frame occupies, padding included
}

var (
	// errShort: the frame claims more bytes than the file holds.
	errShort = errors.New("record is cut short by the end of the file")
	// errZeroHeader: the header is all zeros — preallocated space, the
	// normal end of a segment that is still being written.
	errZeroHeader = errors.New("zeroed record header")
	// errDirtyPadding: the record checks out — its CRC covers everything
	// but the padding — yet its padding is not zero, or the file ends in
	// it. Something was written over the padding after the record.
	errDirtyPadding = errors.New("the record checks out, but its padding is not zero or is cut short by the end of the file")
)

// decodeRecord decodes the frame at the start of b, chained from prev. It
// returns errShort when b ends before the payload does, errZeroHeader for
// an all-zero header, errDirtyPadding — with the decoded record — when only
// the padding is wrong, and another error for a frame that is invalid in
// itself. It never panics and never allocates, whatever b holds.
func decodeRecord(b []byte, prev uint32) (record, error) {
	if len(b) >= headerSize && isZero(b[:headerSize]) {
		return record{}, errZeroHeader
	}
	if len(b) < headerSize {
		return record{}, errShort
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	t := RecordType(b[4])
	switch {
	case b[5]|b[6]|b[7] != 0:
		return record{}, errors.New("reserved header bytes are not zero")
	case t < RecordCRC || t > RecordSnapshot:
		return record{}, fmt.Errorf("unknown record type %d", t)
	case n > maxPayload:
		return record{}, fmt.Errorf("payload length %d exceeds the limit of %d", n, maxPayload)
	}
	end := headerSize + int(n)
	if len(b) < end {
		return record{}, errShort
	}
	payload := b[headerSize:end:end]
	stored := binary.LittleEndian.Uint32(b[8:12])
	crc := crc32.Update(prev, castagnoli, b[:8])
	crc = crc32.Update(crc, castagnoli, payload)
	if crc != stored {
		return record{}, fmt.Errorf("crc mismatch: stored %08x, computed %08x", stored, crc)
	}
	r := record{typ: t, payload: payload, crc: crc, size: frameSize(int(n))}
	if len(b) < r.size || !isZero(b[end:r.size]) {
		return r, errDirtyPadding
	}
	return r, nil
}

// isZero reports whether b holds only zero bytes. It reads eight bytes at a
// time because the reader runs it over whole preallocated tails.
func isZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
