package snapshot

import (
	"bytes"
	"testing"
)

// FuzzParseHeader: the header decoder never panics, and accepts only what
// the encoder would have written.
func FuzzParseHeader(f *testing.F) {
	m := meta(10, 2)
	enc, _ := m.AppendBinary(nil)
	good := appendHeader(nil, enc, 12345, 0xdeadbeef)
	f.Add(good)
	f.Add(good[:fixedHeaderSize])
	f.Add(append(bytes.Clone(good), 1, 2, 3))
	f.Add(make([]byte, fixedHeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			return
		}
		enc, _ := h.meta.AppendBinary(nil)
		again := appendHeader(nil, enc, h.payloadLen, h.payloadCRC)
		if h.size != len(again) || !bytes.Equal(again, b[:h.size]) {
			t.Fatalf("accepted header re-encodes differently:\n%x\n%x", again, b[:min(len(b), h.size)])
		}
	})
}
