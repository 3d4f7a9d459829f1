package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client/internal/fakeetcd"
	"github.com/raftkv/raftkv/client/wire"
)

// cluster starts n fake members over one store.
func cluster(t *testing.T, n int) (*fakeetcd.Store, []*fakeetcd.Member, []string) {
	t.Helper()
	store := fakeetcd.NewStore()
	var members []*fakeetcd.Member
	var urls []string
	for i := 0; i < n; i++ {
		m := &fakeetcd.Member{Store: store, ID: uint64(100 + i)}
		srv := httptest.NewServer(m)
		t.Cleanup(srv.Close)
		members = append(members, m)
		urls = append(urls, srv.URL)
	}
	return store, members, urls
}

func newClient(t *testing.T, endpoints ...string) *Client {
	t.Helper()
	c, err := New(Config{Endpoints: endpoints, DialTimeout: time.Second, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// deadAddr is an address where nothing listens: connecting is refused.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPutGetDeleteTxn(t *testing.T) {
	_, _, urls := cluster(t, 1)
	c := newClient(t, urls...)
	ctx := testCtx(t)

	put, err := c.Put(ctx, "/testdir/testkey", "Hello world")
	if err != nil {
		t.Fatal(err)
	}
	if put.Header.Revision != 2 {
		t.Errorf("first put at revision %d, want 2 as etcd", put.Header.Revision)
	}
	if _, err := c.Put(ctx, "/testdir/testkey2", "Hello again"); err != nil {
		t.Fatal(err)
	}
	get, err := c.Get(ctx, "/testdir", WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if get.Count != 2 || string(get.Kvs[0].Value) != "Hello world" || string(get.Kvs[1].Key) != "/testdir/testkey2" {
		t.Fatalf("get --prefix = %+v", get)
	}
	get, err = c.Get(ctx, "/testdir", WithPrefix(), WithLimit(1), WithCountOnly())
	if err != nil || get.Count != 2 || len(get.Kvs) != 0 {
		t.Fatalf("count only = %+v, %v", get, err)
	}

	txn, err := c.Txn(ctx).
		If(Compare(Value("/testdir/testkey"), "=", "Hello world")).
		Then(OpPut("result", "ok"), OpGet("result")).
		Else(OpDelete("result")).
		Commit()
	if err != nil {
		t.Fatal(err)
	}
	if !txn.Succeeded || len(txn.Responses) != 2 || txn.Responses[1].ResponseRange == nil || string(txn.Responses[1].ResponseRange.Kvs[0].Value) != "ok" {
		t.Fatalf("txn = %+v", txn)
	}

	del, err := c.Delete(ctx, "/testdir", WithPrefix(), WithPrevKV())
	if err != nil || del.Deleted != 2 || len(del.PrevKVs) != 2 {
		t.Fatalf("delete = %+v, %v", del, err)
	}
}

func TestTxnBuilderErrorsAreErrorsNotPanics(t *testing.T) {
	_, _, urls := cluster(t, 1)
	c := newClient(t, urls...)
	ctx := testCtx(t)
	for name, txn := range map[string]*Txn{
		"bad operator":     c.Txn(ctx).If(Compare(Version("k"), "~", 1)),
		"bad value type":   c.Txn(ctx).If(Compare(Value("k"), "=", 3)),
		"bad integer type": c.Txn(ctx).If(Compare(ModRevision("k"), "=", "3")),
		"If after Then":    c.Txn(ctx).Then(OpGet("k")).If(),
		"zero Op":          c.Txn(ctx).Then(Op{}),
	} {
		if _, err := txn.Commit(); err == nil {
			t.Errorf("%s: Commit succeeded", name)
		}
	}
}

// The first endpoint is down: the request goes to the second, which is
// then tried first.
func TestFailoverWhenAnEndpointIsDown(t *testing.T) {
	store, _, urls := cluster(t, 1)
	c := newClient(t, deadAddr(t), urls[0])
	ctx := testCtx(t)
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put with the first endpoint down: %v", err)
	}
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := store.Count("/v3/kv/put"); got != 1 {
		t.Errorf("put reached the store %d times, want 1", got)
	}
	if c.first() != 1 {
		t.Errorf("the working endpoint is not tried first")
	}
}

// A member that takes the request and drops the connection without
// answering: the write may have happened. It must not be sent again
// elsewhere; a read may.
func TestWriteWithUnknownOutcomeIsNotRetried(t *testing.T) {
	store, members, urls := cluster(t, 2)
	var dropped atomic.Int32
	members[0].Before = func(w http.ResponseWriter, r *http.Request) bool {
		dropped.Add(1)
		panic(http.ErrAbortHandler) // read, then close without an answer
	}
	c := newClient(t, urls...)
	ctx := testCtx(t)
	_, err := c.Put(ctx, "k", "v")
	if err == nil {
		t.Fatal("put succeeded, but its first attempt had an unknown outcome")
	}
	if got := store.Count("/v3/kv/put"); got != 1 {
		t.Errorf("the put was sent %d times, want once", got)
	}
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatalf("a read must fail over: %v", err)
	}
	if dropped.Load() != 2 {
		t.Errorf("member 0 saw %d requests, want 2 (the put and the get)", dropped.Load())
	}
}

// "no leader" is refused before anything is proposed: safe to retry even
// for a write. "request timed out" is not.
func TestRetryOnlyRefusedWrites(t *testing.T) {
	store, members, urls := cluster(t, 2)
	answer := wire.ErrNoLeader
	members[0].Before = func(w http.ResponseWriter, r *http.Request) bool {
		fakeetcd.WriteError(w, answer)
		return true
	}
	c := newClient(t, urls...)
	ctx := testCtx(t)
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put after no leader: %v", err)
	}
	c.pin(0)
	answer = wire.ErrTimeout
	_, err := c.Put(ctx, "k", "v2")
	if !errors.Is(err, wire.ErrTimeout) {
		t.Fatalf("put after a timeout = %v, want etcd's timeout error, not a retry", err)
	}
	if got := store.Count("/v3/kv/put"); got != 3 {
		t.Errorf("puts seen: %d, want 3", got)
	}
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatalf("a read fails over after a timeout: %v", err)
	}
}

