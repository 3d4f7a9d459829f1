package proxy

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

// A hundred client watches on ten keys cost the cluster ten watches, and
// every client still gets every event of its key, in order, once.
func TestWatchesOnTheSameKeyShareOneWatchOnTheCluster(t *testing.T) {
	c := startCluster(t, 3)
	p := startProxy(t, c, nil)
	before := c.watchers(t)

	const keys, streams = 10, 10
	var ws []*watchStream
	for range streams {
		s := openWatch(t, grpcConn(t, p.addr))
		for k := range keys {
			s.created(&pb.WatchCreateRequest{Key: []byte(fmt.Sprintf("/k%d", k))})
		}
		ws = append(ws, s)
	}
	require.Equal(t, hubStats{receivers: keys * streams, broadcasts: keys, coalescing: keys*streams - keys}, p.hub.stats())
	require.Eventually(t, func() bool { return c.watchers(t) == before+keys }, waitFor, pollEvery,
		"the cluster holds one watch per key (it holds %d more)", c.watchers(t)-before)

	kvc := pb.NewKVClient(grpcConn(t, p.addr))
	want := map[int64][]string{}
	for round := range 3 {
		for k := range keys {
			rev := put(t, kvc, fmt.Sprintf("/k%d", k), fmt.Sprint(round))
			want[int64(k)] = append(want[int64(k)], fmt.Sprintf("PUT /k%d=%d@%d", k, round, rev))
		}
	}
	for i, s := range ws {
		require.Equal(t, want, s.events(3*keys), "stream %d", i)
	}
	require.Equal(t, float64(3*keys*(streams-1)), metricValue(t, "http://"+p.addr+"/proxy/metrics", "etcd_grpc_proxy_events_coalescing_total"))
	require.Equal(t, float64(keys*(streams-1)), metricValue(t, "http://"+p.addr+"/proxy/metrics", "etcd_grpc_proxy_watchers_coalescing_total"))
}

// A client that asks for history gets a watch of its own from its
// revision; once that has caught up, its receiver joins the shared watch
// and the extra watch on the cluster is closed — and neither client sees an
// event twice or misses one.
func TestWatchFromThePastCatchesUpThenJoinsTheSharedWatch(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	kvc := pb.NewKVClient(conn)
	live := openWatch(t, conn)
	live.created(&pb.WatchCreateRequest{Key: []byte("k")})
	r1 := put(t, kvc, "k", "v1")
	r2 := put(t, kvc, "k", "v2")
	require.Equal(t, map[int64][]string{0: {fmt.Sprintf("PUT k=v1@%d", r1), fmt.Sprintf("PUT k=v2@%d", r2)}}, live.events(2))

	past := openWatch(t, conn)
	past.created(&pb.WatchCreateRequest{Key: []byte("k"), StartRevision: r1})
	require.Equal(t, map[int64][]string{0: {fmt.Sprintf("PUT k=v1@%d", r1), fmt.Sprintf("PUT k=v2@%d", r2)}}, past.events(2))
	require.Eventually(t, func() bool { return p.hub.stats().broadcasts == 1 }, waitFor, pollEvery, "the caught-up watch to join the shared one")

	r3 := put(t, kvc, "k", "v3")
	want := map[int64][]string{0: {fmt.Sprintf("PUT k=v3@%d", r3)}}
	require.Equal(t, want, live.events(1))
	require.Equal(t, want, past.events(1))
	r4 := put(t, kvc, "k", "v4")
	want = map[int64][]string{0: {fmt.Sprintf("PUT k=v4@%d", r4)}}
	require.Equal(t, want, past.events(1), "the event after the merge comes once")
	require.Equal(t, want, live.events(1))
}

// A watch from a revision the shared watch has not passed yet (what a
// client that has just read the state at revision R asks: R+1) joins it at
// once, without a watch of its own.
func TestWatchFromTheNextRevisionJoinsAtOnce(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	kvc := pb.NewKVClient(conn)
	live := openWatch(t, conn)
	live.created(&pb.WatchCreateRequest{Key: []byte("k")})
	rev := put(t, kvc, "k", "v1")
	live.events(1)

	next := openWatch(t, conn)
	next.created(&pb.WatchCreateRequest{Key: []byte("k"), StartRevision: rev + 1})
	require.Equal(t, 1, p.hub.stats().broadcasts)
	r2 := put(t, kvc, "k", "v2")
	require.Equal(t, map[int64][]string{0: {fmt.Sprintf("PUT k=v2@%d", r2)}}, next.events(1))
}

