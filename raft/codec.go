package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The binary encoding of raft's types is shared by the WAL (entries, hard
// state, snapshot metadata on disk) and the transport (messages on the wire).
// It is hand-written so that a reader can see every byte:
//
//   - every top-level value starts with one version byte (codecVersion);
//     a decoder refuses versions it does not know instead of guessing;
//   - integers are unsigned varints (encoding/binary's Uvarint), so small
//     numbers — most terms, types and flags — cost one byte;
//   - byte strings are a varint length followed by the bytes;
//   - nested values (the entries of a message) carry no version byte of their own.
//
// Decoders treat their input as hostile: it may come from a damaged disk or a
// confused peer. They never panic, never allocate more than the input could
// possibly describe, and return ErrCodec with the reason. Decoded byte slices
// (Entry.Data, Snapshot.Data, Context) alias the input buffer: the caller must
// not reuse that buffer while the decoded value lives.

// codecVersion is the version byte written before every top-level value.
const codecVersion byte = 1

// ErrCodec is wrapped by every decoding error.
var ErrCodec = errors.New("raft: malformed encoding")

// encoder appends to a byte slice; it cannot fail.
type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) byte(v byte)      { e.b = append(e.b, v) }
func (e *encoder) bytes(v []byte) {
	e.uvarint(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *encoder) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// decoder consumes a byte slice and remembers the first error; once an error
// is set every read returns zero, so callers check err once at the end.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrCodec, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 1 {
		d.fail("unexpected end")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad bool")
	return false
}

// bytes returns a length-prefixed byte string aliasing the input, or nil when
// the length is zero (so that a round trip of nil stays nil).
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(d.remaining()) {
		d.fail("length %d exceeds the %d bytes left", n, d.remaining())
		return nil
	}
	if n == 0 {
		return nil
	}
	v := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return v
}

// count reads a element count and checks that the input could hold that many
// elements of at least minSize bytes each, so a forged count cannot make the
// decoder allocate gigabytes.
func (d *decoder) count(minSize int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(d.remaining()/minSize) {
		d.fail("count %d exceeds what %d bytes can hold", n, d.remaining())
		return 0
	}
	return int(n)
}

func (d *decoder) version() {
	if v := d.byte(); d.err == nil && v != codecVersion {
		d.fail("unknown encoding version %d", v)
	}
}

func (d *decoder) finish() error {
	if d.err == nil && d.remaining() != 0 {
		d.fail("%d trailing bytes", d.remaining())
	}
	return d.err
}

// --- Entry ---

func (e *encoder) entry(x *Entry) {
	e.uvarint(x.Term)
	e.uvarint(x.Index)
	e.byte(byte(x.Type))
	e.bytes(x.Data)
}

// minEntrySize is the smallest possible encoded entry: four one-byte fields.
const minEntrySize = 4

func (d *decoder) entry() Entry {
	var x Entry
	x.Term = d.uvarint()
	x.Index = d.uvarint()
	x.Type = EntryType(d.byte())
	if d.err == nil && x.Type != EntryNormal && x.Type != EntryConfChange {
		d.fail("unknown entry type %d", x.Type)
	}
	x.Data = d.bytes()
	return x
}

// AppendBinary appends the encoding of x to b (encoding.BinaryAppender).
func (x *Entry) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{b}
	e.byte(codecVersion)
	e.entry(x)
	return e.b, nil
}

// UnmarshalBinary decodes an entry; x.Data aliases b.
func (x *Entry) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	v := d.entry()
	if err := d.finish(); err != nil {
		return err
	}
	*x = v
	return nil
}

// EncodedSize is the number of bytes an entry's payload accounts for when
// raft limits the size of a message or of a batch of committed entries.
func (x *Entry) EncodedSize() int { return len(x.Data) + 16 }

// --- HardState ---

// AppendBinary appends the encoding of h to b.
func (h *HardState) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{b}
	e.byte(codecVersion)
	e.uvarint(h.Term)
	e.uvarint(h.Vote)
	e.uvarint(h.Commit)
	return e.b, nil
}

// UnmarshalBinary decodes a hard state.
func (h *HardState) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	v := HardState{Term: d.uvarint(), Vote: d.uvarint(), Commit: d.uvarint()}
	if err := d.finish(); err != nil {
		return err
	}
	*h = v
	return nil
}

