package compat

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// A lease as etcdctl's lease commands use it: granted, attached to keys,
// asked about, listed, renewed once, and revoked with its keys.
func TestLease_GrantTimeToLiveRevoke(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	lease, err := cli.Grant(callCtx(t), 60)
	require.NoError(t, err)
	assert.NotZero(t, lease.ID)
	assert.Equal(t, int64(60), lease.TTL)
	revisionOf(t, cli, "leased/1", "a", clientv3.WithLease(lease.ID))
	revisionOf(t, cli, "leased/2", "b", clientv3.WithLease(lease.ID))

	ttl, err := cli.TimeToLive(callCtx(t), lease.ID, clientv3.WithAttachedKeys())
	require.NoError(t, err)
	assert.Equal(t, lease.ID, ttl.ID)
	assert.Equal(t, int64(60), ttl.GrantedTTL)
	assert.InDelta(t, 59, ttl.TTL, 2, "the remaining TTL")
	var attached []string
	for _, k := range ttl.Keys {
		attached = append(attached, string(k))
	}
	slices.Sort(attached)
	assert.Equal(t, []string{"leased/1", "leased/2"}, attached)

	ttl, err = cli.TimeToLive(callCtx(t), lease.ID)
	require.NoError(t, err)
	assert.Empty(t, ttl.Keys, "no keys unless asked for")

	leases, err := cli.Leases(callCtx(t))
	require.NoError(t, err)
	var ids []clientv3.LeaseID
	for _, l := range leases.Leases {
		ids = append(ids, l.ID)
	}
	assert.Equal(t, []clientv3.LeaseID{lease.ID}, ids)

	ka, err := cli.KeepAliveOnce(callCtx(t), lease.ID)
	require.NoError(t, err)
	assert.Equal(t, lease.ID, ka.ID)
	assert.Equal(t, int64(60), ka.TTL)

	_, err = cli.Revoke(callCtx(t), lease.ID)
	require.NoError(t, err)
	resp, err := cli.Get(callCtx(t), "leased/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	assert.Zero(t, resp.Count, "revoking a lease deletes its keys")

	_, err = cli.Revoke(callCtx(t), lease.ID)
	assert.ErrorIs(t, err, rpctypes.ErrLeaseNotFound, "revoking it again")
	_, err = cli.KeepAliveOnce(callCtx(t), lease.ID)
	assert.ErrorIs(t, err, rpctypes.ErrLeaseNotFound, "renewing a revoked lease")
	ttl, err = cli.TimeToLive(callCtx(t), lease.ID)
	require.NoError(t, err, "asking about a revoked lease is not an error")
	assert.Equal(t, int64(-1), ttl.TTL, "a revoked lease's TTL (etcdctl: \"already expired\")")
	leases, err = cli.Leases(callCtx(t))
	require.NoError(t, err)
	assert.Empty(t, leases.Leases)

	short, err := cli.Grant(callCtx(t), 1)
	require.NoError(t, err)
	assert.Equal(t, int64(2), short.TTL, "a TTL under the minimum (1.5 election timeouts, rounded up) is raised to it")
	_, err = cli.Grant(callCtx(t), 9_000_000_001)
	assert.ErrorIs(t, err, rpctypes.ErrLeaseTTLTooLarge)
}

// KeepAlive keeps a lease, and its keys, alive past its TTL for as long as
// it runs; once it stops, the lease expires and its keys are deleted, as a
// watch sees.
func TestLease_KeepAliveThenExpiry(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	lease, err := cli.Grant(callCtx(t), 3)
	require.NoError(t, err)
	rPut := revisionOf(t, cli, "session", "alive", clientv3.WithLease(lease.ID))

	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	w := collect(cli.Watch(watchCtx, "session", clientv3.WithRev(rPut)))

	kaCtx, stopKeepAlive := context.WithCancel(context.Background())
	defer stopKeepAlive()
	kach, err := cli.KeepAlive(kaCtx, lease.ID)
	require.NoError(t, err)
	var mu sync.Mutex
	var renewals []*clientv3.LeaseKeepAliveResponse
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for r := range kach {
			mu.Lock()
			renewals = append(renewals, r)
			mu.Unlock()
		}
	}()
	// clientv3 renews every third of the TTL: five renewals take more
	// than the TTL.
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(renewals) >= 5
	}, waitLimit, pollEvery, "five renewals")
	mu.Lock()
	for _, r := range renewals {
		assert.Equal(t, lease.ID, r.ID)
		assert.Equal(t, int64(3), r.TTL)
	}
	mu.Unlock()
	assert.Equal(t, "alive", string(getOne(t, cli, "session").Value), "kept alive past its TTL")

	stopKeepAlive()
	require.Eventually(t, func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	}, waitLimit, pollEvery, "the keep-alive channel to close")
	evs := w.waitEvents(t, 2, "the key's deletion when the lease expires")
	assert.Equal(t, mvccpb.DELETE, evs[1].Type)
	assert.Equal(t, "session", string(evs[1].Kv.Key))
	resp, err := cli.Get(callCtx(t), "session")
	require.NoError(t, err)
	assert.Empty(t, resp.Kvs)
	ttl, err := cli.TimeToLive(callCtx(t), lease.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), ttl.TTL, "an expired lease's TTL")
}

// A keep-alive outlives the member its stream was on — the leader,
// killed: clientv3 renews through another member, and the lease and its
// key live on past several TTLs.
func TestLease_KeepAliveSurvivesTheLeaderKilled(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	lease, err := cli.Grant(callCtx(t), 3)
	require.NoError(t, err)
	revisionOf(t, cli, "session", "alive", clientv3.WithLease(lease.ID))
	kaCtx, stopKeepAlive := context.WithCancel(context.Background())
	defer stopKeepAlive()
	kach, err := cli.KeepAlive(kaCtx, lease.ID)
	require.NoError(t, err)
	var mu sync.Mutex
	renewals := 0
	go func() {
		for range kach {
			mu.Lock()
			renewals++
			mu.Unlock()
		}
	}()
	renewed := func() int {
		mu.Lock()
		defer mu.Unlock()
		return renewals
	}
	require.Eventually(t, func() bool { return renewed() >= 2 }, waitLimit, pollEvery, "the first renewals")

	c.kill(c.waitLeader())
	c.waitLeader()
	// Renewals every second: four of them after the kill span more than
	// the TTL.
	after := renewed()
	require.Eventually(t, func() bool { return renewed() >= after+4 }, electionLimit, pollEvery, "renewals through the members left")
	assert.Equal(t, "alive", string(getOne(t, cli, "session").Value), "the key of a lease kept alive")
	ttl, err := cli.TimeToLive(callCtx(t), lease.ID)
	require.NoError(t, err)
	assert.Positive(t, ttl.TTL)
}
