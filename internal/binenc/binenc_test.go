package binenc

import (
	"errors"
	"math"
	"strings"
	"testing"
)

var errTest = errors.New("test: malformed")

func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Byte(7)
	e.Uvarint(math.MaxUint64)
	e.Varint(math.MinInt64)
	e.Bytes([]byte("hello"))
	e.Bytes(nil)
	e.Uvarint(2) // a count of two one-byte elements
	e.Byte(1)
	e.Byte(2)
	d := Decoder{B: e.B, Malformed: errTest}
	if d.Byte() != 7 || d.Uvarint() != math.MaxUint64 || d.Varint() != math.MinInt64 ||
		string(d.Bytes()) != "hello" || d.Bytes() != nil || d.Count(1) != 2 || d.Byte() != 1 || d.Byte() != 2 {
		t.Fatalf("round trip failed: %v", d.Err)
	}
	if d.Err != nil || d.Remaining() != 0 {
		t.Fatalf("err %v, %d bytes left", d.Err, d.Remaining())
	}
}

// Hostile input: an error that wraps the format's own and names the byte,
// and no length or count the input could not hold.
func TestHostileInput(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		read func(*Decoder)
		want string
	}{
		"empty":           {nil, func(d *Decoder) { d.Byte() }, "at byte 0: unexpected end of input"},
		"cut varint":      {[]byte{0x80}, func(d *Decoder) { d.Uvarint() }, "bad varint"},
		"length too long": {[]byte{5, 'a'}, func(d *Decoder) { d.Bytes() }, "length 5 exceeds the 1 bytes left"},
		"forged count":    {[]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2}, func(d *Decoder) { d.Count(1) }, "exceeds what 2 bytes can hold"},
		"first error wins": {[]byte{}, func(d *Decoder) {
			d.Byte()
			d.Uvarint()
		}, "unexpected end of input"},
	} {
		d := Decoder{B: tc.in, Malformed: errTest}
		tc.read(&d)
		if !errors.Is(d.Err, errTest) || !strings.Contains(d.Err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error wrapping %v saying %q", name, d.Err, errTest, tc.want)
		}
		if d.Byte() != 0 || d.Uvarint() != 0 || d.Bytes() != nil {
			t.Errorf("%s: reads after an error must return zero", name)
		}
	}
}
