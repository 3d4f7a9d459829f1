package compat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
)

// watched collects what a watch channel delivers, on a goroutine of its
// own, so that a test can wait for a condition on it.
type watched struct {
	mu        sync.Mutex
	responses []clientv3.WatchResponse
	closed    bool
}

func collect(wch clientv3.WatchChan) *watched {
	w := &watched{}
	go func() {
		for resp := range wch {
			w.mu.Lock()
			w.responses = append(w.responses, resp)
			w.mu.Unlock()
		}
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
	}()
	return w
}

// events are the events delivered so far, in order.
func (w *watched) events() []*clientv3.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*clientv3.Event
	for _, r := range w.responses {
		out = append(out, r.Events...)
	}
	return out
}

// waitEvents waits until n events have arrived, and returns them.
func (w *watched) waitEvents(t *testing.T, n int, what string) []*clientv3.Event {
	t.Helper()
	require.Eventually(t, func() bool { return len(w.events()) >= n }, waitLimit, pollEvery, "%d events: %s", n, what)
	return w.events()
}

// waitFor waits for a response that satisfies ok, and returns it.
func (w *watched) waitFor(t *testing.T, limit time.Duration, what string, ok func(clientv3.WatchResponse) bool) clientv3.WatchResponse {
	t.Helper()
	var found clientv3.WatchResponse
	require.Eventually(t, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, r := range w.responses {
			if ok(r) {
				found = r
				return true
			}
		}
		return false
	}, limit, pollEvery, what)
	return found
}

func (w *watched) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// event is an event as a test writes it: "PUT k=v@rev" or "DELETE k@rev",
// with the previous value if the event has one: "PUT k=v@rev (was v0)".
func event(ev *clientv3.Event) string {
	s := fmt.Sprintf("%s %s", ev.Type, ev.Kv.Key)
	if ev.Type == mvccpb.PUT {
		s += "=" + string(ev.Kv.Value)
	}
	s += fmt.Sprintf("@%d", ev.Kv.ModRevision)
	if ev.PrevKv != nil {
		s += fmt.Sprintf(" (was %s)", ev.PrevKv.Value)
	}
	return s
}

func eventStrings(evs []*clientv3.Event) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, event(ev))
	}
	return out
}

// A watch from a past revision replays the history from there, then goes
// on live; its options add previous values and filter puts or deletes.
func TestWatch_FromRevisionWithOptions(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	r1 := revisionOf(t, cli, "w/a", "1")
	revisionOf(t, cli, "w/b", "2")
	revisionOf(t, cli, "w/a", "3")
	revisionOf(t, cli, "other", "x")
	_, err := cli.Delete(callCtx(t), "w/b")
	require.NoError(t, err)
	history := []string{"PUT w/a=1@2", "PUT w/b=2@3", "PUT w/a=3@4", "DELETE w/b@6"}
	require.Equal(t, int64(2), r1, "a new cluster's first write is revision 2")

	for _, tc := range []struct {
		name string
		opts []clientv3.OpOption
		want []string
	}{
		{"prefix", nil, history},
		{"with the previous values", []clientv3.OpOption{clientv3.WithPrevKV()},
			[]string{"PUT w/a=1@2", "PUT w/b=2@3", "PUT w/a=3@4 (was 1)", "DELETE w/b@6 (was 2)"}},
		{"no puts", []clientv3.OpOption{clientv3.WithFilterPut()}, []string{"DELETE w/b@6"}},
		{"no deletes", []clientv3.OpOption{clientv3.WithFilterDelete()}, history[:3]},
		{"from a later revision", []clientv3.OpOption{clientv3.WithRev(4)}, history[2:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := append([]clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(r1)}, tc.opts...)
			w := collect(cli.Watch(ctx, "w/", opts...))
			assert.Equal(t, tc.want, eventStrings(w.waitEvents(t, len(tc.want), "the history")))
		})
	}

	t.Run("then live", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := collect(cli.Watch(ctx, "w/a", clientv3.WithRev(r1), clientv3.WithCreatedNotify()))
		created := w.waitFor(t, waitLimit, "the created notification", func(r clientv3.WatchResponse) bool { return r.Created })
		assert.Equal(t, int64(6), created.Header.Revision, "created at the store's revision")
		w.waitEvents(t, 2, "w/a's history")
		rLive := revisionOf(t, cli, "w/a", "live")
		evs := w.waitEvents(t, 3, "the live put")
		assert.Equal(t, []string{"PUT w/a=1@2", "PUT w/a=3@4", fmt.Sprintf("PUT w/a=live@%d", rLive)}, eventStrings(evs))
		assert.True(t, evs[0].IsCreate())
		assert.True(t, evs[2].IsModify())
		cancel()
		require.Eventually(t, w.isClosed, waitLimit, pollEvery, "the channel to close when the watch's context ends")
	})

	t.Run("from a future revision", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		now := getHeaderRevision(t, cli)
		w := collect(cli.Watch(ctx, "f", clientv3.WithRev(now+2), clientv3.WithCreatedNotify()))
		w.waitFor(t, waitLimit, "the created notification", func(r clientv3.WatchResponse) bool { return r.Created })
		revisionOf(t, cli, "f", "before")
		revisionOf(t, cli, "f", "from here")
		evs := w.waitEvents(t, 1, "the put at the watch's start revision")
		assert.Equal(t, fmt.Sprintf("PUT f=from here@%d", now+2), event(evs[0]), "the put before the start revision is not shown")
	})

	t.Run("many watches on one stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a := collect(cli.Watch(ctx, "m/a"))
		b := collect(cli.Watch(ctx, "m/", clientv3.WithPrefix()))
		// A watch says nothing when it starts: the puts are repeated
		// until both have seen one.
		require.Eventually(t, func() bool {
			revisionOf(t, cli, "m/a", "x")
			return len(a.events()) > 0 && len(b.events()) > 0
		}, waitLimit, 100*time.Millisecond, "both watches to see m/a")
		rB := revisionOf(t, cli, "m/b", "y")
		b.waitFor(t, waitLimit, "m/b on the prefix watch", func(r clientv3.WatchResponse) bool {
			return len(r.Events) > 0 && string(r.Events[len(r.Events)-1].Kv.Key) == "m/b"
		})
		for _, ev := range b.events() {
			assert.LessOrEqual(t, ev.Kv.ModRevision, rB, "the prefix watch's events come in revision order")
		}
		for _, ev := range a.events() {
			assert.Equal(t, "m/a", string(ev.Kv.Key), "the watch of m/a sees only m/a")
		}
	})
}

