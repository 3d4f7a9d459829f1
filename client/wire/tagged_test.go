package wire

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// The tagged codec is held to the hand-written one: run on the structs of
// the hand-written messages, it must write the same bytes, and read any
// input — valid, wrong in kind, duplicated, cut short — to the same value or
// the same error, in the same words. (The membership and maintenance
// messages were checked so too, hand-written, before they became tagged.) The hand-written codec is itself held
// to etcd's bytes by the golden transcripts, so this ties the tagged codec
// to etcd on every kind of field: strings, bools, 32- and 64-bit integers,
// bytes, enums and lists of them, nested messages and lists of them.

// unmarshalTagged is Unmarshal with the tagged decoder, for any struct.
func unmarshalTagged(data []byte, m any) error {
	start := 0
	for start < len(data) && isSpace(data[start]) {
		start++
	}
	if start == len(data) {
		return nil
	}
	d := decoder{data: data[start:]}
	decodeTagged(&d, m)
	if d.err != nil {
		return d.err
	}
	return nil
}

// jsonPool is a set of values of every kind, some right for some fields
// and wrong for others.
var jsonPool = []string{
	`"Zm9v"`, `"!!"`, `""`, `"5"`, `"-1"`, `"1e3"`, `"2.5"`, `"READ"`, `"DESCEND"`, `"DELETE"`, `"NOSPACE"`, `"x"`,
	`5`, `-1`, `0`, `2.0`, `2.5`, `1e2`, `18446744073709551615`, `-9223372036854775809`, `4294967296`,
	`true`, `false`, `null`, `{}`, `[]`, `["a"]`, `[1]`, `[null]`, `["Zm9v","!!"]`, `{"key":"YQ=="}`, `[{"key":"YQ=="}]`,
	`{"revision":"2"}`, `[{}]`, `"\u00e9"`, `"\ud800"`,
}

// sameCodec checks a hand-written message type against the tagged codec,
// on values of gen (rapid.Make's by default: it cannot make the recursive
// txn messages).
func sameCodec[T any, P interface {
	*T
	Message
}](gen ...*rapid.Generator[T]) func(*rapid.T) {
	if len(gen) == 0 {
		gen = append(gen, rapid.Make[T]())
	}
	return func(t *rapid.T) { checkSameCodec[T, P](t, gen[0]) }
}

func checkSameCodec[T any, P interface {
	*T
	Message
}](t *rapid.T, gen *rapid.Generator[T]) {
	v := P(new(T))
	*v = gen.Draw(t, "value")
	hand := string(v.AppendJSON(nil))
	if tagged := string(appendTagged(nil, v)); tagged != hand {
		t.Fatalf("%T encodes differently:\nhand-written: %s\ntagged:       %s", v, hand, tagged)
	}

	// Valid values of each field, as the hand-written encoder writes them.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(hand), &fields); err != nil {
		t.Fatalf("our own encoding %s: %v", hand, err)
	}
	var names []string
	for _, f := range taggedFields(reflect.TypeFor[T]()) {
		names = append(names, f.name, f.jsonName)
	}
	names = append(names, "bogus")
	sort.Strings(names)
	values := append([]string(nil), jsonPool...)
	for _, raw := range fields {
		values = append(values, string(raw))
	}
	sort.Strings(values)

	var input string
	if rapid.Bool().Draw(t, "own encoding") {
		input = hand
	} else {
		var members []string
		for i, n := 0, rapid.IntRange(0, 5).Draw(t, "members"); i < n; i++ {
			name := rapid.SampledFrom(names).Draw(t, "name")
			value := rapid.SampledFrom(values).Draw(t, "value")
			if raw, ok := fields[name]; ok && rapid.Bool().Draw(t, "its own value") {
				value = string(raw)
			}
			members = append(members, `"`+name+`":`+value)
		}
		input = "{" + strings.Join(members, ",") + "}"
	}
	if rapid.IntRange(0, 4).Draw(t, "cut") == 0 {
		input = input[:rapid.IntRange(0, len(input)).Draw(t, "cut at")]
	}

	fromHand, fromTagged := P(new(T)), P(new(T))
	errHand := Unmarshal([]byte(input), fromHand)
	errTagged := unmarshalTagged([]byte(input), fromTagged)
	if (errHand == nil) != (errTagged == nil) || (errHand != nil && errHand.Error() != errTagged.Error()) {
		t.Fatalf("%T decodes %s differently:\nhand-written: %v\ntagged:       %v", v, input, errHand, errTagged)
	}
	if errHand == nil {
		if diff := cmp.Diff(fromHand, fromTagged); diff != "" {
			t.Fatalf("%T decodes %s differently (-hand-written +tagged):\n%s", v, input, diff)
		}
	}
}

