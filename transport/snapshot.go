package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/raftkv/raftkv/raft"
)

// A snapshot travels as the body of its own HTTP request, never on the
// message stream: a stream delivers in order, so tens of megabytes on it
// would hold back every heartbeat and append behind them for as long as the
// transfer takes — long enough for followers to time out and start an
// election. On its own connection, it shares only the network.
//
// The body is
//
//	header length (4 bytes, big endian)
//	header: the MsgSnap message with the snapshot's metadata and empty Data
//	data length (8 bytes, big endian)
//	data
//	CRC-32C of data (4 bytes, big endian)
//
// The sender writes the data straight from the snapshot it was handed, one
// chunk at a time; the receiver allocates the data once, from its declared
// length (after checking it against MaxSnapshotBytes), and reads it in
// chunks. Neither side holds more than the snapshot and a chunk. The CRC
// catches what TCP's weak checksum lets through: a corrupt snapshot would
// replace a follower's whole state.

// snapshotPrefix encodes everything that precedes the data.
func snapshotPrefix(m *raft.Message, limit int) ([]byte, error) {
	meta := *m.Snapshot
	meta.Data = nil
	hm := *m
	hm.Snapshot = &meta
	b := make([]byte, 4, 64)
	b, err := hm.AppendBinary(b)
	if err != nil {
		return nil, fmt.Errorf("transport: encode snapshot header: %w", err)
	}
	if len(b)-4 > limit {
		return nil, fmt.Errorf("transport: snapshot header of %d bytes exceeds the %d-byte frame limit", len(b)-4, limit)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return binary.BigEndian.AppendUint64(b, uint64(len(m.Snapshot.Data))), nil
}

// snapshotCRC computes or continues the data checksum.
func snapshotCRC(crc uint32, p []byte) uint32 {
	return crc32.Update(crc, crc32.MakeTable(crc32.Castagnoli), p)
}

// snapshotLimits bound what a snapshot body may make the receiver allocate.
type snapshotLimits struct {
	maxHeader int
	maxData   int64
	chunk     int
}

// readSnapshot decodes a snapshot body. Before each chunk it calls
// progress, which renews the read deadline or aborts the transfer by
// returning an error. The returned message owns all its bytes.
func readSnapshot(r io.Reader, lim snapshotLimits, progress func() error) (raft.Message, error) {
	var m raft.Message
	var word [8]byte
	if err := readPart(r, word[:4], "header length"); err != nil {
		return m, err
	}
	hlen := binary.BigEndian.Uint32(word[:4])
	if uint64(hlen) > uint64(lim.maxHeader) {
		return m, fmt.Errorf("%w: snapshot header of %d bytes exceeds the %d-byte limit", errFrame, hlen, lim.maxHeader)
	}
	header := make([]byte, hlen)
	if err := readPart(r, header, "header"); err != nil {
		return m, err
	}
	if err := m.UnmarshalBinary(header); err != nil {
		return m, fmt.Errorf("%w: snapshot header: %w", errFrame, err)
	}
	if m.Type != raft.MsgSnap || m.Snapshot == nil {
		return m, fmt.Errorf("%w: %s without a snapshot on the snapshot path", errProtocol, m.Type)
	}
	if len(m.Snapshot.Data) != 0 {
		return m, fmt.Errorf("%w: snapshot data inside the header", errFrame)
	}
	if err := readPart(r, word[:8], "data length"); err != nil {
		return m, err
	}
	dlen := binary.BigEndian.Uint64(word[:8])
	if dlen > uint64(lim.maxData) {
		return m, fmt.Errorf("%w: snapshot of %d bytes exceeds the %d-byte limit", errFrame, dlen, lim.maxData)
	}
	data := make([]byte, dlen)
	var crc uint32
	for off := 0; off < len(data); {
		if err := progress(); err != nil {
			return m, err
		}
		end := min(off+lim.chunk, len(data))
		if err := readPart(r, data[off:end], "data"); err != nil {
			return m, fmt.Errorf("after %d of %d bytes: %w", off, len(data), err)
		}
		crc = snapshotCRC(crc, data[off:end])
		off = end
	}
	if err := readPart(r, word[:4], "checksum"); err != nil {
		return m, err
	}
	if want := binary.BigEndian.Uint32(word[:4]); want != crc {
		return m, fmt.Errorf("%w: snapshot checksum mismatch (got %08x, want %08x)", errFrame, crc, want)
	}
	if len(data) > 0 {
		m.Snapshot.Data = data
	}
	return m, nil
}

// readPart reads exactly len(p) bytes of the named part of a snapshot body;
// a body that ends early is the sender's fault (errFrame).
func readPart(r io.Reader, p []byte, part string) error {
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: snapshot body ends in its %s", errFrame, part)
		}
		return fmt.Errorf("transport: reading snapshot %s: %w", part, err)
	}
	return nil
}
