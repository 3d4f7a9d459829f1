package wire

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// The server's hot paths: decode a put or range request, encode its answer;
// and the client's: the other way round. Sizes follow the benchmark of
// etcd-baseline.md: 8-byte keys, 256-byte values.

func benchPutBody() []byte {
	return []byte(`{"key":"` + base64.StdEncoding.EncodeToString([]byte("00000042")) +
		`","value":"` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("v"), 256)) + `"}`)
}

func benchHeader() *ResponseHeader {
	return &ResponseHeader{ClusterID: 517954968061422042, MemberID: 7893081582330183695, Revision: 123456, RaftTerm: 2}
}

func benchRangeResponse() *RangeResponse {
	r := &RangeResponse{Header: benchHeader(), Count: 3}
	for i := 0; i < 3; i++ {
		r.Kvs = append(r.Kvs, KeyValue{Key: []byte("0000004" + string(rune('0'+i))), CreateRevision: 1000 + int64(i),
			ModRevision: 120000 + int64(i), Version: 7, Value: bytes.Repeat([]byte("v"), 256)})
	}
	return r
}

func BenchmarkPutRequestDecode(b *testing.B) {
	body := benchPutBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m PutRequest
		if err := Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutRequestEncode(b *testing.B) {
	m := &PutRequest{Key: []byte("00000042"), Value: bytes.Repeat([]byte("v"), 256)}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendJSON(buf[:0])
	}
}

func BenchmarkPutResponseEncode(b *testing.B) {
	m := &PutResponse{Header: benchHeader()}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendJSON(buf[:0])
	}
}

func BenchmarkPutResponseDecode(b *testing.B) {
	body := Marshal(&PutResponse{Header: benchHeader()})
	b.ReportAllocs()
	for b.Loop() {
		var m PutResponse
		if err := Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRangeRequestDecode(b *testing.B) {
	body := []byte(`{"key":"cmFuZ2VrZXk=","serializable":true}`)
	b.ReportAllocs()
	for b.Loop() {
		var m RangeRequest
		if err := Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRangeResponseEncode3KVs(b *testing.B) {
	m := benchRangeResponse()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkRangeResponseDecode3KVs(b *testing.B) {
	body := Marshal(benchRangeResponse())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m RangeResponse
		if err := Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWatchResponseEncode(b *testing.B) {
	kv := benchRangeResponse().Kvs[0]
	m := &WatchResponse{Header: benchHeader(), Events: []Event{{Kv: &kv}}}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendStreamResult(buf[:0], m)
	}
}

// The price of the tagged codec, on a cold message: a member list of
// three, encoded and decoded. (BenchmarkPutResponse* above are the
// hand-written codec on a message of similar size.)

func benchMemberList() *MemberListResponse {
	r := &MemberListResponse{Header: benchHeader()}
	for i := range 3 {
		r.Members = append(r.Members, Member{ID: 1000 + uint64(i), Name: "m" + string(rune('1'+i)),
			PeerURLs: []string{"http://127.0.0.1:2380"}, ClientURLs: []string{"http://127.0.0.1:2379"}})
	}
	return r
}

func BenchmarkMemberListResponseEncodeTagged(b *testing.B) {
	m := benchMemberList()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendJSON(buf[:0])
	}
}

func BenchmarkMemberListResponseDecodeTagged(b *testing.B) {
	body := Marshal(benchMemberList())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m MemberListResponse
		if err := Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}