func TestTaggedCodecMatchesHandWritten(t *testing.T) {
	for name, check := range map[string]func(*rapid.T){
		"ResponseHeader":      sameCodec[ResponseHeader](),
		"KeyValue":            sameCodec[KeyValue](),
		"RangeRequest":        sameCodec[RangeRequest](),
		"RangeResponse":       sameCodec[RangeResponse](),
		"PutRequest":          sameCodec[PutRequest](),
		"PutResponse":         sameCodec[PutResponse](),
		"DeleteRangeRequest":  sameCodec[DeleteRangeRequest](),
		"DeleteRangeResponse": sameCodec[DeleteRangeResponse](),
		"RequestOp": sameCodec(rapid.Custom(func(t *rapid.T) RequestOp {
			ops := genRequestOps(2).Filter(func(ops []RequestOp) bool { return len(ops) > 0 }).Draw(t, "ops")
			return ops[0]
		})),
		"TxnRequest": sameCodec(rapid.Custom(func(t *rapid.T) TxnRequest {
			return TxnRequest{Success: genRequestOps(2).Draw(t, "success"), Failure: genRequestOps(1).Draw(t, "failure")}
		})),
		"TxnResponse":             sameCodec(genTxnResponse(2)),
		"CompactionRequest":       sameCodec[CompactionRequest](),
		"HeaderOnly":              sameCodec[HeaderOnly](),
		"WatchRequest":            sameCodec[WatchRequest](),
		"WatchCreateRequest":      sameCodec[WatchCreateRequest](),
		"WatchCancelRequest":      sameCodec[WatchCancelRequest](),
		"WatchResponse":           sameCodec[WatchResponse](),
		"Event":                   sameCodec[Event](),
		"LeaseGrantRequest":       sameCodec[LeaseGrantRequest](),
		"LeaseGrantResponse":      sameCodec[LeaseGrantResponse](),
		"LeaseIDRequest":          sameCodec[LeaseIDRequest](),
		"LeaseTimeToLiveRequest":  sameCodec[LeaseTimeToLiveRequest](),
		"LeaseTimeToLiveResponse": sameCodec[LeaseTimeToLiveResponse](),
		"LeaseKeepAliveResponse":  sameCodec[LeaseKeepAliveResponse](),
		"LeaseLeasesResponse":     sameCodec[LeaseLeasesResponse](),
		"SnapshotResponse":        sameCodec[SnapshotResponse](),
	} {
		t.Run(name, func(t *testing.T) { rapid.Check(t, check) })
	}
}

func genTxnResponse(depth int) *rapid.Generator[TxnResponse] {
	return rapid.Custom(func(t *rapid.T) TxnResponse {
		r := TxnResponse{Header: genHeader().Draw(t, "h"), Succeeded: rapid.Bool().Draw(t, "ok")}
		for i, n := 0, rapid.IntRange(0, 3).Draw(t, "n"); i < n; i++ {
			var op ResponseOp
			switch k := rapid.IntRange(0, 3).Draw(t, "kind"); {
			case k == 0:
				op.ResponseRange = &RangeResponse{Header: genHeader().Draw(t, "h"), Kvs: rapid.SliceOf(genKV()).Draw(t, "kvs")}
			case k == 1:
				op.ResponsePut = &PutResponse{Header: genHeader().Draw(t, "h")}
			case k == 2:
				op.ResponseDeleteRange = &DeleteRangeResponse{Deleted: genInt64().Draw(t, "deleted")}
			case depth > 0:
				sub := genTxnResponse(depth-1).Draw(t, "txn")
				op.ResponseTxn = &sub
			}
			r.Responses = append(r.Responses, op)
		}
		return r
	})
}

// The JSON name of a field is protoc's: what protojson accepts besides the
// proto name, and names in its errors.
func TestLowerCamel(t *testing.T) {
	for proto, want := range map[string]string{
		"key": "key", "range_end": "rangeEnd", "min_mod_revision": "minModRevision", "ID": "ID",
		"hashedPassword": "hashedPassword", "no_password": "noPassword", "cluster_id": "clusterId",
	} {
		if got := lowerCamel(proto); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", proto, got, want)
		}
	}
}
