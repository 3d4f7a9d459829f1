package wire

import "encoding/base64"

// The readers of one field's value each, by kind: bytes, integers, bools,
// strings, enums, messages and lists. On a value of the wrong kind they
// consume it (so the syntax check goes on, see decode.go) and record
// protojson's "invalid value" error.

func (it *objIter) bytes(num int, name string) []byte {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return nil
	}
	v, _ := d.base64Value(name)
	return v
}

// base64Value reads one base64 string (etcd's JSON for protobuf bytes) as
// the value of the field name; ok is false, and the error recorded, when
// the value is not a string or not base64.
func (d *decoder) base64Value(name string) (v []byte, ok bool) {
	pos := d.pos
	if d.data[pos] != '"' {
		d.skipValue()
		d.invalidValue(pos, "bytes", name)
		return nil, false
	}
	s, ok := d.readString()
	if !ok {
		return nil, false
	}
	if v, ok = decodeBase64(s); !ok {
		d.invalidValue(pos, "bytes", name)
		return nil, false
	}
	return v, true
}

// decodeBase64 accepts what protojson accepts: the standard or the URL-safe
// alphabet (chosen by the presence of '-' or '_'), padded or not.
func decodeBase64(s []byte) ([]byte, bool) {
	if len(s) == 0 {
		return nil, true
	}
	enc := base64.StdEncoding
	for _, c := range s {
		if c == '-' || c == '_' {
			enc = base64.URLEncoding
			break
		}
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// integer reads a value that protojson would take as an integer: a JSON
// number, or a string holding one; parse decides what fits.
func integer[T int32 | int64 | uint32 | uint64](it *objIter, num int, kind, name string, parse func([]byte) (T, bool)) T {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return 0
	}
	pos := d.pos
	var s []byte
	switch c := d.data[pos]; {
	case c == '"':
		s, _ = d.readString()
	case c == '-' || isDigit(c):
		s = d.readNumber()
	default:
		d.skipValue()
		d.invalidValue(pos, kind, name)
		return 0
	}
	if d.err != nil {
		return 0
	}
	v, ok := parse(s)
	if !ok {
		d.invalidValue(pos, kind, name)
	}
	return v
}

func (it *objIter) int64(num int, name string) int64 {
	return integer(it, num, "int64", name, func(s []byte) (int64, bool) { return parseInt(s, 64) })
}

func (it *objIter) int32(num int, name string) int32 {
	return integer(it, num, "int32", name, func(s []byte) (int32, bool) { v, ok := parseInt(s, 32); return int32(v), ok })
}

func (it *objIter) uint64(num int, name string) uint64 {
	return integer(it, num, "uint64", name, func(s []byte) (uint64, bool) { return parseUint(s, 64) })
}

func (it *objIter) uint32(num int, name string) uint32 {
	return integer(it, num, "uint32", name, func(s []byte) (uint32, bool) { v, ok := parseUint(s, 32); return uint32(v), ok })
}

// bool takes only the literals true and false: protojson refuses "true".
func (it *objIter) bool(num int, name string) bool {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return false
	}
	pos := d.pos
	switch d.data[pos] {
	case 't':
		d.literal("true")
		return d.err == nil
	case 'f':
		d.literal("false")
		return false
	}
	d.skipValue()
	d.invalidValue(pos, "bool", name)
	return false
}

func (it *objIter) string(num int, name string) string {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return ""
	}
	pos := d.pos
	if d.data[pos] != '"' {
		d.skipValue()
		d.invalidValue(pos, "string", name)
		return ""
	}
	s, _ := d.readString()
	return string(s)
}

// enum takes a name or a number. An unknown name is ignored (the field keeps
// its zero value), as etcd's gateway does with DiscardUnknown.
func (it *objIter) enum(num int, name string, names []string) int32 {
	if !it.field(num) {
		it.d.skipValue()
		return 0
	}
	v, _ := it.d.enumValue(name, names)
	return v
}

// enumValue decodes one enum value; ok is false for an unknown name.
func (d *decoder) enumValue(name string, names []string) (int32, bool) {
	pos := d.pos
	switch c := d.data[pos]; {
	case c == '"':
		s, ok := d.readString()
		if !ok {
			return 0, false
		}
		for i, n := range names {
			if string(s) == n {
				return int32(i), true
			}
		}
		return 0, false
	case c == '-' || isDigit(c):
		s := d.readNumber()
		if s == nil {
			return 0, false
		}
		v, ok := parseInt(s, 32)
		if !ok {
			d.invalidValue(pos, "enum", name)
		}
		return int32(v), ok
	}
	d.skipValue()
	d.invalidValue(pos, "enum", name)
	return 0, false
}

// jsonDecoder is what every wire message is, for the generic helpers below.
type jsonDecoder[T any] interface {
	*T
	decodeJSON(*decoder)
}

// decodeMsg decodes a message field into a new value.
func decodeMsg[T any, P jsonDecoder[T]](it *objIter, num int, dst **T) {
	if !it.field(num) {
		it.d.skipValue()
		return
	}
	m := new(T)
	P(m).decodeJSON(it.d)
	*dst = m
}

// decodeList decodes a repeated message field, appending to dst.
func decodeList[T any, P jsonDecoder[T]](it *objIter, num int, dst *[]T) {
	if !it.field(num) {
		it.d.skipValue()
		return
	}
	a := it.d.array()
	for a.next() {
		var m T
		P(&m).decodeJSON(it.d)
		*dst = append(*dst, m)
	}
}

func (it *objIter) bytesList(num int, name string) [][]byte {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return nil
	}
	var out [][]byte
	a := d.array()
	for a.next() {
		v, ok := d.base64Value(name)
		if !ok {
			return nil
		}
		if v == nil {
			v = []byte{}
		}
		out = append(out, v)
	}
	return out
}

func (it *objIter) stringList(num int, name string) []string {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return nil
	}
	var out []string
	a := d.array()
	for a.next() {
		pos := d.pos
		if d.data[pos] != '"' {
			d.skipValue()
			d.invalidValue(pos, "string", name)
			return nil
		}
		s, _ := d.readString()
		out = append(out, string(s))
	}
	return out
}

func (it *objIter) enumList(num int, name string, names []string) []int32 {
	d := it.d
	if !it.field(num) {
		d.skipValue()
		return nil
	}
	var out []int32
	a := d.array()
	for a.next() {
		// An unknown name is dropped from the list, as protojson does.
		if v, ok := d.enumValue(name, names); ok {
			out = append(out, v)
		}
	}
	return out
}
