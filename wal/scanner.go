package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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
	// torn is set once the last record read is known to be followed by a
	// torn write (its padding was written over): next reports it.
	torn *tornTail
}

// tornTail is how a scanner reports that the last segment ends in a write
// that never completed: the bytes from Offset to end (just past the last
// non-zero byte) are to be cut.
type tornTail struct {
	Offset int64
	end    int64
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
	if s.torn != nil {
		return record{}, s.torn
	}
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
	switch {
	case err == nil:
	case errors.Is(err, errDirtyPadding) && s.last:
		// The record is whole, so it stays; what was written over its
		// padding is judged like any other damage after the last record.
		if err := s.paddingTorn(r); err != nil {
			return record{}, err
		}
	default:
		return record{}, s.bad(err)
	}
	r.off = s.pos
	s.lo = min(s.lo+r.size, s.hi) // the file may end inside a torn padding
	s.pos += int64(r.size)
	s.crc = r.crc
	return r, nil
}

// zeroTail handles a zeroed header. In a segment still being written that is
// the preallocated space after the last record — provided every byte after
// it is zero too. A non-zero byte after it means a record's header was lost
// while later bytes were not: in the last segment, damage to be judged like
// any other (tornUnlessFollowed); anywhere else, corruption.
func (s *scanner) zeroTail() error {
	first, end, err := nonZeroSpan(s.f, s.pos, s.size, &s.buf)
	s.lo, s.hi = 0, 0 // the buffer no longer mirrors pos
	if err != nil {
		return fmt.Errorf("wal: read %s: %w", s.path, err)
	}
	if first < 0 {
		if !s.last {
			// An older segment was trimmed to its last record when the next
			// one was started, so zeros here stand where records were.
			return corrupt(s.path, s.pos, "zeroed space in a segment that was closed")
		}
		return io.EOF
	}
	reason := fmt.Errorf("zeroed record header followed by data at offset %d", first)
	if !s.last {
		return &CorruptError{Path: s.path, Offset: s.pos, Err: reason}
	}
	// A zeroed header stored no CRC for the next record to chain from.
	return s.tornUnlessFollowed(s.pos, s.pos, end, nil, reason)
}

// bad classifies a record at pos that failed to decode: corruption in an
// older segment, and in the last one whatever tornUnlessFollowed says.
func (s *scanner) bad(err error) error {
	if !s.last {
		return &CorruptError{Path: s.path, Offset: s.pos, Err: err}
	}
	var scratch []byte
	_, end, rerr := nonZeroSpan(s.f, s.pos, s.size, &scratch)
	if rerr != nil {
		return fmt.Errorf("wal: read %s: %w", s.path, rerr)
	}
	return s.tornUnlessFollowed(s.pos, s.pos, end, s.successorSeeds(), err)
}

// paddingTorn judges the bytes after the payload of r, a whole record at
// pos whose padding is not zero (or is cut short by the end of the file).
// It returns nil, and remembers the torn tail for the next call to next, if
// they are a torn write; a *CorruptError otherwise.
func (s *scanner) paddingTorn(r record) error {
	from := s.pos + headerSize + int64(len(r.payload))
	// Not s.buf: r.payload points into it.
	var scratch []byte
	_, end, err := nonZeroSpan(s.f, from, s.size, &scratch)
	if err != nil {
		return fmt.Errorf("wal: read %s: %w", s.path, err)
	}
	err = s.tornUnlessFollowed(from, s.pos, end, []uint32{r.crc}, errors.New("padding is not zero, or cut short by the end of the file"))
	if !errors.As(err, &s.torn) {
		return err
	}
	return nil
}

// tornUnlessFollowed judges damage in the last segment: the bytes from the
// offset from on (up to end, just past the last non-zero byte) after the
// last valid record. at is the offset a *CorruptError names.
//
// A crash can only damage the last write: the WAL writes nothing while an
// earlier write is unsynced (see WAL.pending), so every write but the last
// was durable before the crash. A disk keeps a prefix of that write, whole
// sectors of it, and the rest reads as what was there before — zeros, in
// preallocated space — or, rarely, as garbage. Either way nothing valid
// comes after the damage. So if a valid record follows it, the damage hit
// a write that was synced: corruption. If none does, it is the torn write,
// never synced, so never acknowledged, and ReadAll cuts it off. A synced
// last record that the medium damaged looks exactly the same, and is cut
// too: the limit of the rule (docs/persistence.md says what it costs).
//
// seeds are the CRCs that the record right after the damage would chain
// from: see validRecordAfter.
func (s *scanner) tornUnlessFollowed(from, at, end int64, seeds []uint32, reason error) error {
	valid, err := s.validRecordAfter(from, end, seeds)
	if err != nil {
		return err
	}
	if valid >= 0 {
		return &CorruptError{Path: s.path, Offset: at, Err: fmt.Errorf("%w; yet a valid record follows it at offset %d", reason, valid)}
	}
	return &tornTail{Offset: from, end: max(end, from), Reason: reason}
}

// successorSeeds returns the CRCs that the record after the damaged one at
// pos would chain from: the CRC it stored and, in case that is what was
// hit, the CRC its bytes give.
func (s *scanner) successorSeeds() []uint32 {
	b := s.buf[s.lo:s.hi]
	if len(b) < headerSize {
		return nil
	}
	seeds := []uint32{binary.LittleEndian.Uint32(b[8:12])}
	if n := int64(binary.LittleEndian.Uint32(b[0:4])); headerSize+n <= int64(len(b)) {
		crc := crc32.Update(s.crc, castagnoli, b[:8])
		seeds = append(seeds, crc32.Update(crc, castagnoli, b[headerSize:headerSize+n]))
	}
	return seeds
}

