package proxy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// The member that holds the proxy's watch dies while writes go on: the
// proxy opens the watch again on another member, from the revision its
// clients had reached, and they see every event once, in order — the
// member's death is invisible to them.
func TestWatchesSurviveTheDeathOfTheirMember(t *testing.T) {
	c := startCluster(t, 3)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	var streams []*watchStream
	for range 3 {
		s := openWatch(t, conn)
		s.created(&pb.WatchCreateRequest{Key: []byte("/f/"), RangeEnd: []byte("/f0")})
		streams = append(streams, s)
	}
	var dead int
	require.Eventually(t, func() bool { dead = c.holder(t); return dead >= 0 }, waitFor, pollEvery)

	kvc := pb.NewKVClient(conn)
	var want []string
	const writes = 60
	for i := range writes {
		if i == writes/3 {
			c.stop(dead)
		}
		key := fmt.Sprintf("/f/%d", i)
		want = append(want, fmt.Sprintf("PUT %s=v@%d", key, createOnce(t, kvc, key)))
	}
	for i, s := range streams {
		require.Equal(t, map[int64][]string{0: want}, s.events(writes), "stream %d", i)
	}
	require.NotEqual(t, dead, c.holder(t), "the watch moved to a member that is up")
}

// createOnce creates key with value "v" and returns the revision it was
// created at. A write may fail while the cluster notices a death, having
// been applied or not: it is tried again, as a transaction that creates the
// key only if it does not exist, until the key's revision is known.
func createOnce(t *testing.T, kvc pb.KVClient, key string) int64 {
	var rev int64
	require.Eventually(t, func() bool {
		resp, err := kvc.Txn(ctxFor(t), &pb.TxnRequest{
			Compare: []*pb.Compare{{Key: []byte(key), Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}},
			Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(key), Value: []byte("v")}}}},
			Failure: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte(key)}}}},
		})
		if err != nil {
			return false
		}
		if resp.Succeeded {
			rev = resp.Header.Revision
		} else {
			rev = resp.Responses[0].GetResponseRange().Kvs[0].ModRevision
		}
		return true
	}, waitFor, pollEvery)
	return rev
}

// A client that reads its watch too slowly does not hold up the others:
// once its queue is full its watch leaves the shared one, and when it has
// read what was queued, rejoins from where it was — it misses nothing and
// sees nothing twice.
func TestSlowWatcherLeavesAndRejoinsWithoutLoss(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	p.queueLimit = 2
	conn := grpcConn(t, p.addr)
	fast := openWatch(t, conn)
	fast.created(&pb.WatchCreateRequest{Key: []byte("k")})

	var mu sync.Mutex
	var got []string
	gate := make(chan struct{})
	close(gate) // open until the test shuts it
	var gateMu sync.Mutex
	slow, err := p.Watch(context.Background(), func(resp *api.WatchResponse) error {
		gateMu.Lock()
		g := gate
		gateMu.Unlock()
		<-g
		mu.Lock()
		defer mu.Unlock()
		for _, e := range resp.Events {
			got = append(got, fmt.Sprintf("%s=%s@%d", e.Kv.Key, e.Kv.Value, e.Kv.ModRevision))
		}
		return nil
	})
	require.NoError(t, err)
	defer slow.Close()
	slow.Create(&api.WatchCreateRequest{WatchRequest: kv.WatchRequest{Key: []byte("k")}})
	require.Equal(t, 2, p.hub.stats().receivers)

	gateMu.Lock()
	gate = make(chan struct{})
	held := gate
	gateMu.Unlock()
	kvc := pb.NewKVClient(conn)
	var want []string
	for i := range 10 {
		rev := put(t, kvc, "k", fmt.Sprint(i))
		want = append(want, fmt.Sprintf("k=%d@%d", i, rev))
	}
	fast.events(10)
	require.Eventually(t, func() bool { return p.hub.stats().receivers == 1 }, waitFor, pollEvery, "the slow watch to leave the shared one")

	close(held)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= len(want)
	}, waitFor, pollEvery)
	r := put(t, kvc, "k", "last")
	want = append(want, fmt.Sprintf("k=last@%d", r))
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= len(want)
	}, waitFor, pollEvery)
	mu.Lock()
	require.Equal(t, want, got)
	mu.Unlock()
	require.Eventually(t, func() bool { return p.hub.stats() == hubStats{receivers: 2, broadcasts: 1, coalescing: 1} }, waitFor, pollEvery,
		"the slow watch to rejoin the shared one once caught up: %+v", p.hub.stats())
}

// The proxy is restarted while a client holds a watch through it: the
// client reconnects and resumes from the last revision it saw, and sees
// every event once.
func TestWatchResumesThroughARestartedProxy(t *testing.T) {
	c := startCluster(t, 1)
	addr := freeAddr(t)
	first := startProxyAt(t, c, addr, nil)
	jc, err := client.New(client.Config{Endpoints: []string{addr}, RequestTimeout: waitFor})
	require.NoError(t, err)
	defer jc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := jc.Watch(ctx, "/r/", client.WithPrefix(), client.WithCreatedNotify())
	require.True(t, (<-events).Created)

	member := pb.NewKVClient(grpcConn(t, c.endpoints()[0]))
	var want []string
	write := func(i int) {
		rev := put(t, member, fmt.Sprintf("/r/%d", i), "v")
		want = append(want, fmt.Sprintf("/r/%d@%d", i, rev))
	}
	var got []string
	read := func(n int) {
		for len(got) < n {
			select {
			case resp, ok := <-events:
				require.True(t, ok, "the watch ended")
				for _, e := range resp.Events {
					got = append(got, fmt.Sprintf("%s@%d", e.Kv.Key, e.Kv.ModRevision))
				}
			case <-time.After(waitFor):
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	for i := range 3 {
		write(i)
	}
	read(3)
	require.NoError(t, first.Close())
	for i := 3; i < 6; i++ {
		write(i) // while no proxy runs
	}
	startProxyAt(t, c, addr, nil)
	for i := 6; i < 9; i++ {
		write(i)
	}
	read(9)
	require.Equal(t, want, got)
}
