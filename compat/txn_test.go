package compat

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Transactions: every kind of comparison, both branches, the responses of
// each kind of operation, and a transaction nested in another.
func TestTxn_IfThenElse(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	rCreate := revisionOf(t, cli, "user1", "bad")
	lease, err := cli.Grant(callCtx(t), 60)
	require.NoError(t, err)
	rMod := revisionOf(t, cli, "leased", "x", clientv3.WithLease(lease.ID))

	for _, tc := range []struct {
		name string
		cmp  clientv3.Cmp
		want bool
	}{
		{"value equal", clientv3.Compare(clientv3.Value("user1"), "=", "bad"), true},
		{"value not equal", clientv3.Compare(clientv3.Value("user1"), "!=", "bad"), false},
		{"value greater", clientv3.Compare(clientv3.Value("user1"), ">", "a"), true},
		{"value less", clientv3.Compare(clientv3.Value("user1"), "<", "a"), false},
		{"version", clientv3.Compare(clientv3.Version("user1"), "=", 1), true},
		{"version of a missing key", clientv3.Compare(clientv3.Version("missing"), "=", 0), true},
		{"create revision", clientv3.Compare(clientv3.CreateRevision("user1"), "=", rCreate), true},
		{"create revision of a missing key", clientv3.Compare(clientv3.CreateRevision("missing"), "=", 0), true},
		{"mod revision", clientv3.Compare(clientv3.ModRevision("leased"), "=", rMod), true},
		{"mod revision less", clientv3.Compare(clientv3.ModRevision("leased"), "<", rMod), false},
		{"lease", clientv3.Compare(clientv3.LeaseValue("leased"), "=", lease.ID), true},
		{"lease of a key without one", clientv3.Compare(clientv3.LeaseValue("user1"), "=", 0), true},
		{"value of a missing key", clientv3.Compare(clientv3.Value("missing"), "=", ""), false},
		{"a range: every key's version", clientv3.Compare(clientv3.Version("a"), ">", 0).WithRange("z"), true},
		{"a prefix: every key's value", clientv3.Compare(clientv3.Value("user"), "=", "bad").WithPrefix(), true},
		{"a prefix with no key", clientv3.Compare(clientv3.Version("none/"), "=", 0).WithPrefix(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := cli.Txn(callCtx(t)).If(tc.cmp).Then(clientv3.OpGet("user1")).Else(clientv3.OpGet("leased")).Commit()
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.Succeeded)
			require.Len(t, resp.Responses, 1)
			wantKey := "leased"
			if tc.want {
				wantKey = "user1"
			}
			assert.Equal(t, []string{wantKey}, keys(resp.Responses[0].GetResponseRange().Kvs), "the branch's get")
		})
	}

	// etcdctl's txn from the transcript: delete on success, put on failure.
	txn := func() *clientv3.TxnResponse {
		resp, err := cli.Txn(callCtx(t)).
			If(clientv3.Compare(clientv3.Value("user1"), "=", "bad")).
			Then(clientv3.OpDelete("user1")).
			Else(clientv3.OpPut("result", "failed")).Commit()
		require.NoError(t, err)
		return resp
	}
	first := txn()
	assert.True(t, first.Succeeded)
	assert.Equal(t, int64(1), first.Responses[0].GetResponseDeleteRange().Deleted)
	second := txn()
	assert.False(t, second.Succeeded)
	require.NotNil(t, second.Responses[0].GetResponsePut())
	assert.Equal(t, second.Header.Revision, getOne(t, cli, "result").ModRevision)

	// Several writes, one revision; reads see the writes before them.
	resp, err := cli.Txn(callCtx(t)).Then(
		clientv3.OpPut("t/1", "a"), clientv3.OpPut("t/2", "b"), clientv3.OpGet("t/", clientv3.WithPrefix()),
		clientv3.OpDelete("result", clientv3.WithPrevKV()),
	).Commit()
	require.NoError(t, err)
	assert.True(t, resp.Succeeded, "no comparison: success")
	require.Len(t, resp.Responses, 4)
	assert.Equal(t, []string{"t/1", "t/2"}, keys(resp.Responses[2].GetResponseRange().Kvs))
	assert.Equal(t, []string{"result"}, keys(resp.Responses[3].GetResponseDeleteRange().PrevKvs))
	assert.Equal(t, resp.Header.Revision, getOne(t, cli, "t/2").ModRevision)
	assert.Equal(t, resp.Header.Revision, second.Header.Revision+1, "one transaction, one revision")
}

