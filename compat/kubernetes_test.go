package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/kubernetes"
	"go.uber.org/zap"
)

// client/v3/kubernetes is the interface Kubernetes' apiserver stores its
// objects through: optimistic concurrency on each object's mod revision,
// and lists paged at one revision. Here it is used as the apiserver uses it.
func TestKubernetes_Interface(t *testing.T) {
	c := startCluster(t, 3)
	kc, err := kubernetes.New(clientv3.Config{Endpoints: c.endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	defer kc.Close()
	var k kubernetes.Interface = kc

	// Create: only if the object does not exist (mod revision 0).
	var revs []int64
	for i := range 5 {
		resp, err := k.OptimisticPut(callCtx(t), fmt.Sprintf("/registry/pods/default/pod-%d", i), []byte(fmt.Sprintf("spec %d", i)), 0, kubernetes.PutOptions{})
		require.NoError(t, err)
		require.True(t, resp.Succeeded, "create pod-%d", i)
		revs = append(revs, resp.Revision)
	}
	revisionOf(t, kc.Client, "/registry/services/default/svc", "not a pod")
	again, err := k.OptimisticPut(callCtx(t), "/registry/pods/default/pod-0", []byte("again"), 0, kubernetes.PutOptions{GetOnFailure: true})
	require.NoError(t, err)
	assert.False(t, again.Succeeded, "creating an object that exists")
	require.NotNil(t, again.KV, "the object that exists, on failure")
	assert.Equal(t, "spec 0", string(again.KV.Value))
	assert.Equal(t, revs[0], again.KV.ModRevision)

	// Get, now and at an old revision.
	got, err := k.Get(callCtx(t), "/registry/pods/default/pod-0", kubernetes.GetOptions{})
	require.NoError(t, err)
	require.NotNil(t, got.KV)
	assert.Equal(t, "spec 0", string(got.KV.Value))
	assert.Equal(t, revs[4]+1, got.Revision)
	none, err := k.Get(callCtx(t), "/registry/pods/default/missing", kubernetes.GetOptions{})
	require.NoError(t, err)
	assert.Nil(t, none.KV)
	assert.Equal(t, revs[4]+1, none.Revision)
	old, err := k.Get(callCtx(t), "/registry/pods/default/pod-4", kubernetes.GetOptions{Revision: revs[3]})
	require.NoError(t, err)
	assert.Nil(t, old.KV, "pod-4 did not exist yet at that revision")

	// Update: only from the revision the writer read.
	upd, err := k.OptimisticPut(callCtx(t), "/registry/pods/default/pod-1", []byte("spec 1, updated"), revs[1], kubernetes.PutOptions{})
	require.NoError(t, err)
	require.True(t, upd.Succeeded)
	stale, err := k.OptimisticPut(callCtx(t), "/registry/pods/default/pod-1", []byte("a lost update"), revs[1], kubernetes.PutOptions{GetOnFailure: true})
	require.NoError(t, err)
	assert.False(t, stale.Succeeded, "an update from a stale revision")
	assert.Equal(t, upd.Revision, stale.KV.ModRevision)
	assert.Equal(t, "spec 1, updated", string(stale.KV.Value))
	assert.Equal(t, upd.Revision, stale.Revision, "a failed update writes nothing")

	// Count.
	n, err := k.Count(callCtx(t), "/registry/pods/", kubernetes.CountOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)

	// A paged list at one revision, while the objects change under it.
	first, err := k.List(callCtx(t), "/registry/pods/", kubernetes.ListOptions{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"/registry/pods/default/pod-0", "/registry/pods/default/pod-1"}, keys(first.Kvs))
	assert.Equal(t, int64(5), first.Count)
	at := first.Revision
	_, err = k.OptimisticPut(callCtx(t), "/registry/pods/default/pod-2", []byte("changed after the first page"), revs[2], kubernetes.PutOptions{})
	require.NoError(t, err)
	_, err = k.OptimisticPut(callCtx(t), "/registry/pods/default/pod-9", []byte("created after the first page"), 0, kubernetes.PutOptions{})
	require.NoError(t, err)
	var listed []string
	listed = append(listed, keys(first.Kvs)...)
	page := first
	for pages := 1; len(page.Kvs) > 0 && pages < 10; pages++ {
		next := string(page.Kvs[len(page.Kvs)-1].Key) + "\x00"
		page, err = k.List(callCtx(t), "/registry/pods/", kubernetes.ListOptions{Limit: 2, Revision: at, Continue: next})
		require.NoError(t, err)
		assert.Equal(t, at+2, page.Revision, "a page at an old revision reports the store's revision")
		listed = append(listed, keys(page.Kvs)...)
		for _, kv := range page.Kvs {
			if string(kv.Key) == "/registry/pods/default/pod-2" {
				assert.Equal(t, "spec 2", string(kv.Value), "the page shows the list's revision")
			}
		}
		if page.Count <= 2 {
			break
		}
	}
	assert.Equal(t, []string{"/registry/pods/default/pod-0", "/registry/pods/default/pod-1", "/registry/pods/default/pod-2",
		"/registry/pods/default/pod-3", "/registry/pods/default/pod-4"}, listed, "every object of the list's revision, once")

	// Delete: only from the revision the deleter read.
	del, err := k.OptimisticDelete(callCtx(t), "/registry/pods/default/pod-3", revs[2], kubernetes.DeleteOptions{GetOnFailure: true})
	require.NoError(t, err)
	assert.False(t, del.Succeeded, "a delete from the wrong revision")
	assert.Equal(t, revs[3], del.KV.ModRevision)
	del, err = k.OptimisticDelete(callCtx(t), "/registry/pods/default/pod-3", revs[3], kubernetes.DeleteOptions{})
	require.NoError(t, err)
	assert.True(t, del.Succeeded)
	gone, err := k.Get(callCtx(t), "/registry/pods/default/pod-3", kubernetes.GetOptions{})
	require.NoError(t, err)
	assert.Nil(t, gone.KV)
	assert.Equal(t, del.Revision, gone.Revision)

	// A list at a compacted revision: the apiserver relists from now.
	_, err = kc.Compact(callCtx(t), del.Revision)
	require.NoError(t, err)
	_, err = k.List(callCtx(t), "/registry/pods/", kubernetes.ListOptions{Revision: at})
	assert.ErrorIs(t, err, rpctypes.ErrCompacted)
	_, err = k.Get(callCtx(t), "/registry/pods/default/pod-0", kubernetes.GetOptions{Revision: at})
	assert.ErrorIs(t, err, rpctypes.ErrCompacted)
}
