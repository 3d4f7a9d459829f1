package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// The golden tests feed each printer the answers etcd gave in the transcript
// testdata/etcdctl.md (a verbatim copy of shared/reference/etcdctl.md,
// taken with etcdctl 3.7.3), with the transcript's own IDs and revisions,
// and compare what it prints with what etcdctl printed, byte for byte.

// block is one command of the transcript and what etcdctl printed.
type block struct {
	cmd, out string
}

// transcriptBlocks reads the transcript's commands in order.
func transcriptBlocks(t *testing.T) []block {
	t.Helper()
	data, err := os.ReadFile("testdata/etcdctl.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	for _, b := range strings.Split(string(data), "```\n$ ")[1:] {
		cmd, rest, _ := strings.Cut(b, "\n")
		body, _, _ := strings.Cut(rest, "```")
		out = append(out, block{cmd, body})
	}
	return out
}

// transcript maps each command of the transcript ("etcdctl get /testdir
// --prefix") to the outputs recorded for it, in order.
func transcript(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, b := range transcriptBlocks(t) {
		out[b.cmd] = append(out[b.cmd], b.out)
	}
	return out
}

// golden returns the output recorded for cmd (the n-th time it ran).
func golden(t *testing.T, cmd string, n int) string {
	t.Helper()
	outs := transcript(t)[cmd]
	if n >= len(outs) {
		t.Fatalf("the transcript has no run %d of %q", n, cmd)
	}
	return outs[n]
}

// render prints with a format's printer, as the commands do.
func render(t *testing.T, format string, print func(p printer) error) string {
	t.Helper()
	var out, errOut bytes.Buffer
	p := newPrinter(format, &out, &errOut, false)
	if err := print(p); err != nil {
		t.Fatalf("-w %s: %v", format, err)
	}
	return out.String() + errOut.String()
}

func checkGolden(t *testing.T, cmd string, n int, got string) {
	t.Helper()
	if diff := cmp.Diff(golden(t, cmd, n), got); diff != "" {
		t.Errorf("%s: output differs from etcdctl's (-etcdctl +raftkvctl):\n%s", cmd, diff)
	}
}

// The transcript's cluster.
const (
	clusterID = 6144732275940434137
	m1        = 17372143569834000390 // f1164089030ac006
	m2        = 8515488777155695451  // 762d17ed0330d35b
	m3        = 15520068378837982759 // d7625bf632691e27
	leaseID   = 0x535ba20c03067310
)

func hdr(member uint64, rev int64) *wire.ResponseHeader {
	return &wire.ResponseHeader{ClusterID: clusterID, MemberID: member, Revision: rev, RaftTerm: 2}
}

func kv(key, value string, create, mod, version int64) wire.KeyValue {
	return wire.KeyValue{Key: []byte(key), Value: []byte(value), CreateRevision: create, ModRevision: mod, Version: version}
}

var (
	testkey  = kv("/testdir/testkey", "Hello world", 2, 2, 1)
	testkey2 = kv("/testdir/testkey2", "Hello again", 3, 3, 1)
	key3     = kv("/testdir/sub/key3", "nested", 4, 4, 1)
)

