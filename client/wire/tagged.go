package wire

import (
	"fmt"
	"reflect"
	"strings"
)

// The tagged codec: a message described by its struct and nothing else.
//
// A hand-written message (kv.go, watch.go, ...) spells each field four
// times: in its struct tag, in its encoder, and twice in its decoder (the
// proto name and the JSON name). On the hot paths that is the price of
// speed: no reflection, no allocation. The cold messages — the auth API, a
// handful of calls in a cluster's life — are encoded by appendTagged and
// decoded by decodeTagged instead, which read the struct, so that a field
// is spelled once, in its tag:
//
//	type AuthUserGrantRoleRequest struct {
//		User string `json:"user,omitempty"`
//		Role string `json:"role,omitempty"`
//	}
//
//	func (m *AuthUserGrantRoleRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
//	func (m *AuthUserGrantRoleRequest) decodeJSON(d *decoder)       { decodeTagged(d, m) }
//
// What the codec takes from each field:
//
//   - its proto name: the name in its json tag (the same tag gives
//     etcdctl's -w json through encoding/json);
//   - its JSON name, which protojson accepts too and uses in its error
//     messages: the proto name in lowerCamelCase, as protoc derives it
//     (range_end: rangeEnd);
//   - its proto kind, from its Go type: string, bool, int32, uint32, int64
//     and uint64 (the 64-bit ones quoted), []byte (base64), an enum type
//     (one with an enumNames method: written by name), *M or []M for a
//     Message M, []string, [][]byte, or a list of an enum;
//   - its field number: its position in the struct, so the fields must be
//     declared in the proto's order, which is the order protojson writes.
//
// The rules are the hand-written codec's, through the same helpers
// (encode.go, decode.go): zero values left out, a message written as {}
// once set, null as "not set", unknown fields ignored, a field given twice
// refused, errors in protojson's words. tagged_test.go holds the two codecs
// to the same bytes and the same errors on the hand-written messages.
//
// A struct's layout is read again at every call rather than cached: a cache
// would be package-level mutable state, and these messages are cold.

// enum is an enum type: its value names, indexed by value.
type enum interface{ enumNames() []string }

// taggedField is one field of a tagged message.
type taggedField struct {
	index    int    // in the struct; index+1 is its field number
	name     string // the proto name: written, and accepted on input
	jsonName string // accepted on input too, and named in errors
}

// taggedFields reads a tagged message's fields. A field without a json tag
// is a mistake in this package, not bad input: it panics, at the first
// test that touches the message.
func taggedFields(t reflect.Type) []taggedField {
	fields := make([]taggedField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			panic(fmt.Sprintf("wire: %s.%s has no json tag: a tagged message names each field by its proto name", t.Name(), f.Name))
		}
		fields = append(fields, taggedField{index: i, name: name, jsonName: lowerCamel(name)})
	}
	return fields
}

// lowerCamel is protoc's JSON name for a field: every underscore dropped
// and the letter after it upper-cased (range_end: rangeEnd, ID: ID).
func lowerCamel(name string) string {
	if !strings.Contains(name, "_") {
		return name
	}
	var b strings.Builder
	up := false
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '_':
			up = true
		case up && 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
			up = false
		default:
			b.WriteByte(c)
			up = false
		}
	}
	return b.String()
}

func isEnum(t reflect.Type) bool { return t.Implements(reflect.TypeFor[enum]()) }

// enumNamesOf returns an enum type's names.
func enumNamesOf(t reflect.Type) []string { return reflect.Zero(t).Interface().(enum).enumNames() }

// isMessage reports whether *T is a Message, for a field *T or []T.
func isMessage(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[Message]())
}

// appendTagged appends the JSON of m, a pointer to a tagged message.
func appendTagged(b []byte, m any) []byte {
	v := reflect.ValueOf(m).Elem()
	b = append(b, '{')
	for _, f := range taggedFields(v.Type()) {
		b = appendTaggedField(b, f.name, v.Field(f.index))
	}
	return append(b, '}')
}

