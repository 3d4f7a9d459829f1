package binenc

import (
	"encoding/binary"
	"fmt"
)

// Encoder appends to B; it cannot fail.
type Encoder struct{ B []byte }

func (e *Encoder) Byte(v byte)      { e.B = append(e.B, v) }
func (e *Encoder) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }
func (e *Encoder) Varint(v int64)   { e.B = binary.AppendVarint(e.B, v) }

// Bytes writes a length-prefixed byte string.
func (e *Encoder) Bytes(v []byte) {
	e.Uvarint(uint64(len(v)))
	e.B = append(e.B, v...)
}

// Decoder reads B from Off. Every error wraps Malformed (the format's own
// error value) and says at which byte it was found.
type Decoder struct {
	B         []byte
	Off       int
	Err       error
	Malformed error
}

// Fail records the first error; later ones would only describe its fallout.
func (d *Decoder) Fail(format string, args ...any) {
	if d.Err == nil {
		d.Err = fmt.Errorf("%w: at byte %d: %s", d.Malformed, d.Off, fmt.Sprintf(format, args...))
	}
}

// Remaining is how many bytes are left to read.
func (d *Decoder) Remaining() int { return len(d.B) - d.Off }

func (d *Decoder) Byte() byte {
	if d.Err != nil {
		return 0
	}
	if d.Remaining() < 1 {
		d.Fail("unexpected end of input")
		return 0
	}
	d.Off++
	return d.B[d.Off-1]
}

func (d *Decoder) Uvarint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B[d.Off:])
	if n <= 0 {
		d.Fail("bad varint")
		return 0
	}
	d.Off += n
	return v
}

func (d *Decoder) Varint() int64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Varint(d.B[d.Off:])
	if n <= 0 {
		d.Fail("bad varint")
		return 0
	}
	d.Off += n
	return v
}

// Bytes returns a length-prefixed byte string that aliases the input, or nil
// when the length is zero (so that a round trip of nil stays nil).
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if d.Err != nil {
		return nil
	}
	if n > uint64(d.Remaining()) {
		d.Fail("length %d exceeds the %d bytes left", n, d.Remaining())
		return nil
	}
	if n == 0 {
		return nil
	}
	v := d.B[d.Off : d.Off+int(n) : d.Off+int(n)]
	d.Off += int(n)
	return v
}

// Count reads an element count and checks that the input can hold that many
// elements of at least minSize bytes each.
func (d *Decoder) Count(minSize int) int {
	n := d.Uvarint()
	if d.Err != nil {
		return 0
	}
	if n > uint64(d.Remaining()/minSize) {
		d.Fail("count %d exceeds what %d bytes can hold", n, d.Remaining())
		return 0
	}
	return int(n)
}
