package wire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// Whatever we encode, we decode to the same value: the client encodes
// requests that the server decodes, and the other way round.

func genBytes() *rapid.Generator[[]byte] {
	return rapid.OneOf(rapid.Just([]byte(nil)), rapid.SliceOfN(rapid.Byte(), 1, 40))
}

func genInt64() *rapid.Generator[int64] {
	return rapid.OneOf(rapid.Just(int64(0)), rapid.Int64(), rapid.Int64Range(-5, 5))
}

func genKV() *rapid.Generator[KeyValue] {
	return rapid.Custom(func(t *rapid.T) KeyValue {
		return KeyValue{
			Key: genBytes().Draw(t, "key"), Value: genBytes().Draw(t, "value"),
			CreateRevision: genInt64().Draw(t, "c"), ModRevision: genInt64().Draw(t, "m"),
			Version: genInt64().Draw(t, "v"), Lease: genInt64().Draw(t, "l"),
		}
	})
}

func genHeader() *rapid.Generator[*ResponseHeader] {
	return rapid.Custom(func(t *rapid.T) *ResponseHeader {
		if rapid.Bool().Draw(t, "nil") {
			return nil
		}
		return &ResponseHeader{
			ClusterID: rapid.Uint64().Draw(t, "cid"), MemberID: rapid.Uint64().Draw(t, "mid"),
			Revision: genInt64().Draw(t, "rev"), RaftTerm: rapid.Uint64().Draw(t, "term"),
		}
	})
}

func genString() *rapid.Generator[string] {
	return rapid.OneOf(rapid.Just(""), rapid.String(), rapid.StringMatching(`[a-z"\\\n\t\x00-\x1f<>&]{0,12}`))
}

func genRequestOps(depth int) *rapid.Generator[[]RequestOp] {
	return rapid.Custom(func(t *rapid.T) []RequestOp {
		n := rapid.IntRange(0, 3).Draw(t, "n")
		var ops []RequestOp
		for i := 0; i < n; i++ {
			var op RequestOp
			switch k := rapid.IntRange(0, 3).Draw(t, "kind"); {
			case k == 0:
				op.RequestRange = &RangeRequest{Key: genBytes().Draw(t, "k"), Limit: genInt64().Draw(t, "lim"),
					SortOrder: SortOrder(rapid.Int32Range(0, 4).Draw(t, "so")), KeysOnly: rapid.Bool().Draw(t, "ko")}
			case k == 1:
				op.RequestPut = &PutRequest{Key: genBytes().Draw(t, "k"), Value: genBytes().Draw(t, "v"),
					Lease: genInt64().Draw(t, "l"), PrevKV: rapid.Bool().Draw(t, "p")}
			case k == 2:
				op.RequestDeleteRange = &DeleteRangeRequest{Key: genBytes().Draw(t, "k"), RangeEnd: genBytes().Draw(t, "e")}
			case depth > 0:
				op.RequestTxn = &TxnRequest{Success: genRequestOps(depth-1).Draw(t, "s")}
			default:
				op.RequestRange = &RangeRequest{}
			}
			ops = append(ops, op)
		}
		return ops
	})
}

func roundTrip[T any, P interface {
	*T
	Message
}](t *rapid.T, in P) {
	b := Marshal(in)
	out := P(new(T))
	if err := Unmarshal(b, out); err != nil {
		t.Fatalf("decode of our own %s: %v", b, err)
	}
	if diff := cmp.Diff(in, out, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("round trip of %s (-in +out):\n%s", b, diff)
	}
	if b2 := Marshal(out); string(b2) != string(b) {
		t.Fatalf("re-encoding differs:\n%s\n%s", b, b2)
	}
}

