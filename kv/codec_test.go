package kv

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// genBytes draws nil or a non-empty slice (an empty slice decodes as nil).
func genBytes() *rapid.Generator[[]byte] {
	return rapid.OneOf(rapid.Just[[]byte](nil), rapid.SliceOfN(rapid.Byte(), 1, 20))
}

func genCodecRange() *rapid.Generator[*RangeRequest] {
	return rapid.Custom(func(t *rapid.T) *RangeRequest {
		return &RangeRequest{
			Key: genBytes().Draw(t, "key"), RangeEnd: genBytes().Draw(t, "end"),
			Limit: rapid.Int64().Draw(t, "limit"), Revision: rapid.Int64().Draw(t, "rev"),
			SortOrder: SortOrder(rapid.Int32().Draw(t, "order")), SortTarget: SortTarget(rapid.Int32().Draw(t, "target")),
			Serializable: rapid.Bool().Draw(t, "ser"), KeysOnly: rapid.Bool().Draw(t, "ko"), CountOnly: rapid.Bool().Draw(t, "co"),
			MinModRevision: rapid.Int64().Draw(t, "a"), MaxModRevision: rapid.Int64().Draw(t, "b"),
			MinCreateRevision: rapid.Int64().Draw(t, "c"), MaxCreateRevision: rapid.Int64().Draw(t, "d"),
		}
	})
}

func genCodecPut() *rapid.Generator[*PutRequest] {
	return rapid.Custom(func(t *rapid.T) *PutRequest {
		return &PutRequest{
			Key: genBytes().Draw(t, "key"), Value: genBytes().Draw(t, "value"), Lease: rapid.Int64().Draw(t, "lease"),
			PrevKv: rapid.Bool().Draw(t, "pk"), IgnoreValue: rapid.Bool().Draw(t, "iv"), IgnoreLease: rapid.Bool().Draw(t, "il"),
		}
	})
}

func genCodecDelete() *rapid.Generator[*DeleteRangeRequest] {
	return rapid.Custom(func(t *rapid.T) *DeleteRangeRequest {
		return &DeleteRangeRequest{Key: genBytes().Draw(t, "key"), RangeEnd: genBytes().Draw(t, "end"), PrevKv: rapid.Bool().Draw(t, "pk")}
	})
}

// genCodecCompare sets only the value field its target uses, like etcd's
// oneof (the encoding carries no other); target 5 is one etcd does not define.
func genCodecCompare() *rapid.Generator[Compare] {
	return rapid.Custom(func(t *rapid.T) Compare {
		c := Compare{
			Result: CompareResult(rapid.Int32Range(0, 4).Draw(t, "result")),
			Target: CompareTarget(rapid.Int32Range(0, 5).Draw(t, "target")),
			Key:    genBytes().Draw(t, "key"), RangeEnd: genBytes().Draw(t, "end"),
		}
		n := rapid.Int64().Draw(t, "n")
		switch c.Target {
		case CompareVersion:
			c.Version = n
		case CompareCreate:
			c.CreateRevision = n
		case CompareMod:
			c.ModRevision = n
		case CompareValue:
			c.Value = genBytes().Draw(t, "value")
		case CompareLease:
			c.Lease = n
		}
		return c
	})
}

func genCodecTxn(depth int) *rapid.Generator[*TxnRequest] {
	return rapid.Custom(func(t *rapid.T) *TxnRequest {
		op := rapid.Custom(func(t *rapid.T) RequestOp {
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				return RequestOp{Range: genCodecRange().Draw(t, "range")}
			case 1:
				return RequestOp{Put: genCodecPut().Draw(t, "put")}
			case 2:
				return RequestOp{DeleteRange: genCodecDelete().Draw(t, "del")}
			case 3:
				if depth < 3 {
					return RequestOp{Txn: genCodecTxn(depth+1).Draw(t, "txn")}
				}
			}
			return RequestOp{} // etcd's empty op
		})
		r := &TxnRequest{}
		if n := rapid.IntRange(0, 3).Draw(t, "nc"); n > 0 {
			r.Compare = rapid.SliceOfN(genCodecCompare(), n, n).Draw(t, "compare")
		}
		if n := rapid.IntRange(0, 3).Draw(t, "ns"); n > 0 {
			r.Success = rapid.SliceOfN(op, n, n).Draw(t, "success")
		}
		if n := rapid.IntRange(0, 3).Draw(t, "nf"); n > 0 {
			r.Failure = rapid.SliceOfN(op, n, n).Draw(t, "failure")
		}
		return r
	})
}

func genCodecRequest() *rapid.Generator[*Request] {
	return rapid.Custom(func(t *rapid.T) *Request {
		switch rapid.IntRange(0, 5).Draw(t, "type") {
		case 0:
			return &Request{Put: genCodecPut().Draw(t, "put")}
		case 1:
			return &Request{DeleteRange: genCodecDelete().Draw(t, "del")}
		case 2:
			return &Request{Txn: genCodecTxn(0).Draw(t, "txn")}
		case 3:
			return &Request{Compaction: &CompactionRequest{Revision: rapid.Int64().Draw(t, "rev"), Physical: rapid.Bool().Draw(t, "phys")}}
		case 4:
			return &Request{LeaseGrant: &LeaseGrantRequest{TTL: rapid.Int64().Draw(t, "ttl"), ID: rapid.Int64().Draw(t, "id")}}
		default:
			return &Request{LeaseRevoke: &LeaseRevokeRequest{ID: rapid.Int64().Draw(t, "id")}}
		}
	})
}

