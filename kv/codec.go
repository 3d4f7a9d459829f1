package kv

import (
	"encoding/binary"
	"fmt"
)

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

// encoder appends to a byte slice; it cannot fail.
type encoder struct{ b []byte }

func (e *encoder) byte(v byte)   { e.b = append(e.b, v) }
func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) count(n int)   { e.uint(uint64(n)) }
func (e *encoder) enum(v int32)  { e.uint(uint64(uint32(v))) }

func (e *encoder) bytes(v []byte) {
	e.uint(uint64(len(v)))
	e.b = append(e.b, v...)
}

// flags packs up to eight booleans into one byte, the first in the lowest bit.
func (e *encoder) flags(bs ...bool) { e.byte(packFlags(bs...)) }

func packFlags(bs ...bool) (f byte) {
	for i, b := range bs {
		if b {
			f |= 1 << i
		}
	}
	return f
}

// decoder reads a byte slice and remembers the first error; after an error
// every read returns a zero value, so callers check err once at the end.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrMalformed, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 1 {
		d.fail("unexpected end of input")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *decoder) uint() uint64 {
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

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// bytes returns a length-prefixed string that aliases the input (nil if empty).
func (d *decoder) bytes() []byte {
	n := d.uint()
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

// count reads an element count and checks that the input can hold that many
// elements of at least minSize bytes, so that a forged count cannot make the
// decoder allocate gigabytes.
func (d *decoder) count(minSize int) int {
	n := d.uint()
	if d.err != nil {
		return 0
	}
	if n > uint64(d.remaining()/minSize) {
		d.fail("count %d exceeds what %d bytes can hold", n, d.remaining())
		return 0
	}
	return int(n)
}

// flags reads a flags byte into the given booleans; unknown bits are an error.
func (d *decoder) flags(bs ...*bool) {
	f := d.byte()
	if f>>len(bs) != 0 {
		d.fail("unknown flags %#x", f)
		return
	}
	for i, b := range bs {
		*b = f&(1<<i) != 0
	}
}

// enum reads an enum value (any int32: validation decides what is allowed).
func (d *decoder) enum() int32 {
	v := d.uint()
	if v > 1<<32-1 {
		d.fail("enum value %d out of range", v)
		return 0
	}
	return int32(uint32(v))
}
