package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/raftkv/raftkv/raft"
)

// A snapshot file is a fixed header, the snapshot's metadata, and the
// payload (the state machine's image, opaque here):
//
//	offset  size  field
//	0       8     magic "RKVSNAP\n"
//	8       4     format version (1), little endian like every field
//	12      4     metadata length M
//	16      8     payload length P
//	24      4     CRC32C of the payload
//	28      4     CRC32C of bytes 0..28 and the metadata
//	32      M     raft.SnapshotMeta (index, term, configuration), raft's codec
//	32+M    P     payload
//
// The payload's CRC is only known once it has been streamed, so the header
// is written last, over a placeholder (the file is still a temporary one).
const (
	fixedHeaderSize = 32
	formatVersion   = 1
	// maxMeta bounds what a damaged length field can make a reader allocate;
	// a configuration of thousands of members fits with room to spare.
	maxMeta = 1 << 20
)

var (
	magic      = [8]byte{'R', 'K', 'V', 'S', 'N', 'A', 'P', '\n'}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)

	// ErrCorrupt is wrapped by every error about a damaged snapshot file.
	ErrCorrupt = errors.New("snapshot: corrupt")
)

type header struct {
	meta       raft.SnapshotMeta
	payloadLen uint64
	payloadCRC uint32
	size       int // bytes before the payload: fixed header plus metadata
}

// appendHeader appends the encoded header.
func appendHeader(b []byte, meta []byte, payloadLen uint64, payloadCRC uint32) []byte {
	start := len(b)
	b = append(b, magic[:]...)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(meta)))
	b = binary.LittleEndian.AppendUint64(b, payloadLen)
	b = binary.LittleEndian.AppendUint32(b, payloadCRC)
	crc := crc32.Update(0, castagnoli, b[start:])
	crc = crc32.Update(crc, castagnoli, meta)
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(b, meta...)
}

// metaLen returns the metadata length a fixed header announces, so that the
// reader knows how much more to read before parseHeader; it checks only
// what it needs to bound that read.
func metaLen(fixed []byte) (int, error) {
	if len(fixed) < fixedHeaderSize {
		return 0, fmt.Errorf("%w: file shorter than a header", ErrCorrupt)
	}
	if !bytes.Equal(fixed[:8], magic[:]) {
		return 0, fmt.Errorf("%w: not a snapshot file (bad magic)", ErrCorrupt)
	}
	m := binary.LittleEndian.Uint32(fixed[12:16])
	if m > maxMeta {
		return 0, fmt.Errorf("%w: metadata length %d exceeds %d", ErrCorrupt, m, maxMeta)
	}
	return int(m), nil
}

// parseHeader decodes the header at the start of b. It never panics and
// never allocates more than b holds, whatever b is.
func parseHeader(b []byte) (header, error) {
	m, err := metaLen(b)
	if err != nil {
		return header{}, err
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v != formatVersion {
		return header{}, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, v)
	}
	if len(b) < fixedHeaderSize+m {
		return header{}, fmt.Errorf("%w: header cut short", ErrCorrupt)
	}
	meta := b[fixedHeaderSize : fixedHeaderSize+m]
	crc := crc32.Update(0, castagnoli, b[:28])
	crc = crc32.Update(crc, castagnoli, meta)
	if stored := binary.LittleEndian.Uint32(b[28:32]); stored != crc {
		return header{}, fmt.Errorf("%w: header crc mismatch: stored %08x, computed %08x", ErrCorrupt, stored, crc)
	}
	h := header{
		payloadLen: binary.LittleEndian.Uint64(b[16:24]),
		payloadCRC: binary.LittleEndian.Uint32(b[24:28]),
		size:       fixedHeaderSize + m,
	}
	if err := h.meta.UnmarshalBinary(meta); err != nil {
		return header{}, fmt.Errorf("%w: metadata: %v", ErrCorrupt, err)
	}
	return h, nil
}