// TestRequestRoundTrip: Unmarshal(Marshal(r)) == r for every request, and
// every strict prefix of an encoding is refused (never decoded as something
// else, never a panic).
func TestRequestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		req := genCodecRequest().Draw(t, "req")
		data, err := req.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var got Request
		if err := got.Unmarshal(data); err != nil {
			t.Fatalf("Unmarshal: %v", err)
		}
		if d := cmp.Diff(req, &got); d != "" {
			t.Fatalf("round trip changed the request (-in +out):\n%s", d)
		}
		for i := range data {
			if err := got.Unmarshal(data[:i]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("prefix of %d/%d bytes: %v", i, len(data), err)
			}
		}
		if err := got.Unmarshal(append(data, 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("trailing byte accepted: %v", err)
		}
	})
}

func TestMarshalRefusesAmbiguousRequests(t *testing.T) {
	for name, req := range map[string]*Request{
		"empty":           {},
		"two operations":  {Put: &PutRequest{Key: b("k")}, LeaseRevoke: &LeaseRevokeRequest{ID: 1}},
		"two in a txn op": {Txn: &TxnRequest{Success: []RequestOp{{Put: &PutRequest{Key: b("k")}, Range: &RangeRequest{Key: b("k")}}}}},
	} {
		if _, err := req.Marshal(); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: Marshal error %v, want ErrInvalidRequest", name, err)
		}
	}
}

// TestEncodingIsCompact pins the size of the common case: a put costs its key
// and value plus a few bytes.
func TestEncodingIsCompact(t *testing.T) {
	data, err := (&Request{Put: &PutRequest{Key: make([]byte, 16), Value: make([]byte, 256), Lease: 4400297100864262}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 16+256+14 {
		t.Fatalf("a put of a 16-byte key and 256-byte value encodes to %d bytes", len(data))
	}
}

// TestApplyBytesIsApply: going through the encoding changes nothing — two
// stores, one fed requests and one fed their bytes, answer identically and
// end in the same state.
func TestApplyBytesIsApply(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		direct, viaBytes := New(Config{}), New(Config{})
		for range rapid.IntRange(1, 40).Draw(t, "n") {
			var req *Request
			switch rapid.IntRange(0, 4).Draw(t, "kind") {
			case 0, 1:
				req = &Request{Put: genPut().Draw(t, "put")}
			case 2:
				req = &Request{DeleteRange: genDelete().Draw(t, "del")}
			case 3:
				req = &Request{Txn: &TxnRequest{Compare: rapid.SliceOfN(genCompare(10), 0, 2).Draw(t, "cmp"), Success: genOps(10).Draw(t, "ops")}}
			default:
				req = &Request{LeaseGrant: &LeaseGrantRequest{ID: rapid.Int64Range(1, 3).Draw(t, "id"), TTL: 10}}
			}
			data, err := req.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			r1, err1 := direct.Apply(req)
			r2, err2 := viaBytes.ApplyBytes(data)
			if err1 != err2 {
				t.Fatalf("errors differ: %v vs %v", err1, err2)
			}
			want(t, "response", r2, r1)
		}
		if direct.Hash() != viaBytes.Hash() {
			t.Fatal("states differ")
		}
	})
}

// FuzzRequestUnmarshal feeds arbitrary bytes to the decoder. It must never
// panic; what it accepts must re-encode to something that decodes the same;
// and applying it to a store must not panic either (errors are fine).
func FuzzRequestUnmarshal(f *testing.F) {
	for _, req := range []*Request{
		{Put: &PutRequest{Key: b("foo"), Value: b("bar"), Lease: 7, PrevKv: true}},
		{DeleteRange: &DeleteRangeRequest{Key: b("a"), RangeEnd: b("\x00"), PrevKv: true}},
		{Txn: &TxnRequest{
			Compare: []Compare{{Key: b("k"), Target: CompareValue, Value: b("v")}, {Key: b("k"), Target: CompareMod, Result: CompareLess, ModRevision: 9}},
			Success: []RequestOp{{Put: &PutRequest{Key: b("k"), Value: b("v2")}}, {Range: &RangeRequest{Key: b("a"), RangeEnd: b("z"), Limit: 2, SortOrder: SortDescend, SortTarget: SortByMod}}},
			Failure: []RequestOp{{Txn: &TxnRequest{Success: []RequestOp{{DeleteRange: &DeleteRangeRequest{Key: b("k")}}}}}, {}},
		}},
		{Compaction: &CompactionRequest{Revision: 5, Physical: true}},
		{LeaseGrant: &LeaseGrantRequest{TTL: 60, ID: 4400297100864262}},
		{LeaseRevoke: &LeaseRevokeRequest{ID: 1}},
	} {
		data, err := req.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{requestVersion, tagTxn, 0, 1, opTxn, 0, 1, opTxn, 0, 1, opTxn})
	f.Add([]byte{requestVersion, tagPut, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		var req Request
		if err := req.Unmarshal(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decoder error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		again, err := req.Marshal()
		if err != nil {
			t.Fatalf("decoded request does not encode: %v", err)
		}
		var req2 Request
		if err := req2.Unmarshal(again); err != nil || !cmp.Equal(req, req2) {
			t.Fatalf("re-encoding is not stable: %v", err)
		}
		s := New(Config{})
		apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{ID: 7, TTL: 10}})
		put(t, s, "foo", "x")
		_, _ = s.ApplyBytes(data)
		checkStore(t, s)
	})
}