func TestErrorsInEtcdsWords(t *testing.T) {
	_, members, urls := cluster(t, 1)
	c := newClient(t, urls...)
	ctx := testCtx(t)
	members[0].Before = func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v3/kv/range":
			fakeetcd.WriteError(w, wire.ErrCompacted)
		case "/v3/kv/compaction":
			http.NotFound(w, r) // plain text, as a mux answers
		default:
			return false
		}
		return true
	}
	_, err := c.Get(ctx, "k", WithRev(1))
	if !errors.Is(err, ErrCompacted) || err.Error() != "etcdserver: mvcc: required revision has been compacted" {
		t.Errorf("compacted read: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != wire.OutOfRange || e.HTTPStatus() != 400 {
		t.Errorf("compacted read: %#v", err)
	}
	_, err = c.Compact(ctx, 5)
	if !errors.As(err, &e) || e.Code != wire.NotFound || e.Message != "404 page not found" {
		t.Errorf("plain-text 404: %#v", err)
	}
	_, err = c.Put(ctx, "k", "v", WithLease(42))
	if !errors.Is(err, ErrLeaseNotFound) {
		t.Errorf("put with a missing lease: %v", err)
	}
}

func TestAllEndpointsDownHonoursTheDeadline(t *testing.T) {
	c := newClient(t, deadAddr(t), deadAddr(t))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestLeases(t *testing.T) {
	store, _, urls := cluster(t, 1)
	c := newClient(t, urls...)
	ctx := testCtx(t)
	g, err := c.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "leased", "v", WithLease(g.ID)); err != nil {
		t.Fatal(err)
	}
	ka, err := c.KeepAliveOnce(ctx, g.ID)
	if err != nil || ka.TTL != 60 {
		t.Fatalf("keepalive once: %+v %v", ka, err)
	}
	kctx, kcancel := context.WithCancel(ctx)
	ch, err := c.KeepAlive(kctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first := <-ch; first.ID != g.ID {
		t.Errorf("first keepalive: %+v", first)
	}
	kcancel()
	requireClosed(t, ch, "the keep-alive channel after its context was canceled")
	store.Expire(g.ID)
	if _, err := c.KeepAliveOnce(ctx, g.ID); !errors.Is(err, ErrLeaseNotFound) {
		t.Errorf("keepalive of an ended lease: %v", err)
	}
	ttl, err := c.TimeToLive(ctx, g.ID, true)
	if err != nil || ttl.TTL != -1 {
		t.Errorf("timetolive of an ended lease: %+v %v", ttl, err)
	}
	if get, _ := c.Get(ctx, "leased"); get == nil || get.Count != 0 {
		t.Errorf("the lease's key survived it: %+v", get)
	}
}

// collect reads events until want revisions were seen or the deadline.
func collect(t *testing.T, wch WatchChan, want int) []int64 {
	t.Helper()
	var revs []int64
	timeout := time.After(15 * time.Second)
	for len(revs) < want {
		select {
		case resp, ok := <-wch:
			if !ok {
				t.Fatalf("watch closed after %v", revs)
			}
			if resp.Err != nil {
				t.Fatalf("watch error: %v", resp.Err)
			}
			for _, ev := range resp.Events {
				revs = append(revs, ev.Kv.ModRevision)
			}
		case <-timeout:
			t.Fatalf("timed out with %v", revs)
		}
	}
	return revs
}

// A watch whose stream is cut every two responses, on every member, still
// sees every revision exactly once, in order, resuming each time at the
// revision after the last one delivered, on the next member.
func TestWatchResumesAcrossDisconnectsWithoutLossOrDuplicates(t *testing.T) {
	store, members, urls := cluster(t, 3)
	for _, m := range members {
		m.BreakWatchAfter = 2
	}
	c := newClient(t, urls...)
	ctx := testCtx(t)
	if _, err := c.Put(ctx, "w/0", "before"); err != nil { // revision 2
		t.Fatal(err)
	}
	wch := c.Watch(ctx, "w/", WithPrefix(), WithRev(2))
	const n = 12
	for i := 1; i <= n; i++ {
		if _, err := c.Put(ctx, fmt.Sprintf("w/%d", i), "v"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Put(ctx, "other", "noise"); err != nil {
			t.Fatal(err)
		}
	}
	revs := collect(t, wch, n+1)
	want := []int64{2}
	for i := 1; i <= n; i++ {
		want = append(want, int64(1+2*i))
	}
	if fmt.Sprint(revs) != fmt.Sprint(want) {
		t.Fatalf("revisions seen %v\nwant            %v", revs, want)
	}
	starts := store.WatchStarts()
	if len(starts) < 3 || starts[0] != 2 {
		t.Fatalf("watch starts %v: want several reconnections, the first at 2", starts)
	}
	// Each reconnection starts right after the last delivered event.
	for i := 1; i < len(starts); i++ {
		if starts[i] <= starts[i-1] {
			t.Errorf("watch starts not increasing: %v", starts)
		}
	}
}

// A live watch ("from now") learns its revision from the created response
// and resumes from it after a disconnection.
func TestWatchFromNowResumes(t *testing.T) {
	store, members, urls := cluster(t, 2)
	members[0].BreakWatchAfter = 1
	c := newClient(t, urls...)
	ctx := testCtx(t)
	wch := c.Watch(ctx, "k", WithCreatedNotify())
	if resp := <-wch; !resp.Created {
		t.Fatalf("first response: %+v", resp)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Put(ctx, "k", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if revs := collect(t, wch, 3); fmt.Sprint(revs) != "[2 3 4]" {
		t.Fatalf("revisions %v", revs)
	}
	if starts := store.WatchStarts(); fmt.Sprint(starts) != "[0 3]" {
		t.Errorf("watch starts %v, want [0 3]", starts)
	}
}

func TestWatchCompacted(t *testing.T) {
	store, _, urls := cluster(t, 1)
	c := newClient(t, urls...)
	ctx := testCtx(t)
	for i := 0; i < 5; i++ {
		c.Put(ctx, "k", "v")
	}
	store.Compact(5)
	wch := c.Watch(ctx, "k", WithRev(3))
	resp, ok := <-wch
	if !ok || !resp.Canceled || resp.CompactRevision != 5 || !errors.Is(resp.Err, ErrCompacted) {
		t.Fatalf("compacted watch: %+v ok=%v", resp, ok)
	}
	if _, ok := <-wch; ok {
		t.Fatal("the channel stays open after the watch ended")
	}
}

func TestWatchCancelClosesTheChannel(t *testing.T) {
	_, _, urls := cluster(t, 1)
	c := newClient(t, urls...)
	ctx, cancel := context.WithCancel(testCtx(t))
	wch := c.Watch(ctx, "k", WithCreatedNotify())
	<-wch
	cancel()
	requireClosed(t, wch, "the watch channel after its context was canceled")
}

// requireClosed drains ch until it is closed, and fails the test (rather
// than hang it) if it is still open 10 s later.
func requireClosed[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, open := <-ch:
			if !open {
				return
			}
		case <-deadline:
			t.Fatalf("%s is still open 10 s later", what)
		}
	}
}

func TestStatusHealthVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/version":
			w.Write([]byte(`{"etcdserver":"3.7.3","etcdcluster":"3.7.0","storage":"3.7.0"}`))
		case "/health":
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"health":"false","reason":"RAFT NO LEADER"}`))
		case "/v3/maintenance/status":
			w.Write([]byte(`{"header":{"cluster_id":"1","member_id":"2","revision":"40","raft_term":"2"},"version":"3.7.3","dbSize":"24576","leader":"2","raftIndex":"62","raftTerm":"2","raftAppliedIndex":"62","downgradeInfo":{}}`))
		}
	}))
	defer srv.Close()
	c := newClient(t, "unused:1")
	ctx := testCtx(t)
	hostport := strings.TrimPrefix(srv.URL, "http://")
	v, err := c.Version(ctx, hostport)
	if err != nil || v.Server != "3.7.3" {
		t.Errorf("version: %+v %v", v, err)
	}
	h, err := c.Health(ctx, srv.URL)
	if err != nil || h.Healthy() || h.Reason != "RAFT NO LEADER" {
		t.Errorf("health: %+v %v", h, err)
	}
	st, err := c.Status(ctx, srv.URL)
	if err != nil || st.Leader != 2 || st.RaftIndex != 62 {
		t.Errorf("status: %+v %v", st, err)
	}
}
