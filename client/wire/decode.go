package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// How etcd reads a request body, and so how we must: grpc-gateway first
// reads one JSON value with encoding/json's Decoder (a syntax error there is
// reported with encoding/json's words, such as "unexpected EOF"), then hands
// that value to protojson with DiscardUnknown. protojson then:
//
//   - accepts a field under its proto name ("range_end") or its JSON name
//     ("rangeEnd"), ignores unknown fields, and refuses a field given twice;
//   - treats null as "not set", for every field;
//   - takes 64-bit integers as numbers or strings, enums as names or numbers
//     (an unknown name is ignored), bytes as base64 (standard or URL alphabet,
//     with or without padding);
//   - reports a value of the wrong kind as
//     `proto: (line 1:8): invalid value for bytes field key: "foo!"`, where
//     1:8 is the line and column of the value within the JSON value.
//
// decoder does both passes in one: it parses and validates as it decodes, and
// only when something is wrong does it work out which message etcd would have
// given (see fail). A syntax error anywhere wins over a semantic error, as it
// does in etcd, because encoding/json sees the whole value before protojson.

// maxDepth bounds nesting (txn inside txn, or deep unknown values), as both
// encoding/json and protojson do: the decoder recurses, and a hostile body
// must not exhaust the stack.
const maxDepth = 10000

type decoder struct {
	data []byte // one JSON value, from its first byte: error positions count from here
	pos  int

	depth int
	err   *Error // the first error; once set, every method is a no-op
	// truncated is set when the value ended early (the data stopped in the
	// middle). A StreamDecoder then reads more instead of failing.
	truncated bool
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *decoder) ws() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}

// syntaxError records a JSON syntax error at the current position. Its text
// is encoding/json's, computed only now that we know there is an error.
func (d *decoder) syntaxError() {
	if d.err != nil {
		return
	}
	if d.pos >= len(d.data) {
		d.truncated = true
	}
	msg := d.stdSyntaxMessage()
	if msg == "" {
		// encoding/json saw nothing wrong where we did (we should never
		// get here); say what protojson would.
		line, col := d.position(d.pos)
		msg = fmt.Sprintf("proto: syntax error (line %d:%d): unexpected token %s", line, col, d.rawToken(d.pos))
	}
	d.err = &Error{Code: InvalidArgument, Message: msg}
}

// stdSyntaxMessage asks encoding/json what it thinks of the value, exactly as
// grpc-gateway does, and returns its error text ("" if it saw no error).
func (d *decoder) stdSyntaxMessage() string {
	var raw json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(d.data)).Decode(&raw); err != nil {
		return err.Error()
	}
	return ""
}

// fail records protojson's error for a value it refused. If the value has a
// syntax error further on, encoding/json would have reported that first.
func (d *decoder) fail(pos int, syntax bool, format string, args ...any) {
	if d.err != nil {
		return
	}
	if msg := d.stdSyntaxMessage(); msg != "" {
		d.err = &Error{Code: InvalidArgument, Message: msg}
		return
	}
	line, col := d.position(pos)
	kind := ""
	if syntax {
		kind = "syntax error "
	}
	d.err = &Error{Code: InvalidArgument, Message: fmt.Sprintf("proto: %s(line %d:%d): ", kind, line, col) + fmt.Sprintf(format, args...)}
}

// position turns a byte offset into protojson's 1-based line and column
// (the column counts runes, not bytes).
func (d *decoder) position(pos int) (line, col int) {
	b := d.data[:min(pos, len(d.data))]
	line = bytes.Count(b, []byte{'\n'}) + 1
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return line, utf8.RuneCount(b) + 1
}