func appendTaggedField(b []byte, name string, v reflect.Value) []byte {
	t := v.Type()
	if isEnum(t) {
		return appendEnum(b, name, int32(v.Int()), enumNamesOf(t))
	}
	switch t.Kind() {
	case reflect.String:
		return appendString(b, name, v.String())
	case reflect.Bool:
		return appendBool(b, name, v.Bool())
	case reflect.Int32:
		return appendInt32(b, name, int32(v.Int()))
	case reflect.Uint32:
		return appendUint32(b, name, uint32(v.Uint()))
	case reflect.Int64:
		return appendInt64(b, name, v.Int())
	case reflect.Uint64:
		return appendUint64(b, name, v.Uint())
	case reflect.Pointer:
		if isMessage(t.Elem()) {
			if v.IsNil() {
				return b
			}
			return v.Interface().(Message).AppendJSON(appendField(b, name))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return appendBytes(b, name, v.Bytes())
		}
		if v.Len() == 0 {
			return b
		}
		b = append(appendField(b, name), '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTaggedElem(b, v.Index(i))
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("wire: field %s: type %s has no proto JSON mapping", name, t))
}

// appendTaggedElem appends one element of a list field.
func appendTaggedElem(b []byte, v reflect.Value) []byte {
	t := v.Type()
	switch {
	case isEnum(t):
		return appendEnumValue(b, int32(v.Int()), enumNamesOf(t))
	case t.Kind() == reflect.String:
		return appendQuoted(b, v.String())
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return appendBase64(b, v.Bytes())
	case isMessage(t):
		return v.Addr().Interface().(Message).AppendJSON(b)
	}
	panic(fmt.Sprintf("wire: list element type %s has no proto JSON mapping", t))
}

// decodeTagged decodes one JSON object into m, a pointer to a tagged
// message.
func decodeTagged(d *decoder, m any) {
	v := reflect.ValueOf(m).Elem()
	fields := taggedFields(v.Type())
	it := d.object()
	for it.next() {
		f := findTaggedField(fields, it.name)
		if f == nil {
			it.skip()
			continue
		}
		decodeTaggedField(&it, f.index+1, f.jsonName, v.Field(f.index))
	}
}

// findTaggedField finds the field a JSON member names, by its proto name or
// its JSON name, as protojson does.
func findTaggedField(fields []taggedField, name []byte) *taggedField {
	for i := range fields {
		if string(name) == fields[i].name || string(name) == fields[i].jsonName {
			return &fields[i]
		}
	}
	return nil
}

func decodeTaggedField(it *objIter, num int, name string, v reflect.Value) {
	t := v.Type()
	if isEnum(t) {
		v.SetInt(int64(it.enum(num, name, enumNamesOf(t))))
		return
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(it.string(num, name))
		return
	case reflect.Bool:
		v.SetBool(it.bool(num, name))
		return
	case reflect.Int32:
		v.SetInt(int64(it.int32(num, name)))
		return
	case reflect.Uint32:
		v.SetUint(uint64(it.uint32(num, name)))
		return
	case reflect.Int64:
		v.SetInt(it.int64(num, name))
		return
	case reflect.Uint64:
		v.SetUint(it.uint64(num, name))
		return
	case reflect.Pointer:
		if isMessage(t.Elem()) {
			if !it.field(num) {
				it.d.skipValue()
				return
			}
			p := reflect.New(t.Elem())
			p.Interface().(Message).decodeJSON(it.d)
			v.Set(p)
			return
		}
	case reflect.Slice:
		if decodeTaggedList(it, num, name, v) {
			return
		}
	}
	panic(fmt.Sprintf("wire: field %s: type %s has no proto JSON mapping", name, t))
}

// decodeTaggedList decodes a bytes field or a list field; false if the
// field's type is not one the codec knows.
func decodeTaggedList(it *objIter, num int, name string, v reflect.Value) bool {
	elem := v.Type().Elem()
	switch {
	case elem.Kind() == reflect.Uint8:
		v.SetBytes(it.bytes(num, name))
	case isEnum(elem):
		if list := it.enumList(num, name, enumNamesOf(elem)); len(list) > 0 {
			out := reflect.MakeSlice(v.Type(), len(list), len(list))
			for i, x := range list {
				out.Index(i).SetInt(int64(x))
			}
			v.Set(out)
		}
	case elem.Kind() == reflect.String:
		v.Set(reflect.ValueOf(it.stringList(num, name)).Convert(v.Type()))
	case elem.Kind() == reflect.Slice && elem.Elem().Kind() == reflect.Uint8:
		v.Set(reflect.ValueOf(it.bytesList(num, name)).Convert(v.Type()))
	case isMessage(elem):
		if !it.field(num) {
			it.d.skipValue()
			return true
		}
		a := it.d.array()
		for a.next() {
			e := reflect.New(elem)
			e.Interface().(Message).decodeJSON(it.d)
			v.Set(reflect.Append(v, e.Elem()))
		}
	default:
		return false
	}
	return true
}