// A transaction inside a transaction (clientv3.OpTxn): its own comparison,
// its own branches, its response nested in the outer one's. Every
// comparison, nested or not, is evaluated first, against the store as it
// was before the transaction: the path through the branches is chosen
// before anything is written (etcd's compareToPath).
func TestTxn_Nested(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	revisionOf(t, cli, "a", "1")

	inner := clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value("a"), "=", "2")},
		[]clientv3.Op{clientv3.OpPut("inner", "then")},
		[]clientv3.Op{clientv3.OpPut("inner", "else"), clientv3.OpGet("a")},
	)
	resp, err := cli.Txn(callCtx(t)).
		If(clientv3.Compare(clientv3.Value("a"), "=", "1")).
		Then(clientv3.OpPut("a", "2"), inner).
		Else(clientv3.OpPut("outer", "else")).Commit()
	require.NoError(t, err)
	assert.True(t, resp.Succeeded)
	require.Len(t, resp.Responses, 2)
	nested := resp.Responses[1].GetResponseTxn()
	require.NotNil(t, nested, "the nested transaction's response")
	assert.False(t, nested.Succeeded, "the nested comparison saw a=1, before the outer put")
	require.Len(t, nested.Responses, 2)
	assert.NotNil(t, nested.Responses[0].GetResponsePut())
	got := nested.Responses[1].GetResponseRange()
	require.NotNil(t, got)
	assert.Equal(t, "2", string(got.Kvs[0].Value), "the nested get runs after the outer put")
	assert.Equal(t, "else", string(getOne(t, cli, "inner").Value))

	// The same key may be written in both branches of a nested
	// transaction: only one runs.
	resp, err = cli.Txn(callCtx(t)).Then(clientv3.OpTxn(nil,
		[]clientv3.Op{clientv3.OpPut("both", "1")}, []clientv3.Op{clientv3.OpPut("both", "2")})).Commit()
	require.NoError(t, err)
	assert.True(t, resp.Responses[0].GetResponseTxn().Succeeded)
	assert.Equal(t, "1", string(getOne(t, cli, "both").Value))
}

// What etcd refuses in a transaction, with its errors.
func TestTxn_Errors(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	var many []clientv3.Op
	for i := range 129 {
		many = append(many, clientv3.OpPut(fmt.Sprintf("k%d", i), "v"))
	}
	for _, tc := range []struct {
		name string
		ops  []clientv3.Op
		want error
	}{
		{"a key put twice", []clientv3.Op{clientv3.OpPut("k", "1"), clientv3.OpPut("k", "2")}, rpctypes.ErrDuplicateKey},
		{"a key put and deleted", []clientv3.Op{clientv3.OpPut("k/1", "1"), clientv3.OpDelete("k/", clientv3.WithPrefix())}, rpctypes.ErrDuplicateKey},
		{"a key put in a nested transaction too", []clientv3.Op{clientv3.OpPut("k", "1"), clientv3.OpTxn(nil, []clientv3.Op{clientv3.OpPut("k", "2")}, nil)}, rpctypes.ErrDuplicateKey},
		{"more than --max-txn-ops operations", many, rpctypes.ErrTooManyOps},
		{"a put without a key", []clientv3.Op{clientv3.OpPut("", "v")}, rpctypes.ErrEmptyKey},
		{"a lease that does not exist", []clientv3.Op{clientv3.OpPut("k", "v", clientv3.WithLease(0x4321))}, rpctypes.ErrLeaseNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cli.Txn(callCtx(t)).Then(tc.ops...).Commit()
			assert.ErrorIs(t, err, tc.want)
		})
	}
	resp, err := cli.Get(callCtx(t), "", clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	assert.Zero(t, resp.Count, "a refused transaction writes nothing")
}
