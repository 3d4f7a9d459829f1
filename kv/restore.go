package kv

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"

	"github.com/raftkv/raftkv/kv/btree"
)

// Restore replaces the store's whole state with a snapshot written by
// Snapshot. The snapshot is read and checked completely before anything is
// replaced: on error the store is unchanged. Watchers stay registered and read
// what changed between the old and the new state from the new history (or are
// canceled as compacted if it is not there).
func (s *Store) Restore(r io.Reader) error {
	st, err := readSnapshot(r)
	if err != nil {
		return err
	}
	st.bytes = st.measure()
	s.mu.Lock()
	defer s.mu.Unlock()
	oldRev := s.rev
	s.state = *st
	s.hub.restored(oldRev)
	return nil
}

// logEntry is one version that belongs in the revision log.
type logEntry struct {
	rev int64
	sub int32
	key []byte
}

// readSnapshot reads and checks a snapshot. The input is untrusted: every
// invariant the store relies on is checked, so that a damaged snapshot is an
// error here rather than a wrong answer later.
func readSnapshot(r io.Reader) (*state, error) {
	d := &snapReader{r: bufio.NewReaderSize(r, 64<<10)}
	st := &state{index: btree.New[*keyIndex](), leases: map[int64]*lease{}, gen: new(generation)}

	var magic [len(snapshotMagic)]byte
	d.full(magic[:])
	if d.err == nil && string(magic[:]) != snapshotMagic {
		d.fail("not a raftkv snapshot (bad magic %q)", magic[:])
	}
	st.rev, st.compactRev = d.int(), d.int()
	if d.err == nil && (st.rev < 1 || st.compactRev < -1 || st.compactRev > st.rev) {
		d.fail("bad revisions: current %d, compacted %d", st.rev, st.compactRev)
	}
	logFirst := max(st.compactRev, firstWriteRev)
	var entries []logEntry
	type attachment struct {
		key   []byte
		lease int64
	}
	var attached []attachment
	var prevKey []byte
	for n, i := d.uint(), uint64(0); d.err == nil && i < n; i++ {
		ki := d.key(st, prevKey)
		if d.err != nil {
			break
		}
		prevKey = ki.key
		for j := range ki.versions {
			if v := &ki.versions[j]; v.mod >= logFirst {
				entries = append(entries, logEntry{v.mod, v.sub, ki.key})
			}
		}
		if v := ki.latest(); v != nil && v.lease != 0 {
			attached = append(attached, attachment{ki.key, v.lease})
		}
		st.index.Set(ki.key, ki)
	}
	var prevID int64
	for n, i := d.uint(), uint64(0); d.err == nil && i < n; i++ {
		id, ttl := d.int(), d.int()
		if d.err == nil && (id == 0 || (i > 0 && id <= prevID) || ttl < 1 || ttl > MaxLeaseTTL) {
			d.fail("bad lease %d (ttl %d) after lease %d", id, ttl, prevID)
		}
		st.leases[id] = &lease{id: id, ttl: ttl, keys: map[string]struct{}{}}
		prevID = id
	}
	d.trailer()
	if d.err != nil {
		return nil, d.err
	}
	for _, a := range attached {
		l := st.leases[a.lease]
		if l == nil {
			return nil, fmt.Errorf("%w: key %q is attached to lease %d, which the snapshot does not hold", ErrMalformed, a.key, a.lease)
		}
		l.keys[string(a.key)] = struct{}{}
	}
	log, err := rebuildLog(entries, logFirst, st.rev)
	if err != nil {
		return nil, err
	}
	st.log = log
	return st, nil
}

// key reads one key and its history, checking that the key follows prevKey
// and that the versions are well-formed and in order.
func (d *snapReader) key(st *state, prevKey []byte) *keyIndex {
	ki := &keyIndex{key: d.bytes(), gen: st.gen}
	if d.err == nil && (len(ki.key) == 0 || (prevKey != nil && bytes.Compare(ki.key, prevKey) <= 0)) {
		d.fail("key %q out of order after %q", ki.key, prevKey)
	}
	n := d.uint()
	if d.err == nil && n == 0 {
		d.fail("key %q has no versions", ki.key)
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		v := version{mod: d.int()}
		sub := d.uint()
		v.create, v.ver, v.lease, v.value = d.int(), d.int(), d.int(), d.bytes()
		if d.err != nil {
			break
		}
		v.sub = int32(min(sub, math.MaxInt32))
		var last *version
		if i > 0 {
			last = &ki.versions[i-1]
		}
		if !validVersion(&v, sub, last, st.rev) {
			d.fail("key %q: bad version %+v", ki.key, v)
			break
		}
		ki.versions = append(ki.versions, v)
	}
	if d.err == nil && !compacted(ki.versions, st.compactRev) {
		d.fail("key %q keeps history older than the compaction at %d", ki.key, st.compactRev)
	}
	return ki
}

// compacted checks what keyIndex.compact guarantees: at most one version is
// older than the compaction, the key's state then, which is no tombstone and
// is only kept if nothing was written at the compaction revision itself.
func compacted(vs []version, compactRev int64) bool {
	old := 0
	for old < len(vs) && vs[old].mod < compactRev {
		old++
	}
	switch old {
	case 0:
		return true
	case 1:
		return !vs[0].tombstone() && (len(vs) == 1 || vs[1].mod != compactRev)
	}
	return false
}