// --- ConfState, SnapshotMeta, Snapshot ---

func (e *encoder) ids(ids []uint64) {
	e.uvarint(uint64(len(ids)))
	for _, id := range ids {
		e.uvarint(id)
	}
}

func (d *decoder) ids() []uint64 {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = d.uvarint()
	}
	return ids
}

func (e *encoder) confState(c *ConfState) {
	e.ids(c.Voters)
	e.ids(c.Learners)
}

func (d *decoder) confState() ConfState {
	return ConfState{Voters: d.ids(), Learners: d.ids()}
}

func (e *encoder) snapshotMeta(m *SnapshotMeta) {
	e.uvarint(m.Index)
	e.uvarint(m.Term)
	e.confState(&m.ConfState)
}

func (d *decoder) snapshotMeta() SnapshotMeta {
	return SnapshotMeta{Index: d.uvarint(), Term: d.uvarint(), ConfState: d.confState()}
}

// AppendBinary appends the encoding of c to b.
func (c *ConfState) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{b}
	e.byte(codecVersion)
	e.confState(c)
	return e.b, nil
}

// UnmarshalBinary decodes a configuration.
func (c *ConfState) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	v := d.confState()
	if err := d.finish(); err != nil {
		return err
	}
	*c = v
	return nil
}

// AppendBinary appends the encoding of m to b.
func (m *SnapshotMeta) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{b}
	e.byte(codecVersion)
	e.snapshotMeta(m)
	return e.b, nil
}

// UnmarshalBinary decodes snapshot metadata.
func (m *SnapshotMeta) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	v := d.snapshotMeta()
	if err := d.finish(); err != nil {
		return err
	}
	*m = v
	return nil
}

// --- ConfChange ---

// AppendBinary appends the encoding of c to b.
func (c *ConfChange) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{b}
	e.byte(codecVersion)
	e.byte(byte(c.Type))
	e.uvarint(c.NodeID)
	e.bytes(c.Context)
	return e.b, nil
}

// UnmarshalBinary decodes a configuration change; c.Context aliases b.
func (c *ConfChange) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	v := ConfChange{Type: ConfChangeType(d.byte()), NodeID: d.uvarint(), Context: d.bytes()}
	if d.err == nil && v.Type > ConfChangeRemove {
		d.fail("unknown conf change type %d", v.Type)
	}
	if err := d.finish(); err != nil {
		return err
	}
	*c = v
	return nil
}

// --- Message ---

// AppendBinary appends the encoding of m to b.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{b}
	e.byte(codecVersion)
	e.byte(byte(m.Type))
	e.uvarint(m.From)
	e.uvarint(m.To)
	e.uvarint(m.Term)
	e.uvarint(m.LogTerm)
	e.uvarint(m.Index)
	e.uvarint(m.Commit)
	e.bool(m.Reject)
	e.uvarint(m.RejectHint)
	e.uvarint(m.ReadRound)
	e.uvarint(uint64(len(m.Entries)))
	for i := range m.Entries {
		e.entry(&m.Entries[i])
	}
	e.bytes(m.Context)
	e.bool(m.Snapshot != nil)
	if m.Snapshot != nil {
		e.snapshotMeta(&m.Snapshot.Meta)
		e.bytes(m.Snapshot.Data)
	}
	return e.b, nil
}

// UnmarshalBinary decodes a message; its byte slices alias b.
func (m *Message) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	var v Message
	v.Type = MessageType(d.byte())
	if d.err == nil && v.Type >= numMessageTypes {
		d.fail("unknown message type %d", v.Type)
	}
	v.From = d.uvarint()
	v.To = d.uvarint()
	v.Term = d.uvarint()
	v.LogTerm = d.uvarint()
	v.Index = d.uvarint()
	v.Commit = d.uvarint()
	v.Reject = d.bool()
	v.RejectHint = d.uvarint()
	v.ReadRound = d.uvarint()
	if n := d.count(minEntrySize); n > 0 {
		v.Entries = make([]Entry, n)
		for i := range v.Entries {
			v.Entries[i] = d.entry()
		}
	}
	v.Context = d.bytes()
	if d.bool() {
		v.Snapshot = &Snapshot{Meta: d.snapshotMeta(), Data: d.bytes()}
	}
	if err := d.finish(); err != nil {
		return err
	}
	*m = v
	return nil
}