// getHeaderRevision is the store's revision now.
func getHeaderRevision(t *testing.T, cli *clientv3.Client) int64 {
	t.Helper()
	resp, err := cli.Get(callCtx(t), "revision probe")
	require.NoError(t, err)
	return resp.Header.Revision
}

// A watch from a revision that compaction dropped is canceled at once with
// the compaction's revision, which is where the client may resume from; a
// watch from the compaction revision itself replays from there.
func TestWatch_FromACompactedRevision(t *testing.T) {
	c := startCluster(t, 3)
	// One member: another might not have applied the compaction yet when
	// the watch reaches it, and would replay the history instead.
	cli := c.client(c.members[0].clientURL)
	r1 := revisionOf(t, cli, "k", "1")
	r2 := revisionOf(t, cli, "k", "2")
	revisionOf(t, cli, "k", "3")
	_, err := cli.Compact(callCtx(t), r2)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := collect(cli.Watch(ctx, "k", clientv3.WithRev(r1)))
	resp := w.waitFor(t, waitLimit, "the watch to be canceled", func(r clientv3.WatchResponse) bool { return r.Canceled })
	assert.Equal(t, r2, resp.CompactRevision)
	assert.ErrorIs(t, resp.Err(), rpctypes.ErrCompacted)
	assert.Empty(t, resp.Events)
	require.Eventually(t, w.isClosed, waitLimit, pollEvery, "the channel to close after the cancellation")

	resumed := collect(cli.Watch(ctx, "k", clientv3.WithRev(resp.CompactRevision)))
	assert.Equal(t, []string{"PUT k=2@3", "PUT k=3@4"}, eventStrings(resumed.waitEvents(t, 2, "the history from the compaction on")))
}

