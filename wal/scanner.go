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
				return s.tornUnlessFollowed(reason)
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
		return s.tornUnlessFollowed(err)
	}
	// The padding is left out: it is zero in every record, torn or not.
	n := int(min(uint32(maxPayload), binary.LittleEndian.Uint32(s.buf[s.lo:])))
	span := s.buf[s.lo:min(s.hi, s.lo+headerSize+n)]
	if hasZeroSector(span, s.pos) {
		return s.tornUnlessFollowed(fmt.Errorf("%w, and a sector it spans is all zeros", err))
	}
	return &CorruptError{Path: s.path, Offset: s.pos, Err: err}
}

// tornUnlessFollowed reports the damaged record at pos as a torn tail —
// unless a write that completed follows it. A flipped bit can make a
// record look torn (a length now running past the end of the file, a
// record one of whose sectors holds only zero bytes of data), and cutting
// there would drop the acknowledged records after it: the member-level
// simulator found exactly that (sim seed 18).
//
// What tells the two apart is what a crash can and cannot do: it can only
// damage writes whose sync had not completed. Every Save with entries
// syncs before the next write begins, and so does every snapshot marker
// and segment cut; only hard-state-only Saves skip the sync. So if, after
// the damage, the log shows entries followed by a hard state (the end of
// their Save, or a later write) and then anything at all — or a marker
// followed by anything — that write's sync completed, which made
// everything before it durable: the damage is corruption. The damaged
// record itself counts, if the record after it proves it was written
// whole. Damage in the last write with entries, or in hard states just
// before it, stays indistinguishable from a tear and is cut like one.
func (s *scanner) tornUnlessFollowed(reason error) error {
	synced, err := s.completedWriteAfter(s.pos)
	if err != nil {
		return err
	}
	if synced >= 0 {
		return &CorruptError{Path: s.path, Offset: s.pos, Err: fmt.Errorf("%w; yet a write that was synced follows it (ends at offset %d)", reason, synced)}
	}
	return &tornTail{Offset: s.pos, Reason: reason}
}

// completedWriteAfter reads the records that provably follow the damaged
// record at from and returns where a synced write ends among them, or -1.
//
// A record is proven by the CRC chain: it validates with the CRC of the
// record before it as its seed. The record right after the damaged one
// chains from the damaged one's CRC — the stored one, or the one its bytes
// would give if the stored CRC is what was hit — and may be anywhere, if
// the damaged length is what was hit. Failing that, any two chained records
// further on start a proven run. Bytes that were never written as records
// pass that test with odds of 2^-32.
func (s *scanner) completedWriteAfter(from int64) (int64, error) {
	// Read up to where the data ends: the first stretch of zeros as long
	// as a read chunk, in practice the preallocated space.
	var b []byte
	for off := from; off < s.size; {
		n := int(min(readChunk, s.size-off))
		b = append(b, make([]byte, n)...)
		chunk := b[len(b)-n:]
		if _, err := s.f.ReadAt(chunk, off); err != nil && err != io.EOF {
			return -1, fmt.Errorf("wal: read %s: %w", s.path, err)
		}
		if isZero(chunk) {
			b = b[:len(b)-n]
			break
		}
		off += int64(n)
	}
	if len(b) < headerSize {
		return -1, nil
	}
	// A proven run: the types of consecutive chained records, and where
	// each ends.
	var types []RecordType
	var ends []int
	follow := func(at int, seed uint32) {
		for at+headerSize <= len(b) {
			r, err := decodeRecord(b[at:], seed)
			if err != nil {
				return
			}
			types, ends = append(types, r.typ), append(ends, at+r.size)
			at, seed = at+r.size, r.crc
		}
	}
	seeds := []uint32{binary.LittleEndian.Uint32(b[8:12])}
	if n := int64(binary.LittleEndian.Uint32(b[0:4])); headerSize+n <= int64(len(b)) {
		crc := crc32.Update(s.crc, castagnoli, b[:8])
		seeds = append(seeds, crc32.Update(crc, castagnoli, b[headerSize:headerSize+n]))
	}
	for q := 8; q+headerSize <= len(b) && types == nil; q += 8 {
		for _, seed := range seeds {
			if _, err := decodeRecord(b[q:], seed); err == nil {
				// The damaged record was written whole: it is part of the run.
				types, ends = append(types, RecordType(b[4])), append(ends, q)
				follow(q, seed)
				break
			}
		}
	}
	for p := 8; p+headerSize <= len(b) && types == nil; p += 8 {
		h := b[p:]
		if h[5]|h[6]|h[7] != 0 || RecordType(h[4]) < RecordCRC || RecordType(h[4]) > RecordSnapshot {
			continue
		}
		n := binary.LittleEndian.Uint32(h[0:4])
		if n > maxPayload || p+frameSize(int(n))+headerSize > len(b) {
			continue
		}
		if _, err := decodeRecord(b[p+frameSize(int(n)):], binary.LittleEndian.Uint32(h[8:12])); err == nil {
			types, ends = append(types, RecordType(h[4])), append(ends, p+frameSize(int(n)))
			follow(p+frameSize(int(n)), binary.LittleEndian.Uint32(h[8:12]))
		}
	}
	// A write that must have synced (entries, then the hard state that
	// ends their Save; or a marker, a write of its own), then anything at
	// all: a later write, so that sync completed.
	const (
		none = iota
		entries
		completed
	)
	state := none
	for i, t := range types {
		if state == completed {
			return from + int64(ends[i-1]), nil
		}
		switch t {
		case RecordEntries:
			state = entries
		case RecordHardState:
			if state == entries {
				state = completed
			}
		default:
			state = completed
		}
	}
	return -1, nil
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
