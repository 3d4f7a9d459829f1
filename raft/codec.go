package raft

import (
	"errors"

	"github.com/raftkv/raftkv/internal/binenc"
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

// encoder and decoder add this format's pieces (booleans, the version
// byte) to the shared byte level (internal/binenc).
type encoder struct{ binenc.Encoder }

func (e *encoder) bool(v bool) {
	if v {
		e.Byte(1)
	} else {
		e.Byte(0)
	}
}

// decoder's errors wrap ErrCodec (newDecoder).
type decoder struct{ binenc.Decoder }

func newDecoder(data []byte) *decoder {
	return &decoder{binenc.Decoder{B: data, Malformed: ErrCodec}}
}

func (d *decoder) bool() bool {
	switch d.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.Fail("bad bool")
	return false
}

func (d *decoder) version() {
	if v := d.Byte(); d.Err == nil && v != codecVersion {
		d.Fail("unknown encoding version %d", v)
	}
}

func (d *decoder) finish() error {
	if d.Err == nil && d.Remaining() != 0 {
		d.Fail("%d trailing bytes", d.Remaining())
	}
	return d.Err
}

// --- Entry ---

func (e *encoder) entry(x *Entry) {
	e.Uvarint(x.Term)
	e.Uvarint(x.Index)
	e.Byte(byte(x.Type))
	e.Bytes(x.Data)
}

// minEntrySize is the smallest possible encoded entry: four one-byte fields.
const minEntrySize = 4

func (d *decoder) entry() Entry {
	var x Entry
	x.Term = d.Uvarint()
	x.Index = d.Uvarint()
	x.Type = EntryType(d.Byte())
	if d.Err == nil && x.Type != EntryNormal && x.Type != EntryConfChange {
		d.Fail("unknown entry type %d", x.Type)
	}
	x.Data = d.Bytes()
	return x
}

// AppendBinary appends the encoding of x to b (encoding.BinaryAppender).
func (x *Entry) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{binenc.Encoder{B: b}}
	e.Byte(codecVersion)
	e.entry(x)
	return e.B, nil
}

// UnmarshalBinary decodes an entry; x.Data aliases b.
func (x *Entry) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
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
	e := encoder{binenc.Encoder{B: b}}
	e.Byte(codecVersion)
	e.Uvarint(h.Term)
	e.Uvarint(h.Vote)
	e.Uvarint(h.Commit)
	return e.B, nil
}

// UnmarshalBinary decodes a hard state.
func (h *HardState) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.version()
	v := HardState{Term: d.Uvarint(), Vote: d.Uvarint(), Commit: d.Uvarint()}
	if err := d.finish(); err != nil {
		return err
	}
	*h = v
	return nil
}

// --- ConfState, SnapshotMeta, Snapshot ---

func (e *encoder) ids(ids []uint64) {
	e.Uvarint(uint64(len(ids)))
	for _, id := range ids {
		e.Uvarint(id)
	}
}

func (d *decoder) ids() []uint64 {
	n := d.Count(1)
	if n == 0 {
		return nil
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = d.Uvarint()
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
	e.Uvarint(m.Index)
	e.Uvarint(m.Term)
	e.confState(&m.ConfState)
}

func (d *decoder) snapshotMeta() SnapshotMeta {
	return SnapshotMeta{Index: d.Uvarint(), Term: d.Uvarint(), ConfState: d.confState()}
}

// AppendBinary appends the encoding of c to b.
func (c *ConfState) AppendBinary(b []byte) ([]byte, error) {
	e := encoder{binenc.Encoder{B: b}}
	e.Byte(codecVersion)
	e.confState(c)
	return e.B, nil
}

// UnmarshalBinary decodes a configuration.
func (c *ConfState) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
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
	e := encoder{binenc.Encoder{B: b}}
	e.Byte(codecVersion)
	e.snapshotMeta(m)
	return e.B, nil
}

// UnmarshalBinary decodes snapshot metadata.
func (m *SnapshotMeta) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
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
	e := encoder{binenc.Encoder{B: b}}
	e.Byte(codecVersion)
	e.Byte(byte(c.Type))
	e.Uvarint(c.NodeID)
	e.Bytes(c.Context)
	return e.B, nil
}

// UnmarshalBinary decodes a configuration change; c.Context aliases b.
func (c *ConfChange) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.version()
	v := ConfChange{Type: ConfChangeType(d.Byte()), NodeID: d.Uvarint(), Context: d.Bytes()}
	if d.Err == nil && v.Type > ConfChangeRemove {
		d.Fail("unknown conf change type %d", v.Type)
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
	e := encoder{binenc.Encoder{B: b}}
	e.Byte(codecVersion)
	e.Byte(byte(m.Type))
	e.Uvarint(m.From)
	e.Uvarint(m.To)
	e.Uvarint(m.Term)
	e.Uvarint(m.LogTerm)
	e.Uvarint(m.Index)
	e.Uvarint(m.Commit)
	e.bool(m.Reject)
	e.Uvarint(m.RejectHint)
	e.Uvarint(m.ReadRound)
	e.Uvarint(uint64(len(m.Entries)))
	for i := range m.Entries {
		e.entry(&m.Entries[i])
	}
	e.Bytes(m.Context)
	e.bool(m.Snapshot != nil)
	if m.Snapshot != nil {
		e.snapshotMeta(&m.Snapshot.Meta)
		e.Bytes(m.Snapshot.Data)
	}
	return e.B, nil
}

// UnmarshalBinary decodes a message; its byte slices alias b.
func (m *Message) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.version()
	var v Message
	v.Type = MessageType(d.Byte())
	if d.Err == nil && v.Type >= numMessageTypes {
		d.Fail("unknown message type %d", v.Type)
	}
	v.From = d.Uvarint()
	v.To = d.Uvarint()
	v.Term = d.Uvarint()
	v.LogTerm = d.Uvarint()
	v.Index = d.Uvarint()
	v.Commit = d.Uvarint()
	v.Reject = d.bool()
	v.RejectHint = d.Uvarint()
	v.ReadRound = d.Uvarint()
	if n := d.Count(minEntrySize); n > 0 {
		v.Entries = make([]Entry, n)
		for i := range v.Entries {
			v.Entries[i] = d.entry()
		}
	}
	v.Context = d.Bytes()
	if d.bool() {
		v.Snapshot = &Snapshot{Meta: d.snapshotMeta(), Data: d.Bytes()}
	}
	if err := d.finish(); err != nil {
		return err
	}
	*m = v
	return nil
}