// Progress: a watch asked for it learns the revision up to which it has
// seen everything, though nothing it watches changed.
func TestWatch_Progress(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client(c.members[0].clientURL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := collect(cli.Watch(ctx, "quiet", clientv3.WithProgressNotify(), clientv3.WithCreatedNotify()))
	w.waitFor(t, waitLimit, "the created notification", func(r clientv3.WatchResponse) bool { return r.Created })
	rev := revisionOf(t, cli, "elsewhere", "x")
	// The progress request goes on the stream of the context's watches.
	require.NoError(t, cli.RequestProgress(ctx))
	progress := w.waitFor(t, waitLimit, "a progress notification at the put's revision", func(r clientv3.WatchResponse) bool {
		return r.IsProgressNotify() && r.Header.Revision >= rev
	})
	assert.Equal(t, rev, progress.Header.Revision)
	assert.Empty(t, w.events())
}

// A revision whose events are larger than the gRPC limit on a request
// (--max-request-bytes plus etcd's 512 KiB of overhead) reaches a watch
// that allows fragments in pieces: as many events in each as fit under the
// limit, every piece but the last marked as a fragment; clientv3 puts them
// together again. A watch that does not allow fragments gets it whole, and
// so does one whose revision fits under the limit.
func TestWatch_Fragments(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client(c.members[0].clientURL)
	const n, size = 12, 120 * 1024 // 1.4 MiB a transaction: under the 1.5 MiB limit
	txn := func(fill string) int64 {
		var ops []clientv3.Op
		for i := range n {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("big/%02d", i), strings.Repeat(fill, size)))
		}
		resp, err := cli.Txn(callCtx(t)).Then(ops...).Commit()
		require.NoError(t, err)
		return resp.Header.Revision
	}
	txn("a")
	// With the previous values, the second transaction's events come to
	// 2.8 MiB.
	rev := txn("b")

	// etcd's limit on a watch response before it is fragmented.
	const limit = 1536*1024 + 512*1024
	raw := func(rangeEnd string, events int, fragment bool) []*pb.WatchResponse {
		t.Helper()
		ctx, cancel := context.WithCancel(callCtx(t))
		defer cancel()
		stream, err := pb.NewWatchClient(cli.ActiveConnection()).Watch(ctx)
		require.NoError(t, err)
		require.NoError(t, stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{
			Key: []byte("big/"), RangeEnd: []byte(rangeEnd), StartRevision: rev, PrevKv: true, Fragment: fragment,
		}}}))
		var out []*pb.WatchResponse
		for got := 0; got < events; {
			resp, err := stream.Recv()
			require.NoError(t, err)
			if resp.Created {
				continue
			}
			out = append(out, resp)
			got += len(resp.Events)
		}
		return out
	}

	whole := raw("big0", n, false)
	require.Len(t, whole, 1, "without fragments, one response")
	assert.False(t, whole[0].Fragment)
	assert.Greater(t, proto.Size(whole[0]), limit)

	// Seven keys with their previous values: 1.7 MiB, over
	// --max-request-bytes but under the limit.
	under := raw("big/07", 7, true)
	require.Len(t, under, 1, "a revision of %d bytes, under the limit of %d, is sent whole", proto.Size(under[0]), limit)
	assert.Greater(t, proto.Size(under[0]), 1536*1024)
	assert.False(t, under[0].Fragment)

	pieces := raw("big0", n, true)
	require.Greater(t, len(pieces), 1, "with fragments, several responses")
	var got []string
	for i, p := range pieces {
		assert.Equal(t, i < len(pieces)-1, p.Fragment, "response %d of %d: fragment", i+1, len(pieces))
		assert.Less(t, proto.Size(p), limit, "response %d's size", i+1)
		if i < len(pieces)-1 {
			// As many events as fit: one more would not.
			fuller := proto.Clone(p).(*pb.WatchResponse)
			fuller.Events = append(fuller.Events, pieces[i+1].Events[0])
			assert.GreaterOrEqual(t, proto.Size(fuller), limit, "response %d could have held another event", i+1)
		}
		for _, ev := range p.Events {
			assert.Equal(t, rev, ev.Kv.ModRevision)
			got = append(got, string(ev.Kv.Key))
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("big/%02d", i))
	}
	assert.Equal(t, want, got, "the fragments hold every event once, in order")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := collect(cli.Watch(ctx, "big/", clientv3.WithPrefix(), clientv3.WithRev(rev), clientv3.WithPrevKV(), clientv3.WithFragment()))
	evs := w.waitEvents(t, n, "the fragmented revision, put together")
	assert.Len(t, evs, n)
	w.mu.Lock()
	assert.Len(t, w.responses, 1, "clientv3 delivers the fragments as one response")
	w.mu.Unlock()
	for _, ev := range evs {
		assert.Equal(t, strings.Repeat("a", size), string(ev.PrevKv.Value))
		assert.Equal(t, strings.Repeat("b", size), string(ev.Kv.Value))
	}
}

