package kv

import (
	"errors"
	"testing"
	"time"
)

// TestReferenceTranscript replays, request by request, the etcd v3.7.3
// transcript in /work/shared/reference/etcd-json-gateway.md (the /v3/kv,
// /v3/lease and /v3/watch sections) and expects the same answers, field by
// field, in Go form. The comments name the transcript's steps.
func TestReferenceTranscript(t *testing.T) {
	s := New(Config{MinLeaseTTL: 2})

	// ## /v3/kv/put
	want(t, "put (plain)", put(t, s, "foo", "bar"), &PutResponse{Header: hdr(2)})
	want(t, "put with prev_kv",
		apply(t, s, &Request{Put: &PutRequest{Key: b("foo"), Value: b("baz"), PrevKv: true}}).Put,
		&PutResponse{Header: hdr(3), PrevKv: kvp("foo", 2, 2, 1, "bar")})
	const lease1 = 4400297100864262
	want(t, "lease grant (setup)",
		apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{TTL: 60, ID: lease1}}).LeaseGrant,
		&LeaseGrantResponse{Header: hdr(3), ID: lease1, TTL: 60})
	want(t, "put with lease",
		apply(t, s, &Request{Put: &PutRequest{Key: b("leased"), Value: b("v"), Lease: lease1}}).Put,
		&PutResponse{Header: hdr(4)})
	want(t, "put with lease again",
		apply(t, s, &Request{Put: &PutRequest{Key: b("leased"), Value: b("v2"), Lease: lease1}}).Put,
		&PutResponse{Header: hdr(5)})
	want(t, "put with ignore_value",
		apply(t, s, &Request{Put: &PutRequest{Key: b("foo"), IgnoreValue: true, PrevKv: true}}).Put,
		&PutResponse{Header: hdr(6), PrevKv: kvp("foo", 2, 3, 2, "baz")})

	// ## /v3/kv/range
	for i, k := range []string{"/demo/a", "/demo/b", "/demo/c", "/demo/d"} {
		put(t, s, k, string(rune('1'+i)))
	}
	demo := []KeyValue{kv("/demo/a", 7, 7, 1, "1"), kv("/demo/b", 8, 8, 1, "2"), kv("/demo/c", 9, 9, 1, "3"), kv("/demo/d", 10, 10, 1, "4")}
	keysOnly := func(kvs ...KeyValue) []KeyValue {
		out := make([]KeyValue, len(kvs))
		for i, k := range kvs {
			k.Value, k.Lease = nil, 0
			out[i] = k
		}
		return out
	}
	prefix := func(r RangeRequest) *RangeRequest {
		r.Key, r.RangeEnd = b("/demo/"), b("/demo0")
		return &r
	}
	fooNow := kv("foo", 2, 6, 3, "baz")
	want(t, "range single key", rangeReq(t, s, &RangeRequest{Key: b("foo")}),
		&RangeResponse{Header: hdr(10), Kvs: []KeyValue{fooNow}, Count: 1})
	want(t, "range missing key", rangeReq(t, s, &RangeRequest{Key: b("nope")}), &RangeResponse{Header: hdr(10)})
	want(t, "range prefix", rangeReq(t, s, prefix(RangeRequest{})), &RangeResponse{Header: hdr(10), Kvs: demo, Count: 4})
	want(t, "range limit 2", rangeReq(t, s, prefix(RangeRequest{Limit: 2})),
		&RangeResponse{Header: hdr(10), Kvs: demo[:2], More: true, Count: 4})
	want(t, "range DESCEND by KEY", rangeReq(t, s, prefix(RangeRequest{SortOrder: SortDescend, SortTarget: SortByKey})),
		&RangeResponse{Header: hdr(10), Kvs: []KeyValue{demo[3], demo[2], demo[1], demo[0]}, Count: 4})
	want(t, "range DESCEND by MOD, limit 2", rangeReq(t, s, prefix(RangeRequest{SortOrder: SortDescend, SortTarget: SortByMod, Limit: 2})),
		&RangeResponse{Header: hdr(10), Kvs: []KeyValue{demo[3], demo[2]}, More: true, Count: 4})
	want(t, "range at revision 2", rangeReq(t, s, &RangeRequest{Key: b("foo"), Revision: 2}),
		&RangeResponse{Header: hdr(10), Kvs: []KeyValue{kv("foo", 2, 2, 1, "bar")}, Count: 1})
	want(t, "range keys_only", rangeReq(t, s, prefix(RangeRequest{KeysOnly: true})),
		&RangeResponse{Header: hdr(10), Kvs: keysOnly(demo...), Count: 4})
	want(t, "range count_only", rangeReq(t, s, prefix(RangeRequest{CountOnly: true})), &RangeResponse{Header: hdr(10), Count: 4})
	want(t, "range serializable", rangeReq(t, s, &RangeRequest{Key: b("foo"), Serializable: true}),
		&RangeResponse{Header: hdr(10), Kvs: []KeyValue{fooNow}, Count: 1})
	leased := kv("leased", 4, 5, 2, "v2")
	leased.Lease = lease1
	want(t, "range everything", rangeReq(t, s, &RangeRequest{Key: b("\x00"), RangeEnd: b("\x00"), KeysOnly: true}),
		&RangeResponse{Header: hdr(10), Kvs: keysOnly(append(demo[:4:4], fooNow, leased)...), Count: 6})
	want(t, "range from key", rangeReq(t, s, &RangeRequest{Key: b("/demo/b"), RangeEnd: b("\x00"), KeysOnly: true}),
		&RangeResponse{Header: hdr(10), Kvs: keysOnly(demo[1], demo[2], demo[3], fooNow, leased), Count: 5})
	want(t, "range min_mod_revision", rangeReq(t, s, prefix(RangeRequest{MinModRevision: 6, KeysOnly: true})),
		&RangeResponse{Header: hdr(10), Kvs: keysOnly(demo...), Count: 4})
	want(t, "leased keeps its lease without keys_only", rangeReq(t, s, &RangeRequest{Key: b("leased")}).Kvs, []KeyValue{leased})

	// ## /v3/kv/deleterange
	for _, k := range []string{"/del/a", "/del/b", "/del/c", "/pd/x", "/pd/y"} {
		put(t, s, k, "val-"+k)
	}
	del := func(r *DeleteRangeRequest) *DeleteRangeResponse {
		return apply(t, s, &Request{DeleteRange: r}).DeleteRange
	}
	want(t, "deleterange single key", del(&DeleteRangeRequest{Key: b("/del/a")}), &DeleteRangeResponse{Header: hdr(16), Deleted: 1})
	want(t, "deleterange missing key", del(&DeleteRangeRequest{Key: b("/del/a")}), &DeleteRangeResponse{Header: hdr(16)})
	want(t, "deleterange prefix", del(&DeleteRangeRequest{Key: b("/del/"), RangeEnd: b("/del0")}), &DeleteRangeResponse{Header: hdr(17), Deleted: 2})
	want(t, "deleterange prefix with prev_kv", del(&DeleteRangeRequest{Key: b("/pd/"), RangeEnd: b("/pd0"), PrevKv: true}),
		&DeleteRangeResponse{Header: hdr(18), Deleted: 2, PrevKvs: []KeyValue{kv("/pd/x", 14, 14, 1, "val-/pd/x"), kv("/pd/y", 15, 15, 1, "val-/pd/y")}})

	// ## /v3/kv/txn
	put(t, s, "tx", "v1")
	txn := func(r *TxnRequest) *TxnResponse { return apply(t, s, &Request{Txn: r}).Txn }
	casV1 := func(newValue string, prevKV bool) *TxnRequest {
		return &TxnRequest{
			Compare: []Compare{{Key: b("tx"), Target: CompareValue, Result: CompareEqual, Value: b("v1")}},
			Success: []RequestOp{{Put: &PutRequest{Key: b("tx"), Value: b(newValue), PrevKv: prevKV}}},
			Failure: []RequestOp{{Range: &RangeRequest{Key: b("tx")}}},
		}
	}
	want(t, "txn VALUE EQUAL -> success", txn(casV1("v2", true)), &TxnResponse{Header: hdr(20), Succeeded: true,
		Responses: []ResponseOp{{Put: &PutResponse{Header: hdr(20), PrevKv: kvp("tx", 19, 19, 1, "v1")}}}})
	txNow := kv("tx", 19, 20, 2, "v2")
	want(t, "txn VALUE EQUAL -> failure", txn(casV1("v3", false)), &TxnResponse{Header: hdr(20),
		Responses: []ResponseOp{{Range: &RangeResponse{Header: hdr(20), Kvs: []KeyValue{txNow}, Count: 1}}}})
	want(t, "txn VERSION EQUAL 2, two ops", txn(&TxnRequest{
		Compare: []Compare{{Key: b("tx"), Target: CompareVersion, Result: CompareEqual, Version: 2}},
		Success: []RequestOp{{Range: &RangeRequest{Key: b("tx")}}, {DeleteRange: &DeleteRangeRequest{Key: b("nothing")}}},
	}), &TxnResponse{Header: hdr(20), Succeeded: true, Responses: []ResponseOp{
		{Range: &RangeResponse{Header: hdr(20), Kvs: []KeyValue{txNow}, Count: 1}},
		{DeleteRange: &DeleteRangeResponse{Header: hdr(20)}},
	}})
	want(t, "txn create-if-absent", txn(&TxnRequest{
		Compare: []Compare{{Key: b("newkey"), Target: CompareVersion, Result: CompareEqual, Version: 0}},
		Success: []RequestOp{{Put: &PutRequest{Key: b("newkey"), Value: b("created")}}},
	}), &TxnResponse{Header: hdr(21), Succeeded: true, Responses: []ResponseOp{{Put: &PutResponse{Header: hdr(21)}}}})
	want(t, "txn create-if-absent again", txn(&TxnRequest{
		Compare: []Compare{{Key: b("newkey"), Target: CompareCreate, Result: CompareEqual, CreateRevision: 0}},
		Success: []RequestOp{{Put: &PutRequest{Key: b("newkey"), Value: b("again")}}},
		Failure: []RequestOp{{Range: &RangeRequest{Key: b("newkey")}}},
	}), &TxnResponse{Header: hdr(21), Responses: []ResponseOp{
		{Range: &RangeResponse{Header: hdr(21), Kvs: []KeyValue{kv("newkey", 21, 21, 1, "created")}, Count: 1}},
	}})
	want(t, "txn MOD LESS 119", txn(&TxnRequest{
		Compare: []Compare{{Key: b("tx"), Target: CompareMod, Result: CompareLess, ModRevision: 119}},
		Success: []RequestOp{{Range: &RangeRequest{Key: b("tx"), KeysOnly: true}}},
	}), &TxnResponse{Header: hdr(21), Succeeded: true, Responses: []ResponseOp{
		{Range: &RangeResponse{Header: hdr(21), Kvs: keysOnly(txNow), Count: 1}},
	}})
	want(t, "txn MOD EQUAL 19 -> nested txn", txn(&TxnRequest{
		Compare: []Compare{{Key: b("tx"), Target: CompareMod, Result: CompareEqual, ModRevision: 19}},
		Success: []RequestOp{{Range: &RangeRequest{Key: b("tx")}}},
		Failure: []RequestOp{{Txn: &TxnRequest{Success: []RequestOp{{Range: &RangeRequest{Key: b("foo")}}}}}},
	}), &TxnResponse{Header: hdr(21), Responses: []ResponseOp{{Txn: &TxnResponse{Succeeded: true, Responses: []ResponseOp{
		{Range: &RangeResponse{Header: hdr(21), Kvs: []KeyValue{fooNow}, Count: 1}},
	}}}}})
	want(t, "txn empty", txn(&TxnRequest{}), &TxnResponse{Header: hdr(21), Succeeded: true, Responses: []ResponseOp{}})

	// ## /v3/kv/compaction
	compact := func(rev int64) (*CompactionResponse, error) {
		resp, err := s.Apply(&Request{Compaction: &CompactionRequest{Revision: rev}})
		return resp.Compaction, err
	}
	if resp, err := compact(4); err != nil || resp.Header.Revision != 21 {
		t.Fatalf("compaction 4: %+v, %v", resp, err)
	}
	if resp, err := compact(5); err != nil || resp.Header.Revision != 21 {
		t.Fatalf("compaction 5: %+v, %v", resp, err)
	}
	if _, err := compact(4); !errors.Is(err, ErrCompacted) || err.Error() != "mvcc: required revision has been compacted" {
		t.Fatalf("compaction to a compacted revision: %v", err)
	}
	if _, err := compact(1021); err != ErrFutureRev || err.Error() != "mvcc: required revision is a future revision" {
		t.Fatalf("compaction to a future revision: %v", err)
	}

	// ## /v3/lease/*
	const lease2 = 4400297100864306
	want(t, "lease grant", apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{TTL: 30, ID: lease2}}).LeaseGrant,
		&LeaseGrantResponse{Header: hdr(21), ID: lease2, TTL: 30})
	want(t, "lease grant with ID", apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{TTL: 30, ID: 1234}}).LeaseGrant,
		&LeaseGrantResponse{Header: hdr(21), ID: 1234, TTL: 30})
	if _, err := s.Apply(&Request{LeaseGrant: &LeaseGrantRequest{TTL: 30, ID: 1234}}); err != ErrLeaseExist || err.Error() != "lease already exists" {
		t.Fatalf("grant of an existing lease: %v", err)
	}
	for _, k := range []string{"lk1", "lk2"} {
		apply(t, s, &Request{Put: &PutRequest{Key: b(k), Value: b("x"), Lease: lease2}})
	}
	put(t, s, "other-setup", "x") // the transcript's hidden setup reached revision 24
	now := time.Unix(1000, 0)
	s.ResetLeaseExpiries(now)
	later := now.Add(2 * time.Second)
	keepAlive, err := s.LeaseRenew(lease2, later)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "lease keepalive", keepAlive, &LeaseKeepAliveResponse{Header: hdr(24), ID: lease2, TTL: 30})
	want(t, "lease timetolive with keys", s.LeaseTimeToLive(&LeaseTimeToLiveRequest{ID: lease2, Keys: true}, later.Add(2*time.Second)),
		&LeaseTimeToLiveResponse{Header: hdr(24), ID: lease2, TTL: 28, GrantedTTL: 30, Keys: [][]byte{b("lk1"), b("lk2")}})
	want(t, "lease timetolive without keys", s.LeaseTimeToLive(&LeaseTimeToLiveRequest{ID: lease2}, later.Add(2500*time.Millisecond)),
		&LeaseTimeToLiveResponse{Header: hdr(24), ID: lease2, TTL: 27, GrantedTTL: 30})
	want(t, "lease leases", s.Leases(), &LeaseLeasesResponse{Header: hdr(24), Leases: []LeaseStatus{{ID: 1234}, {ID: lease1}, {ID: lease2}}})
	want(t, "lease revoke", apply(t, s, &Request{LeaseRevoke: &LeaseRevokeRequest{ID: lease2}}).LeaseRevoke,
		&LeaseRevokeResponse{Header: hdr(25)})
	want(t, "range lk1..lk3 after revoke", rangeReq(t, s, &RangeRequest{Key: b("lk1"), RangeEnd: b("lk3")}), &RangeResponse{Header: hdr(25)})
	want(t, "timetolive on the revoked lease", s.LeaseTimeToLive(&LeaseTimeToLiveRequest{ID: lease2, Keys: true}, later),
		&LeaseTimeToLiveResponse{Header: hdr(25), ID: lease2, TTL: -1})
	if _, err := s.Apply(&Request{LeaseRevoke: &LeaseRevokeRequest{ID: lease2}}); err != ErrLeaseNotFound || err.Error() != "requested lease not found" {
		t.Fatalf("revoke of a revoked lease: %v", err)
	}
	want(t, "revoke of a lease without keys", apply(t, s, &Request{LeaseRevoke: &LeaseRevokeRequest{ID: 1234}}).LeaseRevoke,
		&LeaseRevokeResponse{Header: hdr(25)})
	if _, err := s.Apply(&Request{Put: &PutRequest{Key: b("k"), Value: b("x"), Lease: lease2}}); err != ErrLeaseNotFound {
		t.Fatalf("put with a revoked lease: %v", err)
	}
	want(t, "lease grant TTL 0 is raised to the minimum", apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{TTL: 0, ID: 99}}).LeaseGrant,
		&LeaseGrantResponse{Header: hdr(25), ID: 99, TTL: 2})

	// ## /v3/watch
	put(t, s, "wk", "w0")
	w, created := s.Watch(WatchRequest{Key: b("wk")})
	want(t, "watch created", created, hdr(26))
	put(t, s, "wk", "w1")
	put(t, s, "other", "x")
	put(t, s, "wk", "w2")
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("wk")}})
	want(t, "watch a single key", drain(w), []WatchResponse{
		{Header: hdr(27), Events: []Event{{Kv: kv("wk", 26, 27, 2, "w1")}}},
		{Header: hdr(29), Events: []Event{{Kv: kv("wk", 26, 29, 3, "w2")}}},
		{Header: hdr(30), Events: []Event{{Type: EventDelete, Kv: KeyValue{Key: b("wk"), ModRevision: 30}}}},
	})

	put(t, s, "/wp/a", "p0")
	w, created = s.Watch(WatchRequest{Key: b("/wp/"), RangeEnd: b("/wp0"), StartRevision: 31, PrevKv: true})
	want(t, "watch prefix created", created, hdr(31))
	want(t, "watch prefix: history replay", drain(w), []WatchResponse{
		{Header: hdr(31), Events: []Event{{Kv: kv("/wp/a", 31, 31, 1, "p0")}}},
	})
	put(t, s, "/wp/a", "p1")
	put(t, s, "/wp/b", "q1")
	put(t, s, "/nope/c", "z")
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("/wp/a")}})
	want(t, "watch prefix: live events", drain(w), []WatchResponse{
		{Header: hdr(32), Events: []Event{{Kv: kv("/wp/a", 31, 32, 2, "p1"), PrevKv: kvp("/wp/a", 31, 31, 1, "p0")}}},
		{Header: hdr(33), Events: []Event{{Kv: kv("/wp/b", 33, 33, 1, "q1")}}},
		{Header: hdr(35), Events: []Event{{Type: EventDelete, Kv: KeyValue{Key: b("/wp/a"), ModRevision: 35}, PrevKv: kvp("/wp/a", 31, 32, 2, "p1")}}},
	})

	w, _ = s.Watch(WatchRequest{Key: b("/wf/"), RangeEnd: b("/wf0"), Filters: []WatchFilter{FilterNoDelete}})
	put(t, s, "/wf/a", "1")
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("/wf/a")}})
	put(t, s, "/wf/a", "2")
	want(t, "watch with NODELETE", drain(w), []WatchResponse{
		{Header: hdr(36), Events: []Event{{Kv: kv("/wf/a", 36, 36, 1, "1")}}},
		{Header: hdr(38), Events: []Event{{Kv: kv("/wf/a", 38, 38, 1, "2")}}},
	})

	wa, _ := s.Watch(WatchRequest{Key: b("multiA")})
	wb, _ := s.Watch(WatchRequest{Key: b("multiB")})
	wa.RequestProgress()
	want(t, "progress", drain(wa), []WatchResponse{{Header: hdr(38), ProgressNotify: true}})
	wb.Cancel()
	put(t, s, "multiA", "1")
	put(t, s, "multiB", "1")
	want(t, "multiA after cancel of B", drain(wa), []WatchResponse{{Header: hdr(39), Events: []Event{{Kv: kv("multiA", 39, 39, 1, "1")}}}})
	want(t, "canceled multiB", drain(wb), []WatchResponse(nil))

	w, created = s.Watch(WatchRequest{Key: b("foo"), StartRevision: 1})
	want(t, "watch at a compacted revision: created", created, hdr(40))
	want(t, "watch at a compacted revision", drain(w), []WatchResponse{{Canceled: true, CompactRevision: 5}})
}

// drain returns every response the watcher has for now.
func drain(w *Watcher) []WatchResponse {
	var out []WatchResponse
	for {
		resp, ok := w.Next()
		if !ok {
			return out
		}
		out = append(out, resp)
	}
}
