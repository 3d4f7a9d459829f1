package wire

import (
	"errors"
	"fmt"
	"io"
)

// Streams. etcd's gateway turns a gRPC stream into newline-delimited JSON:
// each message is written as {"result":<message>} followed by "\n", and an
// error that ends the stream as {"error":{"code":N,"message":"..."}}. The
// request side of /v3/watch is a sequence of request objects in one body.

// AppendStreamResult appends one stream message: {"result":<m>}\n.
func AppendStreamResult(b []byte, m Message) []byte {
	b = append(b, `{"result":`...)
	b = m.AppendJSON(b)
	return append(b, '}', '\n')
}

// AppendStreamError appends the message that ends a stream with an error:
// {"error":{"code":N,"message":"..."}}\n.
func AppendStreamError(b []byte, e *Error) []byte {
	b = append(b, `{"error":`...)
	b = e.AppendJSON(b)
	return append(b, '}', '\n')
}

// envelope is one stream message as read: a result or an error.
type envelope struct {
	result Message
	err    *Error
}

func (e *envelope) AppendJSON(b []byte) []byte {
	if e.err != nil {
		return AppendStreamError(b, e.err)
	}
	return AppendStreamResult(b, e.result)
}

func (e *envelope) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "result":
			if it.field(1) {
				e.result.decodeJSON(d)
			}
		case "error":
			decodeMsg(&it, 2, &e.err)
		default:
			it.skip()
		}
	}
}

// StreamDecoder reads a sequence of JSON values from a reader, one at a time,
// as they arrive: newline-delimited or not, a value may span reads, and
// Decode returns as soon as one whole value is there, without waiting for
// more. A server reads watch requests with it; a client reads watch and
// keepalive responses with DecodeResult.
type StreamDecoder struct {
	r       io.Reader
	buf     []byte
	start   int   // first unread byte of buf
	readErr error // the error the reader returned; io.EOF at the end
	// maxValue bounds one value's bytes (0: no bound).
	maxValue int64
	// last is the length of the value Decode read last.
	last int
}

// NewStreamDecoder returns a decoder reading from r.
func NewStreamDecoder(r io.Reader) *StreamDecoder { return &StreamDecoder{r: r} }

// SetMaxValueBytes bounds the bytes of any one value: a server reading a
// client's stream must not buffer a value of unbounded size. Decode returns
// a *ValueTooLargeError for a value that grows past n bytes, and the stream
// cannot be read further.
func (s *StreamDecoder) SetMaxValueBytes(n int64) { s.maxValue = n }

// LastValueBytes is the length in bytes of the JSON value that Decode read
// last (a server measures requests by it).
func (s *StreamDecoder) LastValueBytes() int { return s.last }

// ValueTooLargeError is a stream value larger than the decoder's bound.
type ValueTooLargeError struct {
	// Size is how much of the value had been read when it was refused: at
	// least the bound plus one.
	Size int64
}

func (e *ValueTooLargeError) Error() string {
	return fmt.Sprintf("stream value larger than the limit (%d bytes read)", e.Size)
}

// Decode reads the next value into m (a zero value). It returns io.EOF after
// the last value, io.ErrUnexpectedEOF if the stream ends inside one, an
// *Error (InvalidArgument, with etcd's words) for a value etcd would refuse,
// or the reader's error.
func (s *StreamDecoder) Decode(m Message) error {
	data, err := s.next()
	if err != nil {
		return err
	}
	d := decoder{data: data}
	m.decodeJSON(&d)
	if d.err != nil {
		return d.err
	}
	return nil
}

// DecodeResult reads the next stream message, {"result":...} into m, or
// {"error":...}, which it returns as an *Error.
func (s *StreamDecoder) DecodeResult(m Message) error {
	env := envelope{result: m}
	if err := s.Decode(&env); err != nil {
		return err
	}
	if env.err != nil {
		return env.err
	}
	return nil
}

// next returns the bytes of the next whole JSON value, reading as needed.
func (s *StreamDecoder) next() ([]byte, error) {
	for {
		for s.start < len(s.buf) && isSpace(s.buf[s.start]) {
			s.start++
		}
		if s.start < len(s.buf) {
			// Find the end of the value by parsing it; if the data ran
			// out first, read more and try again from the start.
			d := decoder{data: s.buf[s.start:]}
			d.skipValue()
			if d.err == nil {
				v := s.buf[s.start : s.start+d.pos]
				s.start += d.pos
				s.last = len(v)
				return v, nil
			}
			if pending := int64(len(s.buf) - s.start); d.truncated && s.maxValue > 0 && pending > s.maxValue {
				s.start, s.readErr = len(s.buf), &ValueTooLargeError{Size: pending}
				return nil, s.readErr
			}
			if !d.truncated || s.readErr != nil {
				if d.truncated && errors.Is(s.readErr, io.EOF) {
					s.start = len(s.buf)
					return nil, io.ErrUnexpectedEOF
				}
				if !d.truncated {
					s.start = len(s.buf) // a syntax error: nothing after it can be trusted
					return nil, d.err
				}
				return nil, s.readErr
			}
		} else if s.readErr != nil {
			return nil, s.readErr
		}
		s.fill()
	}
}

// fill reads more data, first moving the unread bytes to the front.
func (s *StreamDecoder) fill() {
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:])
		s.buf = s.buf[:n]
		s.start = 0
	}
	if cap(s.buf)-len(s.buf) < 512 {
		nb := make([]byte, len(s.buf), 2*cap(s.buf)+4096)
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.readErr = err
	}
}
