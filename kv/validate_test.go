package kv

import (
	"testing"
)

func puts(keys ...string) []RequestOp {
	var ops []RequestOp
	for _, k := range keys {
		ops = append(ops, RequestOp{Put: &PutRequest{Key: b(k), Value: b("v")}})
	}
	return ops
}

func del(key, end string) RequestOp {
	return RequestOp{DeleteRange: &DeleteRangeRequest{Key: b(key), RangeEnd: []byte(end)}}
}

func nested(success, failure []RequestOp) RequestOp {
	return RequestOp{Txn: &TxnRequest{Success: success, Failure: failure}}
}

// TestValidate covers the checks etcd makes before raft, with etcd's texts.
func TestValidate(t *testing.T) {
	many := make([]string, 129)
	for i := range many {
		many[i] = string(rune(0x100 + i))
	}
	for _, c := range []struct {
		name string
		req  Request
		err  error
		text string
	}{
		{"put without key", Request{Put: &PutRequest{Value: b("v")}}, ErrEmptyKey, "key is not provided"},
		{"delete without key", Request{DeleteRange: &DeleteRangeRequest{}}, ErrEmptyKey, ""},
		{"range in txn without key", Request{Txn: &TxnRequest{Success: []RequestOp{{Range: &RangeRequest{}}}}}, ErrEmptyKey, ""},
		{"compare without key", Request{Txn: &TxnRequest{Compare: []Compare{{}}}}, ErrEmptyKey, ""},
		{"ignore_value with a value", Request{Put: &PutRequest{Key: b("k"), Value: b("v"), IgnoreValue: true}}, ErrValueProvided, "value is provided"},
		{"ignore_lease with a lease", Request{Put: &PutRequest{Key: b("k"), Lease: 1, IgnoreLease: true}}, ErrLeaseProvided, "lease is provided"},
		{"bad sort order", Request{Txn: &TxnRequest{Success: []RequestOp{{Range: &RangeRequest{Key: b("k"), SortOrder: 3}}}}}, ErrInvalidSortOption, "invalid sort option"},
		{"bad sort target", Request{Txn: &TxnRequest{Success: []RequestOp{{Range: &RangeRequest{Key: b("k"), SortTarget: -1}}}}}, ErrInvalidSortOption, ""},
		{"empty op", Request{Txn: &TxnRequest{Success: []RequestOp{{}}}}, ErrKeyNotFound, "key not found"},
		{"op with two operations", Request{Txn: &TxnRequest{Success: []RequestOp{{Put: &PutRequest{Key: b("k")}, Range: &RangeRequest{Key: b("k")}}}}}, ErrInvalidRequest, ""},
		{"no operation", Request{}, ErrInvalidRequest, ""},
		{"two operations", Request{Put: &PutRequest{Key: b("k")}, Compaction: &CompactionRequest{}}, ErrInvalidRequest, ""},
		{"129 ops", Request{Txn: &TxnRequest{Success: puts(many...)}}, ErrTooManyOps, "too many operations in txn request"},
		{"128 ops", Request{Txn: &TxnRequest{Success: puts(many[:128]...)}}, nil, ""},
		{"129 compares", Request{Txn: &TxnRequest{Compare: make([]Compare, 129)}}, ErrTooManyOps, ""},
		// 101 ops in the outer branch leave 128-101 = 27 for the nested txn.
		{"nested over budget", Request{Txn: &TxnRequest{Success: append(puts(many[:100]...), nested(puts(many[100:128]...), nil))}}, ErrTooManyOps, ""},
		{"nested within budget", Request{Txn: &TxnRequest{Success: append(puts(many[:100]...), nested(puts(many[100:127]...), nil))}}, nil, ""},
		{"put twice", Request{Txn: &TxnRequest{Success: puts("a", "a")}}, ErrDuplicateKey, "duplicate key given in txn request"},
		{"put and delete", Request{Txn: &TxnRequest{Success: append(puts("a"), del("a", ""))}}, ErrDuplicateKey, ""},
		{"delete then put", Request{Txn: &TxnRequest{Success: append([]RequestOp{del("a", "c")}, puts("b")...)}}, ErrDuplicateKey, ""},
		{"put inside from-key delete", Request{Txn: &TxnRequest{Success: append(puts("b"), del("a", "\x00"))}}, ErrDuplicateKey, ""},
		{"put beside a delete", Request{Txn: &TxnRequest{Success: append(puts("c"), del("a", "c"))}}, nil, ""},
		{"overlapping deletes", Request{Txn: &TxnRequest{Success: []RequestOp{del("a", "c"), del("b", "d")}}}, nil, ""},
		{"same put in both branches", Request{Txn: &TxnRequest{Success: puts("a"), Failure: puts("a")}}, nil, ""},
		{"same put in a nested txn's two branches", Request{Txn: &TxnRequest{Success: []RequestOp{nested(puts("a"), puts("a"))}}}, nil, ""},
		{"outer and nested put", Request{Txn: &TxnRequest{Success: append(puts("a"), nested(puts("a"), nil))}}, ErrDuplicateKey, ""},
		{"outer delete, nested put", Request{Txn: &TxnRequest{Success: []RequestOp{del("a", "b"), nested(nil, puts("a"))}}}, ErrDuplicateKey, ""},
		{"nested delete, outer put", Request{Txn: &TxnRequest{Success: append(puts("a"), nested([]RequestOp{del("a", "")}, nil))}}, ErrDuplicateKey, ""},
		{"two nested txns put one key", Request{Txn: &TxnRequest{Success: []RequestOp{nested(puts("a"), nil), nested(nil, puts("a"))}}}, ErrDuplicateKey, ""},
		{"lease TTL too large", Request{LeaseGrant: &LeaseGrantRequest{ID: 1, TTL: MaxLeaseTTL + 1}}, ErrLeaseTTLTooLarge, "too large lease TTL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(Config{})
			if err := s.Validate(&c.req); err != c.err {
				t.Fatalf("Validate: %v, want %v", err, c.err)
			}
			if c.text != "" && c.err.Error() != c.text {
				t.Fatalf("error text %q, want %q", c.err.Error(), c.text)
			}
			// Apply refuses the same way, and a refused request changes nothing.
			before := s.Hash()
			if _, err := s.Apply(&c.req); c.err != nil && err != c.err {
				t.Fatalf("Apply: %v, want %v", err, c.err)
			}
			if c.err != nil && s.Hash() != before {
				t.Fatal("a refused request changed the store")
			}
		})
	}
}

