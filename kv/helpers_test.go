package kv

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// b turns a string into the []byte the API takes.
func b(s string) []byte { return []byte(s) }

// apply applies req and fails the test on error.
func apply(t testing.TB, s *Store, req *Request) Response {
	t.Helper()
	resp, err := s.Apply(req)
	if err != nil {
		t.Fatalf("Apply(%+v): %v", req, err)
	}
	return resp
}

func put(t testing.TB, s *Store, key, value string) *PutResponse {
	t.Helper()
	return apply(t, s, &Request{Put: &PutRequest{Key: b(key), Value: b(value)}}).Put
}

func rangeReq(t testing.TB, s *Store, r *RangeRequest) *RangeResponse {
	t.Helper()
	resp, err := s.Range(r)
	if err != nil {
		t.Fatalf("Range(%+v): %v", r, err)
	}
	return resp
}

// want compares got with want and reports the difference.
func want(t interface {
	Helper()
	Errorf(string, ...any)
}, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: mismatch (-want +got):\n%s", what, d)
	}
}

// kv builds an expected KeyValue.
func kv(key string, create, mod, ver int64, value string) KeyValue {
	k := KeyValue{Key: b(key), CreateRevision: create, ModRevision: mod, Version: ver}
	if value != "" {
		k.Value = b(value)
	}
	return k
}

func kvp(key string, create, mod, ver int64, value string) *KeyValue {
	k := kv(key, create, mod, ver, value)
	return &k
}

func hdr(rev int64) ResponseHeader { return ResponseHeader{Revision: rev} }