// validVersion checks one version against the one before it (nil if none).
func validVersion(v *version, sub uint64, last *version, rev int64) bool {
	if v.mod < firstWriteRev || v.mod > rev || sub > math.MaxInt32 {
		return false
	}
	if last != nil && (v.mod < last.mod || (v.mod == last.mod && v.sub <= last.sub)) {
		return false
	}
	switch {
	case v.tombstone():
		return v.create == 0 && v.lease == 0 && len(v.value) == 0
	case last == nil:
		// The oldest version kept may be the middle of a generation whose
		// start was compacted away.
		return v.ver > 0 && v.create >= firstWriteRev && v.create <= v.mod
	case last.tombstone():
		return v.ver == 1 && v.create == v.mod // a new generation
	default:
		return v.ver == last.ver+1 && v.create == last.create
	}
}

// rebuildLog sorts the versions written at or after first into the revision
// log, and checks that the history is complete: every revision from first to
// rev changed at least one key, with positions 0, 1, 2, ... and no gaps.
func rebuildLog(entries []logEntry, first, rev int64) (revLog, error) {
	slices.SortFunc(entries, func(a, b logEntry) int {
		if c := cmp.Compare(a.rev, b.rev); c != 0 {
			return c
		}
		return cmp.Compare(a.sub, b.sub)
	})
	log := newRevLog(first)
	log.keys = make([][]byte, 0, len(entries))
	i := 0
	for r := first; r <= rev; r++ {
		if i == len(entries) || entries[i].rev != r || entries[i].sub != 0 {
			return revLog{}, fmt.Errorf("%w: the history has no change at revision %d", ErrMalformed, r)
		}
		log.startRevision()
		for sub := int32(0); i < len(entries) && entries[i].rev == r; sub++ {
			if entries[i].sub != sub {
				return revLog{}, fmt.Errorf("%w: revision %d has no change number %d", ErrMalformed, r, sub)
			}
			log.addKey(entries[i].key)
			i++
		}
	}
	return log, nil
}

// snapReader decodes the snapshot stream. It remembers the first error, and
// keeps a running CRC of everything it has read (bytes are hashed in batches:
// pend holds those read but not yet hashed).
type snapReader struct {
	r    *bufio.Reader
	crc  uint32
	pend []byte
	off  int64
	err  error
	// readErr is the last error from r seen by ReadByte.
	readErr error
}

func (d *snapReader) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: snapshot byte %d: %s", ErrMalformed, d.off, fmt.Sprintf(format, args...))
	}
}

// ioFail records an error from the underlying reader: running out of input
// is a malformed (truncated) snapshot, anything else is passed on.
func (d *snapReader) ioFail(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		d.fail("truncated")
	} else if d.err == nil {
		d.err = fmt.Errorf("kv: reading snapshot at byte %d: %w", d.off, err)
	}
}

func (d *snapReader) hashPending() {
	d.crc = crc32.Update(d.crc, castagnoli(), d.pend)
	d.pend = d.pend[:0]
}

// ReadByte makes snapReader an io.ByteReader for binary.ReadUvarint.
func (d *snapReader) ReadByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		d.readErr = err
		return 0, err
	}
	d.off++
	d.pend = append(d.pend, b)
	if len(d.pend) >= 4096 {
		d.hashPending()
	}
	return b, nil
}

func (d *snapReader) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d)
	d.varintErr(err)
	return v
}

func (d *snapReader) int() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d)
	d.varintErr(err)
	return v
}

// varintErr sorts out a varint error: the reader's own error, or a varint
// that does not fit in 64 bits.
func (d *snapReader) varintErr(err error) {
	switch {
	case err == nil:
	case d.readErr != nil:
		d.ioFail(d.readErr)
	default:
		d.fail("bad varint: %v", err)
	}
}

// full reads exactly len(p) bytes into p.
func (d *snapReader) full(p []byte) {
	if d.err != nil {
		return
	}
	d.hashPending()
	n, err := io.ReadFull(d.r, p)
	d.off += int64(n)
	if err != nil {
		d.ioFail(err)
		return
	}
	d.crc = crc32.Update(d.crc, castagnoli(), p)
}

// bytes reads a length-prefixed byte string into fresh memory. A forged
// length cannot make it allocate much more than the input really holds:
// beyond a megabyte the buffer grows only as data arrives.
func (d *snapReader) bytes() []byte {
	n := d.uint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n <= 1<<20 {
		p := make([]byte, n)
		d.full(p)
		return p
	}
	d.hashPending()
	var buf bytes.Buffer
	m, err := io.CopyN(&buf, d.r, int64(min(n, math.MaxInt64)))
	d.off += m
	if err != nil {
		d.ioFail(err)
		return nil
	}
	d.crc = crc32.Update(d.crc, castagnoli(), buf.Bytes())
	return buf.Bytes()
}

// trailer checks the CRC and that nothing follows it.
func (d *snapReader) trailer() {
	if d.err != nil {
		return
	}
	d.hashPending()
	want := d.crc
	var sum [4]byte
	if _, err := io.ReadFull(d.r, sum[:]); err != nil {
		d.ioFail(err)
		return
	}
	d.off += 4
	if got := binary.BigEndian.Uint32(sum[:]); got != want {
		d.fail("checksum mismatch: stored %08x, computed %08x", got, want)
		return
	}
	if _, err := d.r.ReadByte(); err != io.EOF {
		d.fail("unexpected data after the checksum")
	}
}