func TestMaxTxnOpsIsConfigurable(t *testing.T) {
	s := New(Config{MaxTxnOps: 2})
	if err := s.Validate(&Request{Txn: &TxnRequest{Success: puts("a", "b", "c")}}); err != ErrTooManyOps {
		t.Fatalf("3 ops with a limit of 2: %v", err)
	}
}

// TestApplyErrors covers the checks that need the store's state; each
// failing request must leave the store untouched.
func TestApplyErrors(t *testing.T) {
	s := New(Config{})
	put(t, s, "a", "1")
	put(t, s, "a", "2")
	apply(t, s, &Request{Compaction: &CompactionRequest{Revision: 3}})
	for _, c := range []struct {
		name string
		req  Request
		err  error
	}{
		{"put with unknown lease", Request{Put: &PutRequest{Key: b("k"), Lease: 5}}, ErrLeaseNotFound},
		{"ignore_value on missing key", Request{Put: &PutRequest{Key: b("k"), IgnoreValue: true}}, ErrKeyNotFound},
		{"ignore_lease on missing key", Request{Put: &PutRequest{Key: b("k"), IgnoreLease: true}}, ErrKeyNotFound},
		{"txn put with unknown lease", Request{Txn: &TxnRequest{Success: []RequestOp{{Put: &PutRequest{Key: b("k"), Lease: 5}}}}}, ErrLeaseNotFound},
		{"txn ignore_value on missing key", Request{Txn: &TxnRequest{Success: []RequestOp{{Put: &PutRequest{Key: b("k"), IgnoreValue: true}}}}}, ErrKeyNotFound},
		{"txn range at a future revision", Request{Txn: &TxnRequest{Success: append(puts("x"), RequestOp{Range: &RangeRequest{Key: b("a"), Revision: 4}})}}, ErrFutureRev},
		{"txn range at a compacted revision", Request{Txn: &TxnRequest{Success: append(puts("x"), RequestOp{Range: &RangeRequest{Key: b("a"), Revision: 2}})}}, ErrCompacted},
		{"compaction at the compacted revision", Request{Compaction: &CompactionRequest{Revision: 3}}, ErrCompacted},
		{"compaction in the future", Request{Compaction: &CompactionRequest{Revision: 4}}, ErrFutureRev},
		{"lease ID 0", Request{LeaseGrant: &LeaseGrantRequest{TTL: 5}}, ErrLeaseNotFound},
		{"revoke unknown lease", Request{LeaseRevoke: &LeaseRevokeRequest{ID: 9}}, ErrLeaseNotFound},
	} {
		before := s.Hash()
		if _, err := s.Apply(&c.req); err != c.err {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
		if s.Hash() != before {
			t.Errorf("%s: the failed request changed the store", c.name)
		}
	}
	// The unexecuted branch is not checked (etcd checks only the path that runs).
	resp := apply(t, s, &Request{Txn: &TxnRequest{
		Compare: []Compare{{Key: b("a"), Target: CompareValue, Value: b("2")}},
		Success: []RequestOp{{Range: &RangeRequest{Key: b("a")}}},
		Failure: []RequestOp{{Put: &PutRequest{Key: b("k"), Lease: 5}}},
	}})
	if !resp.Txn.Succeeded {
		t.Fatal("compare failed")
	}
	for _, r := range []*RangeRequest{{Key: b("a"), Revision: 2}, {Key: b("a"), Revision: 4}, {Key: b("")}} {
		if _, err := s.Range(r); err == nil {
			t.Errorf("Range(%+v) succeeded", r)
		}
	}
	if _, err := s.ReadTxn(&TxnRequest{Failure: puts("a")}); err != ErrNotReadOnly {
		t.Errorf("ReadTxn with a put: %v", err)
	}
}

// TestTxnSemantics: compares (nested ones included) see the state before the
// transaction; operations see the writes before them; all at one revision.
func TestTxnSemantics(t *testing.T) {
	s := New(Config{})
	resp := apply(t, s, &Request{Txn: &TxnRequest{
		Success: []RequestOp{
			{Put: &PutRequest{Key: b("k"), Value: b("1")}},
			{Range: &RangeRequest{Key: b("k")}},
			// "k" does not exist before the txn, so this compare fails even
			// though the put above has run.
			{Txn: &TxnRequest{
				Compare: []Compare{{Key: b("k"), Target: CompareVersion, Result: CompareGreater, Version: 0}},
				Success: []RequestOp{{Range: &RangeRequest{Key: b("success")}}},
				Failure: []RequestOp{{Range: &RangeRequest{Key: b("k"), KeysOnly: true}}},
			}},
			{Put: &PutRequest{Key: b("j"), Value: b("2"), PrevKv: true}},
		},
	}}).Txn
	want(t, "txn", resp, &TxnResponse{Header: hdr(2), Succeeded: true, Responses: []ResponseOp{
		{Put: &PutResponse{Header: hdr(2)}},
		{Range: &RangeResponse{Header: hdr(2), Kvs: []KeyValue{kv("k", 2, 2, 1, "1")}, Count: 1}},
		{Txn: &TxnResponse{Responses: []ResponseOp{
			{Range: &RangeResponse{Header: hdr(2), Kvs: []KeyValue{kv("k", 2, 2, 1, "")}, Count: 1}},
		}}},
		{Put: &PutResponse{Header: hdr(2)}},
	}})
	if s.Rev() != 2 {
		t.Fatalf("one txn made revision %d", s.Rev())
	}
	// A compare over a range holds only if it holds for every key.
	put(t, s, "r1", "x")
	put(t, s, "r2", "y")
	cmpRange := func(v string) bool {
		return apply(t, s, &Request{Txn: &TxnRequest{Compare: []Compare{{Key: b("r"), RangeEnd: b("s"), Target: CompareValue, Result: CompareGreater, Value: b(v)}}}}).Txn.Succeeded
	}
	if !cmpRange("a") || cmpRange("x") {
		t.Fatal("range compare")
	}
	// A VALUE compare on a missing key is false whatever the relation.
	for _, r := range []CompareResult{CompareEqual, CompareNotEqual, CompareGreater, CompareLess} {
		if apply(t, s, &Request{Txn: &TxnRequest{Compare: []Compare{{Key: b("missing"), Target: CompareValue, Result: r}}}}).Txn.Succeeded {
			t.Fatalf("VALUE %v on a missing key succeeded", r)
		}
	}
}

// TestRangeCases covers range options beyond the transcript.
func TestRangeCases(t *testing.T) {
	s := New(Config{})
	put(t, s, "b", "3")                                                  // 2
	put(t, s, "a", "1")                                                  // 3
	put(t, s, "c", "2")                                                  // 4
	put(t, s, "b", "0")                                                  // 5
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("c")}}) // 6
	put(t, s, "c", "9")                                                  // 7
	a, b2, c := kv("a", 3, 3, 1, "1"), kv("b", 2, 5, 2, "0"), kv("c", 7, 7, 1, "9")
	all := func(r RangeRequest) *RangeResponse { r.Key, r.RangeEnd = b("a"), b("\x00"); return rangeReq(t, s, &r) }
	for _, c := range []struct {
		name string
		req  RangeRequest
		kvs  []KeyValue
		more bool
	}{
		{"by value ascending", RangeRequest{SortOrder: SortAscend, SortTarget: SortByValue}, []KeyValue{b2, a, c}, false},
		{"by version, order NONE means ascending", RangeRequest{SortTarget: SortByVersion}, []KeyValue{a, c, b2}, false},
		{"by create descending", RangeRequest{SortOrder: SortDescend, SortTarget: SortByCreate}, []KeyValue{c, a, b2}, false},
		{"by mod descending, limit 1", RangeRequest{SortOrder: SortDescend, SortTarget: SortByMod, Limit: 1}, []KeyValue{c}, true},
		{"max mod revision", RangeRequest{MaxModRevision: 5}, []KeyValue{a, b2}, false},
		{"min create revision", RangeRequest{MinCreateRevision: 3}, []KeyValue{a, c}, false},
		{"max create revision with limit", RangeRequest{MaxCreateRevision: 3, Limit: 1}, []KeyValue{a}, true},
		{"limit equal to count", RangeRequest{Limit: 3}, []KeyValue{a, b2, c}, false},
		{"at revision 4", RangeRequest{Revision: 4}, []KeyValue{kv("a", 3, 3, 1, "1"), kv("b", 2, 2, 1, "3"), kv("c", 4, 4, 1, "2")}, false},
		{"at revision 6 (c deleted)", RangeRequest{Revision: 6}, []KeyValue{a, b2}, false},
	} {
		resp := all(c.req)
		want(t, c.name, resp.Kvs, c.kvs)
		if resp.More != c.more || resp.Header.Revision != 7 {
			t.Errorf("%s: more %v header %d", c.name, resp.More, resp.Header.Revision)
		}
	}
	// Count is every key in range even when filters drop some (as etcd).
	if got := all(RangeRequest{MinCreateRevision: 3}).Count; got != 3 {
		t.Errorf("count with a filter: %d", got)
	}
	// A range whose end is before its start is empty.
	if got := rangeReq(t, s, &RangeRequest{Key: b("c"), RangeEnd: b("a")}); got.Count != 0 || got.Kvs != nil {
		t.Errorf("inverted range: %+v", got)
	}
}
