package kv

import "github.com/raftkv/raftkv/internal/binenc"

// The binary encoding of requests (and, in snapshot.go, of the store) is
// hand-written, so that a reader can see every byte and decoding costs no
// reflection:
//
//   - a top-level value starts with a version byte; a decoder refuses versions
//     it does not know;
//   - signed integers (revisions, lease IDs, TTLs) are zig-zag varints and
//     unsigned ones (counts, lengths, enums) plain varints, so small numbers
//     take one byte;
//   - byte strings are a varint length followed by the bytes; an empty string
//     decodes as nil (protobuf does not tell them apart either);
//   - booleans are packed into one flags byte per message.
//
// Why not encoding/json? A put of a 256-byte value would grow by a third in
// base64 and cost microseconds to decode on every member, for every entry
// replayed from the WAL. Why not protobuf? The runtime has no dependencies.
//
// Decoders treat their input as hostile (a damaged disk, a confused peer):
// they never panic, never allocate more than the input could describe, bound
// the nesting of transactions, and return an error wrapping ErrMalformed.

// encoder and decoder add this format's pieces (flags, enums, counts) to
// the shared byte level (internal/binenc).
type encoder struct{ binenc.Encoder }

func (e *encoder) count(n int)  { e.Uvarint(uint64(n)) }
func (e *encoder) enum(v int32) { e.Uvarint(uint64(uint32(v))) }

// flags packs up to eight booleans into one byte, the first in the lowest bit.
func (e *encoder) flags(bs ...bool) { e.Byte(packFlags(bs...)) }

func packFlags(bs ...bool) (f byte) {
	for i, b := range bs {
		if b {
			f |= 1 << i
		}
	}
	return f
}

// decoder's errors wrap ErrMalformed (newDecoder).
type decoder struct{ binenc.Decoder }

func newDecoder(data []byte) *decoder {
	return &decoder{binenc.Decoder{B: data, Malformed: ErrMalformed}}
}

// flags reads a flags byte into the given booleans; unknown bits are an error.
func (d *decoder) flags(bs ...*bool) {
	f := d.Byte()
	if f>>len(bs) != 0 {
		d.Fail("unknown flags %#x", f)
		return
	}
	for i, b := range bs {
		*b = f&(1<<i) != 0
	}
}

// enum reads an enum value (any int32: validation decides what is allowed).
func (d *decoder) enum() int32 {
	v := d.Uvarint()
	if v > 1<<32-1 {
		d.Fail("enum value %d out of range", v)
		return 0
	}
	return int32(uint32(v))
}