func TestGoldenGetAndPut(t *testing.T) {
	prefix := &client.GetResponse{Header: hdr(m3, 4), Kvs: []wire.KeyValue{key3, testkey, testkey2}, Count: 3}
	checkGolden(t, "etcdctl get /testdir/testkey", 0, render(t, "simple", func(p printer) error {
		return p.Get(&client.GetResponse{Header: hdr(m1, 4), Kvs: []wire.KeyValue{testkey}, Count: 1})
	}))
	checkGolden(t, "etcdctl get /testdir --prefix", 0, render(t, "simple", func(p printer) error { return p.Get(prefix) }))
	checkGolden(t, "etcdctl get /testdir --prefix -w json", 0, render(t, "json", func(p printer) error { return p.Get(prefix) }))

	keysOnly := &client.GetResponse{Header: hdr(m3, 4), Count: 3}
	for _, k := range prefix.Kvs {
		k.Value = nil
		keysOnly.Kvs = append(keysOnly.Kvs, k)
	}
	checkGolden(t, "etcdctl get /testdir --prefix --keys-only", 0, render(t, "simple", func(p printer) error { return p.Get(keysOnly) }))

	one := &client.GetResponse{Header: hdr(m1, 4), Kvs: []wire.KeyValue{testkey}, Count: 1}
	checkGolden(t, "etcdctl get /testdir/testkey -w json", 0, render(t, "json", func(p printer) error { return p.Get(one) }))
	one.Header = hdr(m2, 4)
	checkGolden(t, "etcdctl get /testdir/testkey -w fields", 0, render(t, "fields", func(p printer) error { return p.Get(one) }))

	var valueOnly bytes.Buffer
	sp := &simplePrinter{w: &valueOnly, valueOnly: true}
	sp.Get(one)
	checkGolden(t, "etcdctl get /testdir/testkey --print-value-only", 0, valueOnly.String())

	none := &client.GetResponse{Header: hdr(m1, 4)}
	checkGolden(t, "etcdctl get /nonexistent", 0, render(t, "simple", func(p printer) error { return p.Get(none) }))
	checkGolden(t, "etcdctl get /nonexistent -w json", 0, render(t, "json", func(p printer) error { return p.Get(none) }))

	count := &client.GetResponse{Header: hdr(m3, 5), Count: 3}
	checkGolden(t, "etcdctl get /testdir --prefix --count-only -w fields", 0, render(t, "fields", func(p printer) error { return p.Get(count) }))

	checkGolden(t, "etcdctl put /testdir/testkey \"Hello world\"", 0, render(t, "simple", func(p printer) error {
		return p.Put(&client.PutResponse{Header: hdr(m1, 2)})
	}))
	checkGolden(t, "etcdctl put /testdir/testkey \"Hello world v2\" --prev-kv", 0, render(t, "simple", func(p printer) error {
		return p.Put(&client.PutResponse{Header: hdr(m1, 5), PrevKV: &testkey})
	}))

	leased := kv("/leased/key", "lives 60s", 14, 14, 1)
	leased.Lease = leaseID
	checkGolden(t, "etcdctl get /leased/key -w json", 0, render(t, "json", func(p printer) error {
		return p.Get(&client.GetResponse{Header: hdr(m1, 14), Kvs: []wire.KeyValue{leased}, Count: 1})
	}))
}

func TestGoldenDel(t *testing.T) {
	checkGolden(t, "etcdctl del /test --prefix", 0, render(t, "simple", func(p printer) error {
		return p.Del(&client.DeleteResponse{Header: hdr(m1, 6), Deleted: 3})
	}))
	checkGolden(t, "etcdctl del /test --prefix", 1, render(t, "simple", func(p printer) error {
		return p.Del(&client.DeleteResponse{Header: hdr(m1, 6)})
	}))
	// "put k1 v1 && del k1 --prev-kv": the put's OK, then the delete.
	got := render(t, "simple", func(p printer) error {
		p.Put(&client.PutResponse{Header: hdr(m1, 7)})
		return p.Del(&client.DeleteResponse{Header: hdr(m1, 8), Deleted: 1, PrevKVs: []wire.KeyValue{kv("k1", "v1", 7, 7, 1)}})
	})
	checkGolden(t, "etcdctl put k1 v1 && etcdctl del k1 --prev-kv", 0, got)
}