// validRecordAfter returns the offset of a valid record that starts after
// from (and before end), or -1 if there is none.
//
// A record is valid when its CRC checks out, and a CRC needs the seed it
// was chained from. After damage, the log vouches for two kinds of seed: a
// record chained from one of seeds (the damaged record's own CRC, wherever
// its successor lies: a damaged length no longer says where that is), and
// a record chained from the stored CRC of the record right before it (two
// records written one after the other). Bytes that were never written as
// records pass either test with odds of about 2^-32 per position.
//
// What cannot be checked is a lone record after damage that destroyed the
// CRC it chains from; it is taken for part of the torn write.
func (s *scanner) validRecordAfter(from, end int64, seeds []uint32) (int64, error) {
	hr := headerReader{f: s.f, end: end}
	var payload []byte // reused by checksOut
	for q := (from + 8) &^ 7; q < end; q += 8 {
		h, err := hr.at(q)
		if err != nil {
			return -1, fmt.Errorf("wal: read %s: %w", s.path, err)
		}
		if !plausibleHeader(h, q, s.size) {
			continue
		}
		ok, err := s.checksOut(q, h, seeds, &payload)
		if ok || err != nil {
			return q, err
		}
		next := q + int64(frameSize(int(binary.LittleEndian.Uint32(h[0:4]))))
		if next >= end {
			continue
		}
		stored := binary.LittleEndian.Uint32(h[8:12]) // h is overwritten by the next read
		h2, err := hr.at(next)
		if err != nil {
			return -1, fmt.Errorf("wal: read %s: %w", s.path, err)
		}
		if plausibleHeader(h2, next, s.size) {
			ok, err = s.checksOut(next, h2, []uint32{stored}, &payload)
			if ok || err != nil {
				return next, err
			}
		}
	}
	return -1, nil
}

// plausibleHeader reports whether h, read at offset off of a file of size
// bytes, could open a record: reserved bytes zero, a known type, a payload
// that fits in the file.
func plausibleHeader(h []byte, off, size int64) bool {
	if len(h) < headerSize || h[5]|h[6]|h[7] != 0 || RecordType(h[4]) < RecordCRC || RecordType(h[4]) > RecordSnapshot {
		return false
	}
	n := binary.LittleEndian.Uint32(h[0:4])
	return n <= maxPayload && off+headerSize+int64(n) <= size
}

// checksOut reports whether the record at off, whose plausible header is
// h, checks out chained from one of seeds. It streams the payload through
// *buf, so that a length field read from garbage costs reading, not memory.
// (The padding is not looked at: a record whose padding was written over
// still checks out.)
func (s *scanner) checksOut(off int64, h []byte, seeds []uint32, buf *[]byte) (bool, error) {
	if len(seeds) == 0 {
		return false, nil
	}
	crcs := make([]uint32, len(seeds))
	for i, seed := range seeds {
		crcs[i] = crc32.Update(seed, castagnoli, h[:8])
	}
	if *buf == nil {
		*buf = make([]byte, 64<<10)
	}
	start, stop := off+headerSize, off+headerSize+int64(binary.LittleEndian.Uint32(h[0:4]))
	for p := start; p < stop; {
		chunk := (*buf)[:min(int64(len(*buf)), stop-p)]
		if _, err := s.f.ReadAt(chunk, p); err != nil && err != io.EOF {
			return false, fmt.Errorf("wal: read %s: %w", s.path, err)
		}
		for i := range crcs {
			crcs[i] = crc32.Update(crcs[i], castagnoli, chunk)
		}
		p += int64(len(chunk))
	}
	for _, crc := range crcs {
		if crc == binary.LittleEndian.Uint32(h[8:12]) {
			return true, nil
		}
	}
	return false, nil
}

// headerReader reads record headers at increasing offsets, a chunk at a
// time. A header it returns is valid until the next call.
type headerReader struct {
	f     vfs.File
	end   int64 // no header starts at or after end
	chunk []byte
	off   int64 // file offset of chunk[0]
}

func (r *headerReader) at(off int64) ([]byte, error) {
	if off < r.off || off+headerSize > r.off+int64(len(r.chunk)) {
		n := min(readChunk, r.end+headerSize-off)
		if int64(cap(r.chunk)) < n {
			r.chunk = make([]byte, n)
		}
		r.chunk = r.chunk[:n]
		got, err := r.f.ReadAt(r.chunk, off)
		if err != nil && err != io.EOF {
			return nil, err
		}
		r.chunk, r.off = r.chunk[:got], off
	}
	return r.chunk[off-r.off : min(off-r.off+headerSize, int64(len(r.chunk)))], nil
}

// nonZeroSpan returns the offset of the first non-zero byte in [from, to)
// of f (-1 if there is none) and the offset just past the last one. It
// reads through *buf, growing it to a chunk if needed.
func nonZeroSpan(f vfs.File, from, to int64, buf *[]byte) (first, end int64, err error) {
	first, end = -1, from
	for off := from; off < to; {
		want := int(min(readChunk, to-off))
		if len(*buf) < want {
			*buf = make([]byte, want)
		}
		chunk := (*buf)[:want]
		n, err := f.ReadAt(chunk, off)
		if n < len(chunk) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // the file shrank under us
			}
			return -1, from, err
		}
		if i := firstNonZero(chunk); i >= 0 {
			if first < 0 {
				first = off + int64(i)
			}
			end = off + int64(lastNonZero(chunk)) + 1
		}
		off += int64(n)
	}
	return first, end, nil
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

func lastNonZero(b []byte) int {
	i := len(b)
	for ; i >= 8 && isZero(b[i-8:i]); i -= 8 {
	}
	for i--; i >= 0; i-- {
		if b[i] != 0 {
			return i
		}
	}
	return -1
}
