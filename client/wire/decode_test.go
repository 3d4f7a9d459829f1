package wire

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Lenient where etcd is lenient: every body here was accepted by etcd (the
// transcript) or is accepted by protojson with DiscardUnknown, which etcd's
// gateway uses.
func TestDecodeLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		got  Message
		want Message
	}{
		{"empty body is {}", "", &PutRequest{}, &PutRequest{}},
		{"white space body is {}", " \n\t", &RangeRequest{}, &RangeRequest{}},
		{"int64 as string", `{"key":"Zm9v","lease":"4400297100864262"}`, &PutRequest{},
			&PutRequest{Key: []byte("foo"), Lease: 4400297100864262}},
		{"int64 as number", `{"key":"Zm9v","lease":4400297100864262}`, &PutRequest{},
			&PutRequest{Key: []byte("foo"), Lease: 4400297100864262}},
		{"integral float and exponent", `{"revision":2.0,"limit":"1e1","min_mod_revision":-0}`, &RangeRequest{},
			&RangeRequest{Revision: 2, Limit: 10}},
		{"int64 extremes", `{"revision":"9223372036854775807","limit":-9223372036854775808}`, &RangeRequest{},
			&RangeRequest{Revision: 9223372036854775807, Limit: -9223372036854775808}},
		{"enum names", `{"sort_order":"DESCEND","sort_target":"MOD"}`, &RangeRequest{},
			&RangeRequest{SortOrder: SortDescend, SortTarget: SortByModRevision}},
		{"enum numbers", `{"sort_order":2,"sort_target":3}`, &RangeRequest{},
			&RangeRequest{SortOrder: SortDescend, SortTarget: SortByModRevision}},
		{"unknown enum name ignored", `{"sort_order":"SIDEWAYS","limit":1}`, &RangeRequest{},
			&RangeRequest{Limit: 1}},
		{"unknown fields ignored", `{"key":"Zm9v","bogus":{"a":[1,2.5e3,{"b":null}],"c":"\u00e9"},"x":true}`, &RangeRequest{},
			&RangeRequest{Key: []byte("foo")}},
		{"JSON names as well as proto names", `{"key":"AA==","rangeEnd":"AA==","keysOnly":true,"countOnly":true,"sortOrder":"ASCEND"}`, &RangeRequest{},
			&RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, KeysOnly: true, CountOnly: true, SortOrder: SortAscend}},
		{"null is not set", `{"key":null,"limit":null,"serializable":null,"sort_order":null}`, &RangeRequest{}, &RangeRequest{}},
		{"base64 without padding", `{"key":"Zm9vYg"}`, &PutRequest{}, &PutRequest{Key: []byte("foob")}},
		{"base64 URL alphabet", `{"key":"-_8="}`, &PutRequest{}, &PutRequest{Key: []byte{0xfb, 0xff}}},
		{"escapes in strings", `{"k\u0065y":"Zm9\u0076","value":"YmF\/"}`, &PutRequest{},
			&PutRequest{Key: []byte("foo"), Value: []byte{0x62, 0x61, 0x7f}}},
		{"only the first value counts", `{"key":"Zm9v"} {"key":"YmFy"} garbage`, &PutRequest{}, &PutRequest{Key: []byte("foo")}},
		{"white space everywhere", "\n{ \"key\" :\t\"Zm9v\" ,\r\n\"prev_kv\" : true }\n", &PutRequest{},
			&PutRequest{Key: []byte("foo"), PrevKV: true}},
		{"filters: names, numbers, unknown names dropped", `{"create_request":{"key":"YQ==","filters":["NODELETE","BOGUS",0]}}`, &WatchRequest{},
			&WatchRequest{CreateRequest: &WatchCreateRequest{Key: []byte("a"), Filters: []FilterType{FilterNoDelete, FilterNoPut}}}},
		{"empty progress request", `{"progress_request":{}}`, &WatchRequest{}, &WatchRequest{ProgressRequest: &Empty{}}},
		{"cancel with watch id as string", `{"cancel_request":{"watch_id":"1"}}`, &WatchRequest{},
			&WatchRequest{CancelRequest: &WatchCancelRequest{WatchID: 1}}},
		{"txn with nested txn", `{"compare":[{"key":"dHg=","target":"VERSION","result":"EQUAL","version":0}],"success":[{"request_txn":{"success":[{"request_range":{"key":"Zm9v"}}]}}]}`, &TxnRequest{},
			&TxnRequest{
				Compare: []Compare{{Key: []byte("tx"), Target: CompareVersion, Result: CompareEqual}},
				Success: []RequestOp{{RequestTxn: &TxnRequest{Success: []RequestOp{{RequestRange: &RangeRequest{Key: []byte("foo")}}}}}},
			}},
		{"uint32 as string", `{"hash":"475782709"}`, &HashResponse{}, &HashResponse{Hash: 475782709}},
		{"member ids as uint64", `{"ID":"18446744073709551615","peerURLs":["http://a:2380"]}`, &MemberUpdateRequest{},
			&MemberUpdateRequest{ID: 18446744073709551615, PeerURLs: []string{"http://a:2380"}}},
		{"grant", `{"TTL":60,"ID":"1234"}`, &LeaseGrantRequest{}, &LeaseGrantRequest{TTL: 60, ID: 1234}},
		{"alarm", `{"action":"GET"}`, &AlarmRequest{}, &AlarmRequest{Action: AlarmGet}},
		{"UTF-8 string", `{"name":"nœud-1","ID":1}`, &Member{}, &Member{ID: 1, Name: "nœud-1"}},
		{"surrogate pair", `{"name":"\ud83d\ude00"}`, &Member{}, &Member{Name: "😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Unmarshal([]byte(tt.body), tt.got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("Unmarshal(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

// Strict where etcd is strict, and in etcd's words: encoding/json's for a
// syntax error, protojson's for a value it refuses.
func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name string
		body string
		msg  Message
		want string
	}{
		{"bad base64 (the transcript's example)", `{"key":"foo!"}`, &PutRequest{},
			`proto: (line 1:8): invalid value for bytes field key: "foo!"`},
		{"bad base64 in a JSON-named field", `{"key":"Zm9v","rangeEnd":"a"}`, &RangeRequest{},
			`proto: (line 1:26): invalid value for bytes field rangeEnd: "a"`},
		{"number for bytes", `{"key":5}`, &PutRequest{}, `proto: (line 1:8): invalid value for bytes field key: 5`},
		{"bool for bytes", `{"value":true}`, &PutRequest{}, `proto: (line 1:10): invalid value for bytes field value: true`},
		{"object for bytes", `{"key":{"a":1}}`, &PutRequest{}, `proto: (line 1:8): invalid value for bytes field key: {`},
		{"truncated", `{"key":`, &PutRequest{}, `unexpected EOF`},
		{"truncated after a value", `{"key":"Zm9v"`, &PutRequest{}, `unexpected EOF`},
		{"truncated inside a string", `{"key":"Zm9`, &PutRequest{}, `unexpected EOF`},
		{"missing value", `{"key":}`, &PutRequest{}, `invalid character '}' looking for beginning of value`},
		{"missing comma", `{"key":"Zm9v" "value":"YmFy"}`, &PutRequest{}, `invalid character '"' after object key:value pair`},
		{"trailing comma", `{"key":"Zm9v",}`, &PutRequest{}, `invalid character '}' looking for beginning of object key string`},
		{"single quotes", `{'key':1}`, &PutRequest{}, `invalid character '\'' looking for beginning of object key string`},
		{"syntax error wins over an earlier bad value", `{"key":"foo!","value":]}`, &PutRequest{},
			`invalid character ']' looking for beginning of value`},
		{"not an object", `[]`, &PutRequest{}, `proto: syntax error (line 1:1): unexpected token [`},
		{"a number", `42`, &PutRequest{}, `proto: syntax error (line 1:1): unexpected token 42`},
		{"null body", `null`, &PutRequest{}, `proto: syntax error (line 1:1): unexpected token null`},
		{"int64 not a number", `{"lease":"abc"}`, &PutRequest{}, `proto: (line 1:10): invalid value for int64 field lease: "abc"`},
		{"int64 with a fraction", `{"limit":1.5}`, &RangeRequest{}, `proto: (line 1:10): invalid value for int64 field limit: 1.5`},
		{"int64 overflow", `{"limit":9223372036854775808}`, &RangeRequest{},
			`proto: (line 1:10): invalid value for int64 field limit: 9223372036854775808`},
		{"int64 string with spaces", `{"revision":" 2"}`, &RangeRequest{}, `proto: (line 1:13): invalid value for int64 field revision: " 2"`},
		{"uint64 negative", `{"ID":-1}`, &MemberRemoveRequest{}, `proto: (line 1:7): invalid value for uint64 field ID: -1`},
		{"bool as string", `{"prev_kv":"true"}`, &PutRequest{}, `proto: (line 1:12): invalid value for bool field prevKv: "true"`},
		{"enum as bool", `{"sort_order":true}`, &RangeRequest{}, `proto: (line 1:15): invalid value for enum field sortOrder: true`},
		{"string as number", `{"name":5}`, &Member{}, `proto: (line 1:9): invalid value for string field name: 5`},
		{"duplicate field", `{"key":"Zm9v","key":"YmFy"}`, &PutRequest{}, `proto: (line 1:15): duplicate field "key"`},
		{"duplicate field under both names", `{"prev_kv":true,"prevKv":true}`, &PutRequest{}, `proto: (line 1:17): duplicate field "prevKv"`},
		{"message as number", `{"header":5}`, &PutResponse{}, `proto: syntax error (line 1:11): unexpected token 5`},
		{"list as object", `{"compare":{}}`, &TxnRequest{}, `proto: syntax error (line 1:12): unexpected token {`},
		{"null inside a list of messages", `{"compare":[null]}`, &TxnRequest{}, `proto: syntax error (line 1:13): unexpected token null`},
		{"bad value deep inside a txn", `{"success":[{"request_put":{"key":"Zm9v","value":"@"}}]}`, &TxnRequest{},
			`proto: (line 1:50): invalid value for bytes field value: "@"`},
		{"line and column", "{\n  \"key\": \"foo!\"\n}", &PutRequest{}, `proto: (line 2:10): invalid value for bytes field key: "foo!"`},
		{"column counts runes", `{"x":"ééé","key":"foo!"}`, &PutRequest{}, `proto: (line 1:18): invalid value for bytes field key: "foo!"`},
		{"invalid UTF-8", "{\"name\":\"a\xffb\"}", &Member{}, `proto: syntax error (line 1:9): invalid UTF-8 in string`},
		{"control character in a string", "{\"name\":\"a\nb\"}", &Member{}, `invalid character '\n' in string literal`},
		{"bad escape", `{"name":"\x41"}`, &Member{}, `invalid character 'x' in string escape code`},
		{"bad literal", `{"prev_kv":tru}`, &PutRequest{}, `invalid character '}' in literal true (expecting 'e')`},
		{"bad number", `{"limit":01}`, &RangeRequest{}, `invalid character '1' after object key:value pair`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Unmarshal([]byte(tt.body), tt.msg)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Unmarshal(%s) = %v, want an *Error", tt.body, err)
			}
			if e.Code != InvalidArgument || e.HTTPStatus() != 400 {
				t.Errorf("code %v (HTTP %d), want InvalidArgument (400)", e.Code, e.HTTPStatus())
			}
			if e.Message != tt.want {
				t.Errorf("Unmarshal(%s):\n got %s\nwant %s", tt.body, e.Message, tt.want)
			}
		})
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	deep := `{"success":[` + strings.Repeat(`{"request_txn":{"success":[`, 6000) + strings.Repeat(`]}}`, 6000) + `]}`
	// etcd's answers to these bodies (encoding/json's limit, met before
	// protojson's).
	err := Unmarshal([]byte(deep), &TxnRequest{})
	if err == nil || err.Error() != "invalid character '[' exceeded max depth" {
		t.Fatalf("err = %v, want the nesting limit", err)
	}
	unknown := `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	if err := Unmarshal([]byte(unknown), &PutRequest{}); err == nil || err.Error() != "invalid character '[' exceeded max depth" {
		t.Fatalf("20000 nested arrays: err = %v", err)
	}
}

// A watch body holds several requests; a StreamDecoder must hand each one
// out as soon as it is complete, whatever the reads' boundaries.
func TestStreamDecoderSplitsAnywhere(t *testing.T) {
	body := "{\"create_request\":{\"key\":\"bXVsdGlB\"}}\n{\"create_request\":{\"key\":\"bXVsdGlC\"}}\n{\"progress_request\":{}}\n{\"cancel_request\":{\"watch_id\":\"1\"}}"
	want := []WatchRequest{
		{CreateRequest: &WatchCreateRequest{Key: []byte("multiA")}},
		{CreateRequest: &WatchCreateRequest{Key: []byte("multiB")}},
		{ProgressRequest: &Empty{}},
		{CancelRequest: &WatchCancelRequest{WatchID: 1}},
	}
	for chunk := 1; chunk <= len(body); chunk++ {
		sd := NewStreamDecoder(&chunkReader{data: []byte(body), chunk: chunk})
		var got []WatchRequest
		for {
			var m WatchRequest
			err := sd.Decode(&m)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			got = append(got, m)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("chunk %d (-want +got):\n%s", chunk, diff)
		}
	}
}

func TestStreamDecoderErrors(t *testing.T) {
	sd := NewStreamDecoder(strings.NewReader(`{"create_request":{"key":"YQ=="}} {"create_req`))
	var m WatchRequest
	if err := sd.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if err := sd.Decode(&m); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated stream: %v, want io.ErrUnexpectedEOF", err)
	}
	sd = NewStreamDecoder(strings.NewReader(`{"create_request":{"key":"!"}}`))
	if err := sd.Decode(&WatchRequest{}); err == nil || err.Error() != `proto: (line 1:26): invalid value for bytes field key: "!"` {
		t.Fatalf("bad base64 in stream: %v", err)
	}
	sd = NewStreamDecoder(strings.NewReader(`{"a" 1}`))
	if err := sd.Decode(&WatchRequest{}); err == nil || !strings.Contains(err.Error(), "invalid character") {
		t.Fatalf("syntax error in stream: %v", err)
	}
	// An {"error":...} message is returned as the *Error it carries.
	sd = NewStreamDecoder(strings.NewReader(`{"error":{"code":14,"message":"etcdserver: no leader"}}` + "\n"))
	err := sd.DecodeResult(&WatchResponse{})
	if !errors.Is(err, ErrNoLeader) {
		t.Fatalf("stream error = %v, want ErrNoLeader", err)
	}
}

type chunkReader struct {
	data  []byte
	chunk int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(r.chunk, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}
