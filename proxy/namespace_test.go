package proxy

import (
	"testing"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"pgregory.net/rapid"
)

// Through a proxy with --namespace, a client sees a keyspace of its own:
// what it writes lands under the prefix, what it reads, watches, or finds
// attached to a lease comes without it, and nothing outside is visible.
func TestNamespaceIsAKeyspaceOfItsOwn(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, func(cfg *Config) { cfg.Namespace = "/tenant-a/" })
	conn := grpcConn(t, p.addr)
	kvc := pb.NewKVClient(conn)
	member := pb.NewKVClient(grpcConn(t, c.endpoints()[0]))
	put(t, member, "/outside", "x")
	put(t, member, "/tenant-b/k", "x")

	s := openWatch(t, conn)
	s.created(&pb.WatchCreateRequest{Key: []byte{0}, RangeEnd: []byte{0}, PrevKv: true})

	lease, err := pb.NewLeaseClient(conn).LeaseGrant(ctxFor(t), &pb.LeaseGrantRequest{TTL: 60})
	require.NoError(t, err)
	_, err = kvc.Put(ctxFor(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("1"), Lease: lease.ID})
	require.NoError(t, err)
	put(t, member, "/tenant-b/also-on-the-lease", "x")
	_, err = member.Put(ctxFor(t), &pb.PutRequest{Key: []byte("/tenant-b/leased"), Value: []byte("x"), Lease: lease.ID})
	require.NoError(t, err)

	stored, err := member.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("/tenant-a/k")})
	require.NoError(t, err)
	require.Len(t, stored.Kvs, 1, "the key lives under the prefix in the cluster")

	all, err := kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}})
	require.NoError(t, err)
	require.Len(t, all.Kvs, 1)
	require.Equal(t, "k", string(all.Kvs[0].Key))

	ev := s.next()
	require.Len(t, ev.Events, 1)
	require.Equal(t, "k", string(ev.Events[0].Kv.Key), "the watch sees the client's key")

	ttl, err := pb.NewLeaseClient(conn).LeaseTimeToLive(ctxFor(t), &pb.LeaseTimeToLiveRequest{ID: lease.ID, Keys: true})
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("k")}, ttl.Keys, "only the lease's keys in the namespace, without the prefix")

	txn, err := kvc.Txn(ctxFor(t), &pb.TxnRequest{
		Compare: []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_VALUE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_Value{Value: []byte("1")}}},
		Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("k"), Value: []byte("2"), PrevKv: true}}}},
	})
	require.NoError(t, err)
	require.True(t, txn.Succeeded)
	require.Equal(t, "k", string(txn.Responses[0].GetResponsePut().PrevKv.Key))
	ev = s.next()
	require.Equal(t, "k", string(ev.Events[0].PrevKv.Key))

	del, err := kvc.DeleteRange(ctxFor(t), &pb.DeleteRangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, PrevKv: true})
	require.NoError(t, err)
	require.Equal(t, int64(1), del.Deleted, "deleting everything deletes the namespace's keys only")
	outside, err := member.Range(ctxFor(t), &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true})
	require.NoError(t, err)
	require.Equal(t, int64(4), outside.Count, "the four keys outside the namespace are left")

	// An empty key is refused as a member refuses it (prefixed, it would
	// name the prefix itself).
	_, err = kvc.Put(ctxFor(t), &pb.PutRequest{Value: []byte("v")})
	require.ErrorContains(t, err, "key is not provided")
}

// prefixEnd is the first key past every key with the prefix.
func TestPrefixEndBoundsEveryKeyWithThePrefix(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prefix := rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 'a', 0xfe, 0xff}), 1, 4).Draw(t, "prefix")
		suffix := rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 'a', 0xfe, 0xff}), 0, 4).Draw(t, "suffix")
		end := prefixEnd(prefix)
		key := append(append([]byte{}, prefix...), suffix...)
		if !newInterval(prefix, end).contains(key) {
			t.Fatalf("%q is outside [%q, %q)", key, prefix, end)
		}
		other := rapid.SliceOfN(rapid.SampledFrom([]byte{0, 1, 'a', 0xfe, 0xff}), 0, 6).Draw(t, "other")
		if newInterval(prefix, end).contains(other) != (len(other) >= len(prefix) && string(other[:len(prefix)]) == string(prefix)) {
			t.Fatalf("[%q, %q) and the prefix disagree on %q", prefix, end, other)
		}
	})
}