// rawToken returns the text of the token at pos, as protojson quotes it in
// its messages: a whole string with its quotes, a whole number or literal,
// or a single punctuation character.
func (d *decoder) rawToken(pos int) string {
	if pos >= len(d.data) {
		return ""
	}
	end := pos + 1
	switch c := d.data[pos]; {
	case c == '"':
		for end < len(d.data) && d.data[end] != '"' {
			if d.data[end] == '\\' {
				end++
			}
			end++
		}
		end = min(end+1, len(d.data))
	case c == '-' || c == '+' || c == '.' || isDigit(c) || isLetter(c):
		for end < len(d.data) && (isDigit(d.data[end]) || isLetter(d.data[end]) || bytes.IndexByte([]byte("+-."), d.data[end]) >= 0) {
			end++
		}
	}
	return string(d.data[pos:end])
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func (d *decoder) unexpectedToken(pos int) {
	d.fail(pos, true, "unexpected token %s", d.rawToken(pos))
}

func (d *decoder) invalidValue(pos int, kind, field string) {
	d.fail(pos, false, "invalid value for %s field %s: %s", kind, field, d.rawToken(pos))
}

// peek skips white space and returns the next byte, or records a syntax
// error (the value ended early) and returns 0.
func (d *decoder) peek() byte {
	d.ws()
	if d.pos >= len(d.data) {
		d.syntaxError()
		return 0
	}
	return d.data[d.pos]
}

// enter counts one more level of nesting at the '{' or '[' under d.pos.
// etcd's gateway reads a body with encoding/json before protojson sees it,
// so a value nested too deeply fails there first, in its words.
func (d *decoder) enter() bool {
	d.depth++
	if d.depth > maxDepth {
		if d.err == nil {
			d.err = &Error{Code: InvalidArgument, Message: fmt.Sprintf("invalid character '%c' exceeded max depth", d.data[d.pos])}
		}
		return false
	}
	return true
}

// objIter walks the members of one JSON object:
//
//	it := d.object()
//	for it.next() {
//		switch string(it.name) {
//		case "key":
//			m.Key = it.bytes(1, "key")
//		default:
//			it.skip()
//		}
//	}
//
// A field's reader takes its proto field number (to refuse duplicates, as
// protojson does) and its JSON name (for error messages, as protojson does).
type objIter struct {
	d       *decoder
	name    []byte // the current member's name, unescaped
	namePos int
	seen    uint64 // field numbers seen so far, modulo 64
	open    bool
	first   bool
}

// object expects an object and returns an iterator over its members. If the
// next value is not an object, the error is protojson's "unexpected token".
func (d *decoder) object() objIter {
	it := objIter{d: d}
	if d.err != nil {
		return it
	}
	c := d.peek()
	if d.err != nil {
		return it
	}
	if c != '{' {
		d.unexpectedToken(d.pos)
		return it
	}
	if !d.enter() {
		return it
	}
	d.pos++
	it.open, it.first = true, true
	return it
}

// next moves to the next member whose value is not null and leaves the
// decoder at its value, which the caller must consume (a reader or skip).
func (it *objIter) next() bool {
	d := it.d
	for it.open && d.err == nil {
		c := d.peek()
		if d.err != nil {
			return false
		}
		if c == '}' {
			d.pos++
			d.depth--
			it.open = false
			return false
		}
		if it.first {
			it.first = false
		} else {
			if c != ',' {
				d.syntaxError()
				return false
			}
			d.pos++
			if c = d.peek(); d.err != nil {
				return false
			}
		}
		if c != '"' {
			d.syntaxError()
			return false
		}
		it.namePos = d.pos
		name, ok := d.readString()
		if !ok {
			return false
		}
		if d.peek() != ':' {
			d.syntaxError()
			return false
		}
		d.pos++
		// null means "not set" in protojson, whatever the field's type.
		if c := d.peek(); c == 'n' {
			d.literal("null")
			continue
		}
		it.name = name
		return d.err == nil
	}
	return false
}

// skip consumes the value of an unknown field (it must still be valid JSON).
func (it *objIter) skip() { it.d.skipValue() }

// field marks field number num as seen and reports whether its value should
// be decoded; a second occurrence is protojson's "duplicate field" error.
func (it *objIter) field(num int) bool {
	bit := uint64(1) << (num & 63)
	if it.seen&bit != 0 {
		it.d.fail(it.namePos, false, "duplicate field %s", it.d.rawToken(it.namePos))
		return false
	}
	it.seen |= bit
	return it.d.err == nil
}

// arrIter walks the elements of one JSON array, like objIter.
type arrIter struct {
	d     *decoder
	open  bool
	first bool
}

func (d *decoder) array() arrIter {
	a := arrIter{d: d}
	if d.err != nil {
		return a
	}
	c := d.peek()
	if d.err != nil {
		return a
	}
	if c != '[' {
		d.unexpectedToken(d.pos)
		return a
	}
	if !d.enter() {
		return a
	}
	d.pos++
	a.open, a.first = true, true
	return a
}

func (a *arrIter) next() bool {
	d := a.d
	if !a.open || d.err != nil {
		return false
	}
	c := d.peek()
	if d.err != nil {
		return false
	}
	if c == ']' {
		d.pos++
		d.depth--
		a.open = false
		return false
	}
	if a.first {
		a.first = false
		return true
	}
	if c != ',' {
		d.syntaxError()
		return false
	}
	d.pos++
	d.peek()
	return d.err == nil
}

// skipValue consumes one value of any kind, checking its syntax.
func (d *decoder) skipValue() {
	switch c := d.peek(); {
	case d.err != nil:
	case c == '{':
		it := d.object()
		for it.next() {
			d.skipValue()
		}
	case c == '[':
		a := d.array()
		for a.next() {
			d.skipValue()
		}
	case c == '"':
		d.readString()
	case c == '-' || isDigit(c):
		d.readNumber()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	default:
		d.syntaxError()
	}
}

func (d *decoder) literal(lit string) {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		// Find where it goes wrong, so that a truncated "tru" at the end of
		// a stream is told apart from a wrong "trux".
		for i := 0; i < len(lit); i++ {
			if d.pos >= len(d.data) || d.data[d.pos] != lit[i] {
				d.syntaxError()
				return
			}
			d.pos++
		}
	}
	d.pos += len(lit)
}

