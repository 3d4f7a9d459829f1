package compat

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// keys lists the keys of kvs, in order.
func keys(kvs []*mvccpb.KeyValue) []string {
	out := []string{}
	for _, kv := range kvs {
		out = append(out, string(kv.Key))
	}
	return out
}

// revisionOf puts key=value and returns the revision the put created.
func revisionOf(t *testing.T, cli *clientv3.Client, key, value string, opts ...clientv3.OpOption) int64 {
	t.Helper()
	resp, err := cli.Put(callCtx(t), key, value, opts...)
	require.NoError(t, err, "put %s", key)
	return resp.Header.Revision
}

// Every option of Get that etcdctl's get flags and the tutorial use, as
// clientv3 sends it: ranges, limits, old revisions, sorting, keys or counts
// only, serializable reads, and the revision filters.
func TestKV_GetOptions(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	rA1 := revisionOf(t, cli, "/kv/a", "1")
	rB := revisionOf(t, cli, "/kv/b", "22")
	rC := revisionOf(t, cli, "/kv/c", "333")
	rA2 := revisionOf(t, cli, "/kv/a", "1111") // a: version 2
	revisionOf(t, cli, "/kw", "after the prefix")

	get := func(key string, opts ...clientv3.OpOption) *clientv3.GetResponse {
		t.Helper()
		resp, err := cli.Get(callCtx(t), key, opts...)
		require.NoError(t, err, "get %q", key)
		return resp
	}

	one := get("/kv/a")
	require.Len(t, one.Kvs, 1)
	a := one.Kvs[0]
	assert.Equal(t, "1111", string(a.Value))
	assert.Equal(t, []int64{2, rA1, rA2}, []int64{a.Version, a.CreateRevision, a.ModRevision}, "version, create and mod revision")
	assert.Equal(t, int64(1), one.Count)
	assert.False(t, one.More)
	assert.Equal(t, rA2+1, one.Header.Revision, "the header's revision is the store's")
	assert.NotZero(t, one.Header.ClusterId)
	assert.NotZero(t, one.Header.MemberId)
	assert.NotZero(t, one.Header.RaftTerm)

	missing := get("/kv/none")
	assert.Empty(t, missing.Kvs)
	assert.Zero(t, missing.Count)

	for _, tc := range []struct {
		name  string
		key   string
		opts  []clientv3.OpOption
		want  []string
		count int64
		more  bool
	}{
		{"prefix", "/kv/", []clientv3.OpOption{clientv3.WithPrefix()}, []string{"/kv/a", "/kv/b", "/kv/c"}, 3, false},
		{"from key", "/kv/b", []clientv3.OpOption{clientv3.WithFromKey()}, []string{"/kv/b", "/kv/c", "/kw"}, 3, false},
		{"range", "/kv/a", []clientv3.OpOption{clientv3.WithRange("/kv/c")}, []string{"/kv/a", "/kv/b"}, 2, false},
		{"every key", "", []clientv3.OpOption{clientv3.WithPrefix()}, []string{"/kv/a", "/kv/b", "/kv/c", "/kw"}, 4, false},
		{"limit", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithLimit(2)}, []string{"/kv/a", "/kv/b"}, 3, true},
		{"limit as large as the range", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithLimit(3)}, []string{"/kv/a", "/kv/b", "/kv/c"}, 3, false},
		{"sort by key, descending", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}, []string{"/kv/c", "/kv/b", "/kv/a"}, 3, false},
		{"sort by value", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortAscend)}, []string{"/kv/a", "/kv/b", "/kv/c"}, 3, false},
		{"sort by value, descending", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortDescend)}, []string{"/kv/c", "/kv/b", "/kv/a"}, 3, false},
		{"sort by mod revision", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend)}, []string{"/kv/b", "/kv/c", "/kv/a"}, 3, false},
		{"sort by create revision, descending", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend)}, []string{"/kv/c", "/kv/b", "/kv/a"}, 3, false},
		{"sort by version, descending, limit 1", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByVersion, clientv3.SortDescend), clientv3.WithLimit(1)}, []string{"/kv/a"}, 3, true},
		{"sort, limited after sorting", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(2)}, []string{"/kv/c", "/kv/b"}, 3, true},
		{"first key", "/kv/", clientv3.WithFirstKey(), []string{"/kv/a"}, 3, true},
		{"last key", "/kv/", clientv3.WithLastKey(), []string{"/kv/c"}, 3, true},
		{"first created", "/kv/", clientv3.WithFirstCreate(), []string{"/kv/a"}, 3, true},
		{"last created", "/kv/", clientv3.WithLastCreate(), []string{"/kv/c"}, 3, true},
		{"first modified", "/kv/", clientv3.WithFirstRev(), []string{"/kv/b"}, 3, true},
		{"last modified", "/kv/", clientv3.WithLastRev(), []string{"/kv/a"}, 3, true},
		{"min mod revision", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithMinModRev(rC)}, []string{"/kv/a", "/kv/c"}, 3, false},
		{"max mod revision", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithMaxModRev(rC)}, []string{"/kv/b", "/kv/c"}, 3, false},
		{"min create revision", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithMinCreateRev(rB)}, []string{"/kv/b", "/kv/c"}, 3, false},
		{"max create revision", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithMaxCreateRev(rA1)}, []string{"/kv/a"}, 3, false},
		{"serializable", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSerializable()}, []string{"/kv/a", "/kv/b", "/kv/c"}, 3, false},
		{"at an old revision", "/kv/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(rB)}, []string{"/kv/a", "/kv/b"}, 2, false},
	} {
		// The count is of the keys in the range, before the revision
		// filters drop any (as etcd counts).
		t.Run(tc.name, func(t *testing.T) {
			resp := get(tc.key, tc.opts...)
			assert.Equal(t, tc.want, keys(resp.Kvs))
			assert.Equal(t, tc.count, resp.Count, "count")
			assert.Equal(t, tc.more, resp.More, "more")
		})
	}

	t.Run("an old revision's values", func(t *testing.T) {
		resp := get("/kv/a", clientv3.WithRev(rB))
		require.Len(t, resp.Kvs, 1)
		assert.Equal(t, "1", string(resp.Kvs[0].Value))
		assert.Equal(t, int64(1), resp.Kvs[0].Version)
		assert.Equal(t, rA2+1, resp.Header.Revision, "the header's revision is the store's, not the one read")
	})
	t.Run("keys only", func(t *testing.T) {
		resp := get("/kv/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		assert.Equal(t, []string{"/kv/a", "/kv/b", "/kv/c"}, keys(resp.Kvs))
		for _, kv := range resp.Kvs {
			assert.Empty(t, kv.Value, "%s's value", kv.Key)
			assert.NotZero(t, kv.ModRevision, "%s's mod revision", kv.Key)
		}
	})
	t.Run("count only", func(t *testing.T) {
		resp := get("/kv/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		assert.Empty(t, resp.Kvs)
		assert.Equal(t, int64(3), resp.Count)
	})
	t.Run("a future revision", func(t *testing.T) {
		_, err := cli.Get(callCtx(t), "/kv/a", clientv3.WithRev(rA2+100))
		assert.ErrorIs(t, err, rpctypes.ErrFutureRev)
	})
	t.Run("from every member", func(t *testing.T) {
		for _, m := range c.members {
			resp, err := c.client(m.clientURL).Get(callCtx(t), "/kv/", clientv3.WithPrefix(), clientv3.WithSerializable())
			require.NoError(t, err)
			if len(resp.Kvs) != 3 {
				// A follower's serializable read may lag; a linearizable
				// one may not.
				resp, err = c.client(m.clientURL).Get(callCtx(t), "/kv/", clientv3.WithPrefix())
				require.NoError(t, err)
			}
			assert.Equal(t, []string{"/kv/a", "/kv/b", "/kv/c"}, keys(resp.Kvs), "from %s", m.name)
		}
	})
}

// Put's options: the previous value back, a lease, and keeping the value or
// the lease while changing the other; and the errors etcd gives for each
// misuse, as clientv3's error values.
func TestKV_PutOptions(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	r1 := revisionOf(t, cli, "k", "v1")

	resp, err := cli.Put(callCtx(t), "k", "v2", clientv3.WithPrevKV())
	require.NoError(t, err)
	require.NotNil(t, resp.PrevKv)
	assert.Equal(t, "v1", string(resp.PrevKv.Value))
	assert.Equal(t, r1, resp.PrevKv.ModRevision)
	assert.Equal(t, r1+1, resp.Header.Revision)

	resp, err = cli.Put(callCtx(t), "new", "x", clientv3.WithPrevKV())
	require.NoError(t, err)
	assert.Nil(t, resp.PrevKv, "a new key has no previous value")

	lease, err := cli.Grant(callCtx(t), 60)
	require.NoError(t, err)
	revisionOf(t, cli, "k", "v3", clientv3.WithLease(lease.ID))
	got := getOne(t, cli, "k")
	assert.Equal(t, int64(lease.ID), got.Lease)

	// A new value, the same lease.
	revisionOf(t, cli, "k", "v4", clientv3.WithIgnoreLease())
	got = getOne(t, cli, "k")
	assert.Equal(t, "v4", string(got.Value))
	assert.Equal(t, int64(lease.ID), got.Lease, "the lease is kept")

	// The same value, a new revision and version.
	rIgnore := revisionOf(t, cli, "k", "", clientv3.WithIgnoreValue())
	got = getOne(t, cli, "k")
	assert.Equal(t, "v4", string(got.Value), "the value is kept")
	assert.Equal(t, rIgnore, got.ModRevision)
	assert.Equal(t, int64(5), got.Version)
	assert.Zero(t, got.Lease, "a put without a lease detaches the key from its lease")

	for _, tc := range []struct {
		name  string
		key   string
		value string
		opts  []clientv3.OpOption
		want  error
	}{
		{"an empty key", "", "v", nil, rpctypes.ErrEmptyKey},
		{"a lease that does not exist", "k", "v", []clientv3.OpOption{clientv3.WithLease(0x1234)}, rpctypes.ErrLeaseNotFound},
		{"keeping the value of a missing key", "missing", "", []clientv3.OpOption{clientv3.WithIgnoreValue()}, rpctypes.ErrKeyNotFound},
		{"keeping the value, giving one", "k", "v", []clientv3.OpOption{clientv3.WithIgnoreValue()}, rpctypes.ErrValueProvided},
		{"keeping the lease, giving one", "k", "v", []clientv3.OpOption{clientv3.WithIgnoreLease(), clientv3.WithLease(lease.ID)}, rpctypes.ErrLeaseProvided},
		{"a value larger than --max-request-bytes", "big", strings.Repeat("x", 1600*1024), nil, rpctypes.ErrRequestTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cli.Put(callCtx(t), tc.key, tc.value, tc.opts...)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// getOne returns key's only key-value; the test fails if there is none.
func getOne(t *testing.T, cli *clientv3.Client, key string) *mvccpb.KeyValue {
	t.Helper()
	resp, err := cli.Get(callCtx(t), key)
	require.NoError(t, err, "get %s", key)
	require.Len(t, resp.Kvs, 1, "get %s", key)
	return resp.Kvs[0]
}

// Delete's options: one key, a prefix (the tutorial's del --prefix), from a
// key on, a range, with the deleted values back.
func TestKV_DeleteOptions(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	for _, k := range []string{"/d/a", "/d/b", "/d/c", "/d/e/f", "/dz", "/e"} {
		revisionOf(t, cli, k, "value of "+k)
	}

	del := func(key string, opts ...clientv3.OpOption) *clientv3.DeleteResponse {
		t.Helper()
		resp, err := cli.Delete(callCtx(t), key, opts...)
		require.NoError(t, err, "delete %q", key)
		return resp
	}
	resp := del("/d/missing")
	assert.Zero(t, resp.Deleted)
	before := resp.Header.Revision
	assert.Equal(t, int64(7), before, "deleting nothing makes no revision")

	resp = del("/d/a")
	assert.Equal(t, int64(1), resp.Deleted)
	assert.Equal(t, before+1, resp.Header.Revision)

	resp = del("/d/", clientv3.WithPrefix(), clientv3.WithPrevKV())
	assert.Equal(t, int64(3), resp.Deleted)
	assert.Equal(t, []string{"/d/b", "/d/c", "/d/e/f"}, keys(resp.PrevKvs))
	assert.Equal(t, "value of /d/b", string(resp.PrevKvs[0].Value))
	assert.Equal(t, before+2, resp.Header.Revision, "one delete, one revision, however many keys")

	resp = del("/dz", clientv3.WithRange("/e\x00"))
	assert.Equal(t, int64(2), resp.Deleted, "the range [/dz, /e\\x00) holds /dz and /e")

	revisionOf(t, cli, "/x/1", "1")
	revisionOf(t, cli, "/x/2", "2")
	resp = del("/x/2", clientv3.WithFromKey())
	assert.Equal(t, int64(1), resp.Deleted)

	resp = del("", clientv3.WithPrefix())
	assert.Equal(t, int64(1), resp.Deleted, "the tutorial's del \"\" --prefix: everything")
	all, err := cli.Get(callCtx(t), "", clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	assert.Zero(t, all.Count)
}

// A compacted revision can no longer be read, and compacting one twice, or
// one in the future, is refused with etcd's errors.
func TestKV_Compaction(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	r1 := revisionOf(t, cli, "k", "1")
	r2 := revisionOf(t, cli, "k", "2")
	revisionOf(t, cli, "k", "3")

	_, err := cli.Compact(callCtx(t), r2, clientv3.WithCompactPhysical())
	require.NoError(t, err)
	_, err = cli.Get(callCtx(t), "k", clientv3.WithRev(r1))
	assert.ErrorIs(t, err, rpctypes.ErrCompacted)
	resp, err := cli.Get(callCtx(t), "k", clientv3.WithRev(r2))
	require.NoError(t, err, "the compaction revision itself stays readable")
	assert.Equal(t, "2", string(resp.Kvs[0].Value))

	_, err = cli.Compact(callCtx(t), r2)
	assert.ErrorIs(t, err, rpctypes.ErrCompacted, "compacting the same revision again")
	_, err = cli.Compact(callCtx(t), r2+100)
	assert.ErrorIs(t, err, rpctypes.ErrFutureRev)
}