// A watch outlives the member it was connected to — here the leader,
// killed with SIGKILL: clientv3 reconnects to another member and resumes
// from the revision after the last it delivered, so that no event is lost
// and none is delivered twice.
func TestWatch_SurvivesItsMemberKilled(t *testing.T) {
	c := startCluster(t, 3)
	watcher := c.client()
	writer := c.client()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := getHeaderRevision(t, writer)
	w := collect(watcher.Watch(ctx, "w/", clientv3.WithPrefix(), clientv3.WithRev(start+1)))

	put := func(i int) int64 {
		t.Helper()
		var rev int64
		// A put may fail while there is no leader (or be applied and
		// still fail: the answer was lost); either way it is tried again
		// until it is known to have been applied. An applied put that
		// failed is a revision like any other, which the watch must show.
		require.Eventually(t, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			resp, err := writer.Put(ctx, fmt.Sprintf("w/%03d", i), "v")
			if err != nil {
				return false
			}
			rev = resp.Header.Revision
			return true
		}, electionLimit, pollEvery, "put w/%03d", i)
		return rev
	}
	var puts []int64
	for i := range 10 {
		puts = append(puts, put(i))
	}
	w.waitEvents(t, 10, "the puts before the kill")

	// The member the watch's stream is on, made leader, then killed.
	var host *procMember
	require.Eventually(t, func() bool {
		for _, m := range c.members {
			if n, err := gauge(t, m.clientURL, "etcd_debugging_mvcc_watch_stream_total"); err == nil && n == 1 {
				host = m
				return true
			}
		}
		return false
	}, waitLimit, pollEvery, "one member to count the watch's stream")
	leader := c.waitLeader()
	if leader != host {
		_, err := c.client(leader.clientURL).MoveLeader(callCtx(t), c.memberID(host))
		require.NoError(t, err, "move the leadership to %s, the watch's member", host.name)
		require.Equal(t, host, c.waitLeader(), "the leader after MoveLeader")
	}
	c.kill(host)
	for i := 10; i < 30; i++ {
		puts = append(puts, put(i))
	}
	last := puts[len(puts)-1]
	w.waitFor(t, electionLimit, "the watch to deliver the last put", func(r clientv3.WatchResponse) bool {
		return len(r.Events) > 0 && r.Events[len(r.Events)-1].Kv.ModRevision == last
	})

	// Only this test writes: the revisions from start+1 to the last put's
	// are all puts of w/, and the watch must deliver each exactly once.
	evs := w.events()
	var revs []int64
	for _, ev := range evs {
		revs = append(revs, ev.Kv.ModRevision)
	}
	var want []int64
	for r := start + 1; r <= last; r++ {
		want = append(want, r)
	}
	assert.Equal(t, want, revs, "every revision once, in order")
	seen := map[int64]bool{}
	for _, r := range revs {
		seen[r] = true
	}
	for i, r := range puts {
		assert.True(t, seen[r], "the put of w/%03d at revision %d", i, r)
	}
	for _, r := range w.responses {
		assert.NoError(t, r.Err())
	}
}

// A client that requires a leader (clientv3.WithRequireLeader, as
// Kubernetes' watches do) is refused at once by a member that has none,
// and its open watches are canceled with "no leader" after a few election
// timeouts, so that it can go to a member that has one.
func TestWatch_RequireLeader(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.waitLeader()
	var survivor *procMember
	for _, m := range c.members {
		if m != leader {
			survivor = m
		}
	}
	cli := c.client(survivor.clientURL)
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(context.Background()))
	defer cancel()
	w := collect(cli.Watch(ctx, "k", clientv3.WithCreatedNotify()))
	w.waitFor(t, waitLimit, "the created notification", func(r clientv3.WatchResponse) bool { return r.Created })
	_, err := cli.Get(clientv3.WithRequireLeader(callCtx(t)), "k")
	require.NoError(t, err, "a member with a leader serves a client that requires one")

	for _, m := range c.members {
		if m != survivor {
			c.kill(m)
		}
	}
	// A put, which clientv3 does not retry: a read refused with "no
	// leader" (gRPC's Unavailable) would be retried until its deadline.
	var lastErr error
	ok := assert.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(context.Background()), time.Second)
		defer cancel()
		_, lastErr = cli.Put(ctx, "k", "v")
		return errors.Is(lastErr, rpctypes.ErrNoLeader)
	}, electionLimit, pollEvery, "a put that requires a leader to be refused with \"no leader\"")
	if !ok {
		t.Errorf("the last answer: %v", lastErr)
	}
	resp := w.waitFor(t, electionLimit, "the watch to be canceled", func(r clientv3.WatchResponse) bool { return r.Canceled })
	assert.ErrorIs(t, resp.Err(), rpctypes.ErrNoLeader)
	require.Eventually(t, w.isClosed, waitLimit, pollEvery, "the watch's channel to close")

	// Without the requirement, a serializable read is served from the
	// member's own store.
	_, err = cli.Get(callCtx(t), "k", clientv3.WithSerializable())
	assert.NoError(t, err)
}