func TestGoldenWatch(t *testing.T) {
	events := []wire.Event{
		{Type: wire.EventPut, Kv: ptr(kv("key1", "value1", 9, 9, 1))},
		{Type: wire.EventPut, Kv: ptr(kv("key1", "value2", 9, 10, 2))},
		{Type: wire.EventDelete, Kv: &wire.KeyValue{Key: []byte("key1"), ModRevision: 11}},
	}
	got := render(t, "simple", func(p printer) error {
		for i := range events {
			if err := p.Watch(&client.WatchResponse{WatchResponse: wire.WatchResponse{Header: hdr(m1, int64(9+i)), Events: events[i : i+1]}}); err != nil {
				return err
			}
		}
		return nil
	})
	want := golden(t, "etcdctl watch key1", 0)
	want = want[:strings.Index(want, "PUT")] // the annotations of the other shell
	want = golden(t, "etcdctl watch key1", 0)[len(want):]
	want = strings.TrimSuffix(want, "[watch ended by timeout, exit code 124]\n")
	if got != want {
		t.Errorf("watch: got\n%s\nwant\n%s", got, want)
	}

	a1, a2 := kv("/testw/a", "1", 12, 12, 1), kv("/testw/a", "2", 12, 13, 2)
	got = render(t, "json", func(p printer) error {
		p.Watch(&client.WatchResponse{WatchResponse: wire.WatchResponse{Header: hdr(m3, 12), Events: []wire.Event{{Kv: &a1}}}})
		return p.Watch(&client.WatchResponse{WatchResponse: wire.WatchResponse{Header: hdr(m3, 13), Events: []wire.Event{{Kv: &a2, PrevKV: &a1}}}})
	})
	want = golden(t, "etcdctl watch /testw --prefix --prev-kv -w json", 0)
	want = want[strings.Index(want, "{"):strings.Index(want, "[watch ended")]
	if got != want {
		t.Errorf("watch -w json: got\n%s\nwant\n%s", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestGoldenTxn(t *testing.T) {
	checkGolden(t, `printf 'value("user1") = "bad"\n\ndel user1\n\nput result failed\n\n' | etcdctl txn`, 0,
		render(t, "simple", func(p printer) error {
			return p.Txn(&client.TxnResponse{Header: hdr(m1, 16), Succeeded: true,
				Responses: []wire.ResponseOp{{ResponseDeleteRange: &client.DeleteResponse{Header: &wire.ResponseHeader{Revision: 16}, Deleted: 1}}}})
		}))
	checkGolden(t, `printf 'value("user1") = "bad"\n\ndel user1\n\nput result failed\n\n' | etcdctl txn`, 1,
		render(t, "simple", func(p printer) error {
			return p.Txn(&client.TxnResponse{Header: hdr(m1, 17),
				Responses: []wire.ResponseOp{{ResponsePut: &client.PutResponse{Header: &wire.ResponseHeader{Revision: 17}}}}})
		}))
	checkGolden(t, `printf 'mod("user1") > "0"\n\nput x 1\n\nget result\n\n' | etcdctl txn -w json`, 0,
		render(t, "json", func(p printer) error {
			return p.Txn(&client.TxnResponse{Header: hdr(m3, 18), Responses: []wire.ResponseOp{{ResponseRange: &client.GetResponse{
				Header: &wire.ResponseHeader{Revision: 18}, Kvs: []wire.KeyValue{kv("result", "failed", 18, 18, 1)}, Count: 1}}}})
		}))
}

func TestGoldenLease(t *testing.T) {
	checkGolden(t, "etcdctl lease grant 60", 0, render(t, "simple", func(p printer) error {
		return p.Grant(&client.LeaseGrantResponse{Header: hdr(m1, 13), ID: leaseID, TTL: 60})
	}))
	checkGolden(t, "etcdctl lease grant 0", 0, render(t, "simple", func(p printer) error {
		return p.Grant(&client.LeaseGrantResponse{Header: hdr(m1, 13), ID: leaseID + 3, TTL: 2})
	}))
	ttl := &client.LeaseTimeToLiveResponse{Header: hdr(m1, 14), ID: leaseID, TTL: 59, GrantedTTL: 60, Keys: [][]byte{[]byte("/leased/key")}}
	checkGolden(t, "etcdctl lease timetolive 535ba20c03067310 --keys", 0, render(t, "simple", func(p printer) error { return p.TimeToLive(ttl, true) }))
	checkGolden(t, "etcdctl lease timetolive 535ba20c03067310", 0, render(t, "simple", func(p printer) error { return p.TimeToLive(ttl, false) }))
	checkGolden(t, "etcdctl lease timetolive 535ba20c03067310", 1, render(t, "simple", func(p printer) error {
		return p.TimeToLive(&client.LeaseTimeToLiveResponse{Header: hdr(m1, 15), ID: leaseID, TTL: -1}, false)
	}))
	checkGolden(t, "etcdctl lease list", 0, render(t, "simple", func(p printer) error {
		return p.Leases(&client.LeaseLeasesResponse{Header: hdr(m1, 14), Leases: []wire.LeaseStatus{{ID: leaseID}}})
	}))
	checkGolden(t, "etcdctl lease keep-alive --once 535ba20c03067310", 0, render(t, "simple", func(p printer) error {
		return p.KeepAlive(&client.LeaseKeepAliveResponse{Header: hdr(m1, 14), ID: leaseID, TTL: 60})
	}))
	checkGolden(t, "etcdctl lease revoke 535ba20c03067310", 0, render(t, "simple", func(p printer) error {
		return p.Revoke(leaseID, &client.LeaseRevokeResponse{Header: hdr(m1, 15)})
	}))
}

// etcdctl's JSON for the lease answers inlines the header (clientv3's
// structs embed it) and uses their own field names.
func TestLeaseJSON(t *testing.T) {
	tests := []struct {
		print func(p printer) error
		want  string
	}{
		{func(p printer) error {
			return p.Grant(&client.LeaseGrantResponse{Header: hdr(m1, 13), ID: leaseID, TTL: 60})
		},
			`{"cluster_id":6144732275940434137,"member_id":17372143569834000390,"revision":13,"raft_term":2,"ID":6006572700502749968,"TTL":60,"Error":""}`},
		{func(p printer) error {
			return p.TimeToLive(&client.LeaseTimeToLiveResponse{Header: hdr(m1, 14), ID: leaseID, TTL: 59, GrantedTTL: 60}, false)
		}, `{"cluster_id":6144732275940434137,"member_id":17372143569834000390,"revision":14,"raft_term":2,"id":6006572700502749968,"ttl":59,"granted-ttl":60,"keys":null}`},
		{func(p printer) error {
			return p.Leases(&client.LeaseLeasesResponse{Header: hdr(m1, 14), Leases: []wire.LeaseStatus{{ID: leaseID}}})
		}, `{"cluster_id":6144732275940434137,"member_id":17372143569834000390,"revision":14,"raft_term":2,"leases":[{"id":6006572700502749968}]}`},
		{func(p printer) error { return p.Revoke(leaseID, &client.LeaseRevokeResponse{Header: hdr(m1, 15)}) },
			`{"header":{"cluster_id":6144732275940434137,"member_id":17372143569834000390,"revision":15,"raft_term":2}}`},
	}
	for _, tt := range tests {
		if got := render(t, "json", tt.print); got != tt.want+"\n" {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

var members = &client.MemberListResponse{
	Header: &wire.ResponseHeader{ClusterID: clusterID, MemberID: m1, RaftTerm: 2},
	Members: []wire.Member{
		{ID: m2, Name: "m2", PeerURLs: []string{"http://127.0.0.1:22390"}, ClientURLs: []string{"http://127.0.0.1:22389"}},
		{ID: m3, Name: "m3", PeerURLs: []string{"http://127.0.0.1:22400"}, ClientURLs: []string{"http://127.0.0.1:22399"}},
		{ID: m1, Name: "m1", PeerURLs: []string{"http://127.0.0.1:22380"}, ClientURLs: []string{"http://127.0.0.1:22379"}},
	},
}

// member list is etcdctl's, column for column, in every format: a script
// written for etcdctl that cuts fields by position must find its fields
// (an IS LEADER column raftkvctl used to add broke that).
func TestGoldenMemberList(t *testing.T) {
	checkGolden(t, "etcdctl member list", 0, render(t, "simple", func(p printer) error { return p.MemberList(members) }))
	checkGolden(t, "etcdctl member list -w table", 0, render(t, "table", func(p printer) error { return p.MemberList(members) }))
	checkGolden(t, "etcdctl member list -w json", 0, render(t, "json", func(p printer) error { return p.MemberList(members) }))
}

func status(ep string, member uint64) epStatus {
	return epStatus{Ep: ep, Resp: &client.StatusResponse{
		Header: hdr(member, 13), Version: "3.7.3", DbSize: 20480, Leader: m1,
		RaftIndex: 21, RaftTerm: 2, RaftAppliedIndex: 21, DbSizeInUse: 16384,
		StorageVersion: "3.7.0", DbSizeQuota: 2147483648, DowngradeInfo: &wire.DowngradeInfo{},
	}}
}

func TestGoldenEndpoint(t *testing.T) {
	list := []epStatus{status("127.0.0.1:22379", m1), status("127.0.0.1:22389", m2), status("127.0.0.1:22399", m3)}
	checkGolden(t, "etcdctl endpoint status -w table", 0, render(t, "table", func(p printer) error { return p.EndpointStatus(list) }))
	cluster := []epStatus{status("http://127.0.0.1:22389", m2), status("http://127.0.0.1:22399", m3), status("http://127.0.0.1:22379", m1)}
	checkGolden(t, "etcdctl endpoint status --cluster -w table", 0, render(t, "table", func(p printer) error { return p.EndpointStatus(cluster) }))
	checkGolden(t, "env -u ETCDCTL_ENDPOINTS etcdctl endpoint status --endpoints=127.0.0.1:22379 -w json", 0,
		render(t, "json", func(p printer) error { return p.EndpointStatus(list[:1]) }))

	health := []epHealth{
		{Ep: "127.0.0.1:22399", Health: true, Took: "3.540148ms"},
		{Ep: "127.0.0.1:22389", Health: true, Took: "3.546051ms"},
		{Ep: "127.0.0.1:22379", Health: true, Took: "3.842719ms"},
	}
	checkGolden(t, "etcdctl endpoint health", 0, render(t, "simple", func(p printer) error { return p.EndpointHealth(health) }))
	health = []epHealth{
		{Ep: "127.0.0.1:22389", Health: true, Took: "4.217833ms"},
		{Ep: "127.0.0.1:22399", Health: true, Took: "4.402998ms"},
		{Ep: "127.0.0.1:22379", Health: true, Took: "8.590842ms"},
	}
	checkGolden(t, "etcdctl endpoint health -w table", 0, render(t, "table", func(p printer) error { return p.EndpointHealth(health) }))

	var hashes []epHashKV
	for _, ep := range []string{"127.0.0.1:22379", "127.0.0.1:22389", "127.0.0.1:22399"} {
		hashes = append(hashes, epHashKV{Ep: ep, Resp: &client.HashKVResponse{Header: hdr(m1, 13), Hash: 3967981376, HashRevision: 13}})
	}
	checkGolden(t, "etcdctl endpoint hashkv -w table", 0, render(t, "table", func(p printer) error { return p.EndpointHashKV(hashes) }))
}

// What etcdctl prints beyond the transcript, from its printers' code.
func TestPrintersBeyondTheTranscript(t *testing.T) {
	added := &client.MemberAddResponse{Header: hdr(m1, 0), Member: &wire.Member{ID: 0xc79d89ca8279b1a7, PeerURLs: []string{"http://x:2380"}, IsLearner: true}}
	tests := []struct {
		format string
		print  func(p printer) error
		want   string
	}{
		{"simple", func(p printer) error { return p.MemberAdd(added) },
			"Member c79d89ca8279b1a7 added as learner to cluster 55467972e34ea0d9\n"},
		{"simple", func(p printer) error { return p.MemberRemove(0xab, &client.MemberRemoveResponse{Header: hdr(m1, 0)}) },
			"Member               ab removed from cluster 55467972e34ea0d9\n"},
		{"simple", func(p printer) error { return p.MemberPromote(m2, &client.MemberPromoteResponse{Header: hdr(m1, 0)}) },
			"Member 762d17ed0330d35b promoted in cluster 55467972e34ea0d9\n"},
		{"simple", func(p printer) error {
			return p.EndpointHealth([]epHealth{{Ep: "127.0.0.1:1", Took: "5s", Error: "context deadline exceeded"}})
		}, "127.0.0.1:1 is unhealthy: failed to commit proposal: context deadline exceeded\n"},
		{"json", func(p printer) error { return p.EndpointHealth([]epHealth{{Ep: "a", Health: true, Took: "1ms"}}) },
			`[{"endpoint":"a","health":true,"took":"1ms"}]` + "\n"},
		{"simple", func(p printer) error {
			return p.Watch(&client.WatchResponse{WatchResponse: wire.WatchResponse{Header: hdr(m1, 3),
				Events: []wire.Event{{Type: wire.EventDelete, Kv: ptr(kv("k", "", 0, 3, 0)), PrevKV: ptr(kv("k", "v", 2, 2, 1))}}}})
		}, "DELETE\nk\nv\nk\n\n"},
		{"json", func(p printer) error {
			return p.Watch(&client.WatchResponse{WatchResponse: wire.WatchResponse{Header: hdr(m1, 3),
				Events: []wire.Event{{Type: wire.EventDelete, Kv: &wire.KeyValue{Key: []byte("k"), ModRevision: 3}}}}})
		}, `{"Header":{"cluster_id":6144732275940434137,"member_id":17372143569834000390,"revision":3,"raft_term":2},"Events":[{"type":1,"kv":{"key":"aw==","mod_revision":3}}],"CompactRevision":0,"Canceled":false,"Created":false,"CancelReason":""}` + "\n"},
		{"fields", func(p printer) error {
			return p.Txn(&client.TxnResponse{Header: hdr(m1, 5), Succeeded: true,
				Responses: []wire.ResponseOp{{ResponsePut: &client.PutResponse{Header: &wire.ResponseHeader{Revision: 5}}}}})
		}, "\"ClusterID\" : 6144732275940434137\n\"MemberID\" : 17372143569834000390\n\"Revision\" : 5\n\"RaftTerm\" : 2\n\"Succeeded\" : true\n" +
			"\"ClusterID\" : 0\n\"MemberID\" : 0\n\"Revision\" : 5\n\"RaftTerm\" : 0\n"},
	}
	for i, tt := range tests {
		if got := render(t, tt.format, tt.print); got != tt.want {
			t.Errorf("%d (-w %s): got\n%q\nwant\n%q", i, tt.format, got, tt.want)
		}
	}
}

func TestHexAndUnsupportedFormats(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter("simple", &out, &out, true)
	p.Get(&client.GetResponse{Kvs: []wire.KeyValue{kv("k\x01", "é", 1, 1, 1)}})
	if want := "\\x6b\\x01\n\\xc3\\xa9\n"; out.String() != want {
		t.Errorf("--hex: %q, want %q", out.String(), want)
	}
	err := newPrinter("table", &out, &out, false).Get(&client.GetResponse{})
	if err == nil || err.Error() != "table not supported as output format" || exitCode(err) != exitBadFeature {
		t.Errorf("get -w table: %v (exit %d)", err, exitCode(err))
	}
	if newPrinter("protobuf", &out, &out, false) != nil {
		t.Error("-w protobuf should be an unsupported format")
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 9: "9 B", 10: "10 B", 999: "999 B", 1000: "1.0 kB", 16384: "16 kB",
		20480: "20 kB", 2147483648: "2.1 GB", 999999: "1000 kB", 1 << 62: "4.6 EB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := notInUse(0, 0); got != "0%" {
		t.Errorf("notInUse of an empty database: %q", got)
	}
}
