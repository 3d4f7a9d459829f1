package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/raftkv/raftkv/internal/vfs"
)

// readChunk is how much the scanner reads from a segment at a time.
const readChunk = 1 << 20

// scanner reads the records of one segment file in order, checking each
// frame and the CRC chain, and decides how the segment ends.
//
// It streams: the buffer holds at most a chunk (or one large record), so
// replaying a WAL costs memory for the entries kept, not for the files.
type scanner struct {
	f    vfs.File
	path string
	size int64
	// last is set for the newest segment, the only one whose tail may be
	// torn: every older one was synced in full before the next was created.
	last bool
	buf  []byte
	// buf[lo:hi] holds the file's bytes from pos on; pos is the offset of
	// the next record.
	lo, hi int
	pos    int64
	crc    uint32
}

// tornTail is how a scanner reports that the last segment ends in a write
// that never completed: everything from Offset on is to be cut.
type tornTail struct {
	Offset int64
	Reason error
}

func (t *tornTail) Error() string {
	return fmt.Sprintf("torn write at offset %d: %v", t.Offset, t.Reason)
}

func newScanner(f vfs.File, path string, size int64, last bool, buf []byte) *scanner {
	return &scanner{f: f, path: path, size: size, last: last, buf: buf}
}

// fill makes n bytes from pos available in buf[lo:hi], or all that the file
// has if it has fewer.
func (s *scanner) fill(n int) error {
	n = int(min(int64(n), s.size-s.pos))
	if s.hi-s.lo >= n {
		return nil
	}
	if s.lo+n > len(s.buf) {
		// Move what is left to the front; the record just returned (whose
		// payload the caller has finished with) is overwritten.
		s.hi = copy(s.buf, s.buf[s.lo:s.hi])
		s.lo = 0
		if n > len(s.buf) {
			// A chunk, or the whole file if smaller (tests and the simulator
			// use small segments and replay them thousands of times).
			size := max(n, int(min(readChunk, s.size)))
			s.buf = append(s.buf[:s.hi], make([]byte, size-s.hi)...)
		}
	}
	// Read as much as fits, to make fewer system calls.
	end := min(int64(len(s.buf)-s.hi), s.size-s.pos-int64(s.hi-s.lo))
	got, err := s.f.ReadAt(s.buf[s.hi:s.hi+int(end)], s.pos+int64(s.hi-s.lo))
	s.hi += got
	if got == int(end) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF // the file shrank under us
	}
	return fmt.Errorf("wal: read %s: %w", s.path, err)
}

// next returns the next record. At the end of the segment it returns
// io.EOF (a clean end), a *tornTail (last segment only), or a *CorruptError.
// The record's payload is valid until the next call.
func (s *scanner) next() (record, error) {
	if s.pos == s.size {
		return record{}, io.EOF
	}
	if err := s.fill(headerSize); err != nil {
		return record{}, err
	}
	if n := min(headerSize, s.hi-s.lo); isZero(s.buf[s.lo : s.lo+n]) {
		return record{}, s.zeroTail()
	}
	if s.hi-s.lo >= headerSize {
		n := int(min(uint32(maxPayload), binary.LittleEndian.Uint32(s.buf[s.lo:])))
		if err := s.fill(frameSize(n)); err != nil {
			return record{}, err
		}
	}
	r, err := decodeRecord(s.buf[s.lo:s.hi], s.crc)
	if err != nil {
		return record{}, s.bad(err)
	}
	r.off = s.pos
	s.lo += r.size
	s.pos += int64(r.size)
	s.crc = r.crc
	return r, nil
}

// zeroTail handles a zeroed header. In a segment still being written that is
// the preallocated space after the last record — provided every byte after
// it is zero too. A non-zero byte after it means a record's header was lost
// while later bytes were not: in the last segment, the signature of a torn
// write (the page cache wrote back a later sector first); anywhere else,
// damage.
func (s *scanner) zeroTail() error {
	for off := s.pos; off < s.size; {
		want := int(min(readChunk, s.size-off))
		if len(s.buf) < want {
			s.buf = make([]byte, want)
		}
		chunk := s.buf[:want]
		n, err := s.f.ReadAt(chunk, off)
		if n < len(chunk) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("wal: read %s: %w", s.path, err)
		}
		s.lo, s.hi = 0, 0 // the buffer no longer mirrors pos
		if i := firstNonZero(chunk); i >= 0 {
			reason := fmt.Errorf("zeroed record header followed by data at offset %d", off+int64(i))
			if s.last {
				return &tornTail{Offset: s.pos, Reason: reason}
			}
			return &CorruptError{Path: s.path, Offset: s.pos, Err: reason}
		}
		off += int64(n)
	}
	if !s.last {
		// An older segment was trimmed to its last record when the next
		// one was started, so zeros here stand where records were.
		return corrupt(s.path, s.pos, "zeroed space in a segment that was closed")
	}
	return io.EOF
}

func firstNonZero(b []byte) int {
	const word = 8
	i := 0
	for ; i+word <= len(b); i += word {
		if !isZero(b[i : i+word]) {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] != 0 {
			return i
		}
	}
	return -1
}

// bad classifies a record that failed to decode. Only in the last segment,
// and only if the record looks like a write that stopped partway — it runs
// past the end of the file, or one of the sectors it spans reads as zeros —
// is it a torn tail. Disks write whole sectors (vfs.SectorSize), so a write
// cut by a power failure leaves sectors as they were before: zeros, in
// preallocated space. A wrong CRC over sectors that all hold data is a flipped
// bit, and cutting there could drop acknowledged records.
func (s *scanner) bad(err error) error {
	if !s.last {
		return &CorruptError{Path: s.path, Offset: s.pos, Err: err}
	}
	if errors.Is(err, errShort) {
		return &tornTail{Offset: s.pos, Reason: err}
	}
	// The padding is left out: it is zero in every record, torn or not.
	n := int(min(uint32(maxPayload), binary.LittleEndian.Uint32(s.buf[s.lo:])))
	span := s.buf[s.lo:min(s.hi, s.lo+headerSize+n)]
	if hasZeroSector(span, s.pos) {
		return &tornTail{Offset: s.pos, Reason: fmt.Errorf("%w, and a sector it spans is all zeros", err)}
	}
	return &CorruptError{Path: s.path, Offset: s.pos, Err: err}
}

// hasZeroSector reports whether some piece of b that falls in one disk
// sector (b starts at file offset off) is all zeros.
func hasZeroSector(b []byte, off int64) bool {
	for len(b) > 0 {
		n := min(len(b), int(vfs.SectorSize-off%vfs.SectorSize))
		if isZero(b[:n]) {
			return true
		}
		b, off = b[n:], off+int64(n)
	}
	return false
}