// Watches that share the cluster's watch still get what each asked for:
// its filters, its previous values or not.
func TestSharedWatchesKeepTheirOwnOptions(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	s := openWatch(t, conn)
	withPrev := s.created(&pb.WatchCreateRequest{Key: []byte("k"), PrevKv: true})
	noPut := s.created(&pb.WatchCreateRequest{Key: []byte("k"), Filters: []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NOPUT}})
	plain := s.created(&pb.WatchCreateRequest{Key: []byte("k")})
	require.Equal(t, 1, p.hub.stats().broadcasts)

	kvc := pb.NewKVClient(conn)
	put(t, kvc, "k", "a")
	put(t, kvc, "k", "b")
	_, err := kvc.DeleteRange(ctxFor(t), &pb.DeleteRangeRequest{Key: []byte("k")})
	require.NoError(t, err)

	got := map[int64][]*mvccpb.Event{}
	for n := 0; n < 3+1+3; {
		resp := s.next()
		got[resp.WatchId] = append(got[resp.WatchId], resp.Events...)
		n += len(resp.Events)
	}
	require.Len(t, got[withPrev], 3)
	require.Nil(t, got[withPrev][0].PrevKv)
	require.Equal(t, "a", string(got[withPrev][1].PrevKv.Value))
	require.Equal(t, "b", string(got[withPrev][2].PrevKv.Value))
	require.Len(t, got[noPut], 1)
	require.Equal(t, mvccpb.DELETE, got[noPut][0].Type)
	require.Nil(t, got[noPut][0].PrevKv, "no previous value for a watch that did not ask")
	require.Len(t, got[plain], 3)
	for _, e := range got[plain] {
		require.Nil(t, e.PrevKv)
	}
}

// Watch IDs are the stream's, as on a member: a client's choice is kept,
// a duplicate refused in etcd's words, the others numbered from 0, and a
// canceled watch says so and says nothing more.
func TestWatchIDsCreatesAndCancelsAreAMembers(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	s := openWatch(t, conn)
	require.Equal(t, int64(7), s.created(&pb.WatchCreateRequest{Key: []byte("k"), WatchId: 7}))
	s.create(&pb.WatchCreateRequest{Key: []byte("k"), WatchId: 7})
	refused := s.next()
	require.True(t, refused.Created && refused.Canceled)
	require.Equal(t, int64(-1), refused.WatchId)
	require.Equal(t, "mvcc: duplicate watch ID provided on the WatchStream", refused.CancelReason)
	require.Equal(t, int64(0), s.created(&pb.WatchCreateRequest{Key: []byte("k")}))
	require.Equal(t, int64(1), s.created(&pb.WatchCreateRequest{Key: []byte("other")}))

	s.create(&pb.WatchCreateRequest{Key: []byte("b"), RangeEnd: []byte("a")})
	empty := s.next()
	require.Equal(t, "mvcc: watcher range is empty", empty.CancelReason)

	s.cancel(7)
	canceled := s.next()
	require.True(t, canceled.Canceled)
	require.Equal(t, int64(7), canceled.WatchId)
	rev := put(t, pb.NewKVClient(conn), "k", "v")
	require.Equal(t, map[int64][]string{0: {fmt.Sprintf("PUT k=v@%d", rev)}}, s.events(1), "only the watch left on k")
}

// A progress request is answered with the revision up to which every
// watch of the stream has been served, after the events below it.
func TestProgressRequestAnswersForTheWholeStream(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	s := openWatch(t, conn)
	s.created(&pb.WatchCreateRequest{Key: []byte("a")})
	s.created(&pb.WatchCreateRequest{Key: []byte("b")})
	kvc := pb.NewKVClient(conn)
	put(t, kvc, "a", "1")
	last := put(t, kvc, "other", "2")
	s.events(1)
	s.progress()
	resp := s.next()
	require.Equal(t, int64(-1), resp.WatchId)
	require.Empty(t, resp.Events)
	require.GreaterOrEqual(t, resp.Header.Revision, last, "everything up to the last write has been delivered")
}

// A watch from a compacted revision is canceled as a member cancels it:
// created, then canceled with the compaction's revision.
func TestWatchFromACompactedRevisionIsCanceled(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	kvc := pb.NewKVClient(conn)
	first := put(t, kvc, "k", "1")
	put(t, kvc, "k", "2")
	compact := put(t, kvc, "k", "3")
	_, err := kvc.Compact(ctxFor(t), &pb.CompactionRequest{Revision: compact, Physical: true})
	require.NoError(t, err)
	s := openWatch(t, conn)
	s.created(&pb.WatchCreateRequest{Key: []byte("k"), StartRevision: first})
	resp := s.next()
	require.True(t, resp.Canceled)
	require.Equal(t, compact, resp.CompactRevision)
	require.Zero(t, p.hub.stats().broadcasts)
}
