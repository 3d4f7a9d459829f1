package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// endpoint hashkv --rev hashes the store as it was at that revision, not
// as it is now: later writes leave it alone. A revision not written yet is
// refused with etcd's words.
func TestEndpointHashKVAtARevision(t *testing.T) {
	c := cluster(t)
	ep := "--endpoints=" + c.members[0].endpoint()
	hashAt := func(rev string) epHashKV {
		t.Helper()
		r := runCtl(t, baseEnviron(), "", ep, "endpoint", "hashkv", "--rev", rev, "-w", "json")
		var out []epHashKV
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || len(out) != 1 {
			t.Fatalf("endpoint hashkv --rev %s: %+v (%v)", rev, r, err)
		}
		return out[0]
	}
	c.run(t, "put", "hashkv-rev", "1")
	var got struct {
		Header struct{ Revision int64 } `json:"header"`
	}
	r := runCtl(t, baseEnviron(), "", ep, "get", "hashkv-rev", "-w", "json")
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Header.Revision == 0 {
		t.Fatalf("get -w json: %+v (%v)", r, err)
	}
	rev := fmt.Sprint(got.Header.Revision)
	then := hashAt(rev)
	if then.Resp.HashRevision != got.Header.Revision {
		t.Fatalf("hashkv --rev %s hashed revision %d", rev, then.Resp.HashRevision)
	}
	c.run(t, "put", "hashkv-rev", "2")
	if again := hashAt(rev); again.Resp.Hash != then.Resp.Hash {
		t.Fatalf("hashkv --rev %s moved with a later write: %d, then %d", rev, again.Resp.Hash, then.Resp.Hash)
	}
	if now := hashAt("0"); now.Resp.HashRevision <= got.Header.Revision || now.Resp.Hash == then.Resp.Hash {
		t.Fatalf("hashkv now: %+v; at %s: %+v", now.Resp, rev, then.Resp)
	}
	r = runCtl(t, baseEnviron(), "", ep, "endpoint", "hashkv", "--rev", "1000000000")
	if r.code == 0 || !strings.Contains(r.stderr, "etcdserver: mvcc: required revision is a future revision") {
		t.Fatalf("hashkv at a future revision: %+v", r)
	}
}