func TestRoundTripKV(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		roundTrip(t, &RangeResponse{Header: genHeader().Draw(t, "h"), Kvs: rapid.SliceOf(genKV()).Draw(t, "kvs"),
			More: rapid.Bool().Draw(t, "more"), Count: genInt64().Draw(t, "count")})
		roundTrip(t, &PutRequest{Key: genBytes().Draw(t, "k"), Value: genBytes().Draw(t, "v"), Lease: genInt64().Draw(t, "l"),
			PrevKV: rapid.Bool().Draw(t, "p"), IgnoreValue: rapid.Bool().Draw(t, "iv"), IgnoreLease: rapid.Bool().Draw(t, "il")})
		roundTrip(t, &TxnRequest{
			Compare: []Compare{{Target: CompareTarget(rapid.Int32Range(0, 4).Draw(t, "tg")), Result: CompareResult(rapid.Int32Range(0, 5).Draw(t, "r")),
				Key: genBytes().Draw(t, "ck"), RangeEnd: genBytes().Draw(t, "ce")}},
			Success: genRequestOps(2).Draw(t, "success"), Failure: genRequestOps(1).Draw(t, "failure"),
		})
	})
}

func TestRoundTripOthers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kv := genKV().Draw(t, "kv")
		roundTrip(t, &WatchResponse{Header: genHeader().Draw(t, "h"), WatchID: genInt64().Draw(t, "id"),
			Created: rapid.Bool().Draw(t, "c"), Canceled: rapid.Bool().Draw(t, "x"), CancelReason: genString().Draw(t, "why"),
			Events: []Event{{Type: EventDelete, Kv: &kv}, {Kv: &kv, PrevKV: &kv}}})
		roundTrip(t, &WatchRequest{CreateRequest: &WatchCreateRequest{Key: genBytes().Draw(t, "k"), StartRevision: genInt64().Draw(t, "s"),
			Filters: rapid.SliceOf(rapid.Custom(func(t *rapid.T) FilterType { return FilterType(rapid.Int32Range(0, 3).Draw(t, "f")) })).Draw(t, "filters")}})
		roundTrip(t, &MemberListResponse{Header: genHeader().Draw(t, "h"), Members: []Member{{ID: rapid.Uint64().Draw(t, "id"),
			Name: genString().Draw(t, "name"), PeerURLs: rapid.SliceOf(genString()).Draw(t, "p"), IsLearner: rapid.Bool().Draw(t, "l")}}})
		roundTrip(t, &LeaseTimeToLiveResponse{Header: genHeader().Draw(t, "h"), ID: genInt64().Draw(t, "id"), TTL: genInt64().Draw(t, "ttl"),
			Keys: rapid.SliceOf(rapid.SliceOfN(rapid.Byte(), 1, 8)).Draw(t, "keys")})
		roundTrip(t, &StatusResponse{Header: genHeader().Draw(t, "h"), Version: genString().Draw(t, "v"), Errors: rapid.SliceOf(genString()).Draw(t, "e"),
			DowngradeInfo: &DowngradeInfo{TargetVersion: genString().Draw(t, "tv")}})
		roundTrip(t, &Error{Code: Code(rapid.Int32Range(1, 16).Draw(t, "code")), Message: genString().Draw(t, "msg")})
		roundTrip(t, &HashKVResponse{Hash: rapid.Uint32().Draw(t, "hash"), CompactRevision: genInt64().Draw(t, "c")})
	})
}

// FuzzUnmarshal: no input makes a decoder panic, and whatever decodes
// re-encodes to something that decodes to the same value.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`{"key":"Zm9v","value":"YmFy","lease":"1"}`, `{"compare":[{"key":"dHg=","target":"VALUE","value":"djE="}],"success":[{"request_put":{"key":"dHg="}}]}`,
		`{"create_request":{"key":"YQ==","filters":["NODELETE"]}}`, `{"header":{"revision":"3"},"kvs":[{"key":"YQ=="}],"count":"1"}`, `{"a":[1,{"b":null}]}`, `{"key":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, newMsg := range []func() Message{
			func() Message { return new(TxnRequest) }, func() Message { return new(RangeResponse) },
			func() Message { return new(WatchRequest) }, func() Message { return new(StatusResponse) },
		} {
			m := newMsg()
			if err := Unmarshal(data, m); err != nil {
				continue
			}
			b := Marshal(m)
			m2 := newMsg()
			if err := Unmarshal(b, m2); err != nil {
				t.Fatalf("our own encoding %s does not decode: %v", b, err)
			}
			if b2 := Marshal(m2); string(b2) != string(b) {
				t.Fatalf("unstable: %s then %s", b, b2)
			}
		}
	})
}
