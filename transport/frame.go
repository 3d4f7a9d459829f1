package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/raftkv/raftkv/raft"
)

// A stream is a sequence of frames. Each frame is
//
//	+-------------------+---------+--------------------+
//	| length (4 bytes,  | type    | payload            |
//	| big endian)       | (1 byte)| (length bytes)     |
//	+-------------------+---------+--------------------+
//
// The length prefix is what lets a reader find message boundaries in a byte
// stream, and it is checked against a limit before a single payload byte is
// read or allocated: a confused or hostile peer can make us read at most
// MaxFrameBytes for one frame, never "whatever the length field says".
const (
	frameHeaderLen = 5

	// frameMsg carries one raft.Message (its AppendBinary encoding).
	frameMsg byte = 1
	// framePing asks the other side to echo the payload, an 8-byte
	// timestamp of the sender's clock; the echo (framePong) tells the
	// sender the round-trip time and that the peer is alive.
	framePing byte = 2
	framePong byte = 3

	pingPayloadLen = 8

	// maxFrameLimit is the largest length the 4-byte field can carry.
	maxFrameLimit = math.MaxUint32
)

// errFrame is wrapped by every error about the bytes of a stream (as opposed
// to errors of the connection itself).
var errFrame = errors.New("transport: malformed frame")

// appendMessageFrame appends m as one frame. The length is patched in after
// encoding because AppendBinary writes straight into b: no intermediate
// buffer, no copy.
func appendMessageFrame(b []byte, m *raft.Message, limit int) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0, frameMsg)
	b, err := m.AppendBinary(b)
	if err != nil {
		return b[:start], fmt.Errorf("transport: encode %s: %w", m.Type, err)
	}
	n := len(b) - start - frameHeaderLen
	if n > limit {
		return b[:start], fmt.Errorf("transport: %s of %d bytes exceeds the %d-byte frame limit", m.Type, n, limit)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// appendPingFrame appends a ping or pong frame carrying stamp.
func appendPingFrame(b []byte, typ byte, stamp uint64) []byte {
	b = binary.BigEndian.AppendUint32(b, pingPayloadLen)
	b = append(b, typ)
	return binary.BigEndian.AppendUint64(b, stamp)
}

// frameReader reads frames from a buffered stream.
type frameReader struct {
	r     *bufio.Reader
	limit int
	slab  slab
	hdr   [frameHeaderLen]byte
	ping  [pingPayloadLen]byte
}

func newFrameReader(r *bufio.Reader, limit int) *frameReader {
	return &frameReader{r: r, limit: limit}
}

// next reads one frame and returns its type, its payload and the number of
// bytes it occupied on the wire. A message payload is a fresh slice that
// nobody else will write to — it must be, because a decoded raft.Message
// aliases it; a ping or pong payload is reused by the next call.
//
// An error wrapping errFrame means the peer sent bytes that are not a valid
// frame; any other error comes from the connection (io.EOF: the peer closed
// it cleanly between frames).
func (fr *frameReader) next() (typ byte, payload []byte, wire int, err error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, 0, fmt.Errorf("%w: stream ends inside a frame header", errFrame)
		}
		return 0, nil, 0, err
	}
	n := binary.BigEndian.Uint32(fr.hdr[:4])
	typ = fr.hdr[4]
	switch typ {
	case frameMsg:
		if uint64(n) > uint64(fr.limit) {
			return 0, nil, 0, fmt.Errorf("%w: frame of %d bytes exceeds the %d-byte limit", errFrame, n, fr.limit)
		}
		payload = fr.slab.alloc(int(n))
	case framePing, framePong:
		if n != pingPayloadLen {
			return 0, nil, 0, fmt.Errorf("%w: ping frame of %d bytes, want %d", errFrame, n, pingPayloadLen)
		}
		payload = fr.ping[:]
	default:
		return 0, nil, 0, fmt.Errorf("%w: unknown frame type %d", errFrame, typ)
	}
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, 0, fmt.Errorf("%w: stream ends inside a %d-byte frame", errFrame, n)
		}
		return 0, nil, 0, err
	}
	return typ, payload, frameHeaderLen + int(n), nil
}