// readNumber consumes a JSON number and returns its text.
// Grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) readNumber() []byte {
	start := d.pos
	data := d.data
	i := d.pos
	if i < len(data) && data[i] == '-' {
		i++
	}
	digits := func() bool {
		n := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		return i > n
	}
	bad := func() []byte {
		d.pos = i
		d.syntaxError()
		return nil
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digits():
		return bad()
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			return bad()
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			return bad()
		}
	}
	d.pos = i
	return data[start:i]
}

// readString consumes a JSON string and returns its contents, unescaped.
// Without escapes (the common case: base64 never has any) the result aliases
// the input and nothing is allocated.
func (d *decoder) readString() ([]byte, bool) {
	start := d.pos
	data := d.data
	end := bytes.IndexByte(data[start+1:], '"')
	if end < 0 {
		end = len(data)
	} else {
		end += start + 1
	}
	ascii := true
	for i := start + 1; i < end; i++ {
		switch c := data[i]; {
		case c == '\\':
			return d.readEscapedString(start)
		case c < 0x20:
			d.pos = i
			d.syntaxError()
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if end == len(data) {
		d.pos = end
		d.syntaxError()
		return nil, false
	}
	s := data[start+1 : end]
	d.pos = end + 1
	if !ascii && !utf8.Valid(s) {
		d.fail(start, true, "invalid UTF-8 in string")
		return nil, false
	}
	return s, true
}

func (d *decoder) readEscapedString(start int) ([]byte, bool) {
	data := d.data
	out := make([]byte, 0, 32)
	for i := start + 1; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				d.pos = i + 1
				d.fail(start, true, "invalid UTF-8 in string")
				return nil, false
			}
			d.pos = i + 1
			return out, true
		case c < 0x20:
			d.pos = i
			d.syntaxError()
			return nil, false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(data) {
			d.pos = len(data)
			d.syntaxError()
			return nil, false
		}
		switch e := data[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(data, i+2)
			if !ok {
				d.pos = min(i+6, len(data))
				d.syntaxError()
				return nil, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(data, i+2); ok && i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			d.pos = i + 1
			d.syntaxError()
			return nil, false
		}
		i += 2
	}
	d.pos = len(data)
	d.syntaxError()
	return nil, false
}

func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			r = r<<4 | rune(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
