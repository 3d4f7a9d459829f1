package wire

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// The encoder is a handful of append functions, one per kind of field, that
// write protojson's output exactly (UseProtoNames, zero values omitted):
//
//   - 64-bit integers as quoted decimal strings ("revision":"2"): JavaScript
//     numbers lose precision past 2^53, so the proto3 JSON mapping quotes them;
//   - 32-bit integers as bare numbers ("hash":475782709);
//   - bytes as standard base64 with padding;
//   - enums by name;
//   - a field equal to its zero value is not written at all.
//
// Every message writes its fields in proto field-number order, which is the
// order etcd's gateway uses, so that our bytes equal etcd's bytes.
//
// Commas: a field starts with a comma unless it is the first of its object,
// and the first field of an object is exactly the one written right after
// '{'. So appendField looks at the last byte instead of carrying state: no
// value a field can have ends in '{'.

func appendField(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

func appendInt64(b []byte, name string, v int64) []byte {
	if v == 0 {
		return b
	}
	b = appendField(b, name)
	b = append(b, '"')
	b = strconv.AppendInt(b, v, 10)
	return append(b, '"')
}

func appendUint64(b []byte, name string, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendField(b, name)
	b = append(b, '"')
	b = strconv.AppendUint(b, v, 10)
	return append(b, '"')
}

// appendInt32 and appendUint32 write bare numbers: only 64-bit integers
// are quoted.
func appendInt32(b []byte, name string, v int32) []byte {
	if v == 0 {
		return b
	}
	b = appendField(b, name)
	return strconv.AppendInt(b, int64(v), 10)
}

func appendUint32(b []byte, name string, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = appendField(b, name)
	return strconv.AppendUint(b, uint64(v), 10)
}

func appendBool(b []byte, name string, v bool) []byte {
	if !v {
		return b
	}
	b = appendField(b, name)
	return append(b, "true"...)
}

func appendBytes(b []byte, name string, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendField(b, name)
	return appendBase64(b, v)
}

func appendBase64(b []byte, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

func appendString(b []byte, name string, v string) []byte {
	if v == "" {
		return b
	}
	b = appendField(b, name)
	return appendQuoted(b, v)
}

// appendEnum writes an enum by name, or by number if it has no name (a value
// from a newer peer). The first value, 0, is the zero value: not written.
func appendEnum(b []byte, name string, v int32, names []string) []byte {
	if v == 0 {
		return b
	}
	return appendEnumValue(appendField(b, name), v, names)
}

// appendEnumValue writes one enum value: its name, or its number if it has
// no name.
func appendEnumValue(b []byte, v int32, names []string) []byte {
	if v >= 0 && int(v) < len(names) {
		b = append(b, '"')
		b = append(b, names[v]...)
		return append(b, '"')
	}
	return strconv.AppendInt(b, int64(v), 10)
}

// appendQuoted writes a JSON string the way protojson does: only '"', '\\'
// and control characters are escaped (so '<' and '&' stay as they are,
// unlike encoding/json). protojson refuses to encode invalid UTF-8; an
// encoder that cannot fail is more useful to a server, so we write U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonAppender is what every wire message is, for the generic helpers below.
type jsonAppender[T any] interface {
	*T
	AppendJSON([]byte) []byte
}

// appendMsg writes a message field. A nil pointer is an absent field; a
// non-nil pointer to an empty message is written as {} — etcd writes
// "header":{} for a nested txn and "downgradeInfo":{} in a status.
func appendMsg[T any, P jsonAppender[T]](b []byte, name string, m *T) []byte {
	if m == nil {
		return b
	}
	b = appendField(b, name)
	return P(m).AppendJSON(b)
}

// appendList writes a repeated message field; an empty list is not written.
func appendList[T any, P jsonAppender[T]](b []byte, name string, list []T) []byte {
	if len(list) == 0 {
		return b
	}
	b = appendField(b, name)
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = P(&list[i]).AppendJSON(b)
	}
	return append(b, ']')
}

func appendBytesList(b []byte, name string, list [][]byte) []byte {
	if len(list) == 0 {
		return b
	}
	b = appendField(b, name)
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBase64(b, v)
	}
	return append(b, ']')
}
