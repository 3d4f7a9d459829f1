package concurrency

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/internal/fakeetcd"
)

func setup(t *testing.T) (*fakeetcd.Store, *client.Client, context.Context) {
	t.Helper()
	store := fakeetcd.NewStore()
	srv := httptest.NewServer(&fakeetcd.Member{Store: store, ID: 1})
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{Endpoints: []string{srv.URL}, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return store, c, ctx
}

func newSession(t *testing.T, c *client.Client) *Session {
	t.Helper()
	s, err := NewSession(c, WithTTL(30))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Orphan)
	return s
}

// waitForKey returns once key exists: a waiter has queued.
func waitForKey(t *testing.T, ctx context.Context, c *client.Client, key string) {
	t.Helper()
	for wr := range c.Watch(ctx, key, client.WithRev(1)) {
		for _, ev := range wr.Events {
			if ev.Type == client.EventTypePut {
				return
			}
		}
	}
	t.Fatalf("%s never appeared", key)
}

func TestMutexExcludesAndHandsOver(t *testing.T) {
	_, c, ctx := setup(t)
	s1, s2, s3 := newSession(t, c), newSession(t, c), newSession(t, c)
	m1, m2 := NewMutex(s1, "mylock"), NewMutex(s2, "mylock")
	if err := m1.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("mylock/%x", s1.Lease()); m1.Key() != want {
		t.Errorf("key %q, want %q (etcd's shape)", m1.Key(), want)
	}
	locked := make(chan error, 1)
	go func() { locked <- m2.Lock(ctx) }()
	waitForKey(t, ctx, c, fmt.Sprintf("mylock/%x", s2.Lease()))
	select {
	case err := <-locked:
		t.Fatalf("second Lock returned (%v) while the first holds the lock", err)
	default:
	}
	if err := NewMutex(s3, "mylock").TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while held: %v", err)
	}
	if err := m1.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("second Lock never returned after Unlock")
	}
	resp, err := c.Txn(ctx).If(m2.IsOwner()).Then(client.OpPut("guarded", "x")).Commit()
	if err != nil || !resp.Succeeded {
		t.Fatalf("fenced write by the owner: %+v %v", resp, err)
	}
}

// A holder that dies (its lease expires) releases the lock.
func TestMutexReleasedWhenTheHolderDies(t *testing.T) {
	store, c, ctx := setup(t)
	// A short TTL: its keepalive, every TTL/3, soon learns the lease is gone.
	s1, err := NewSession(c, WithTTL(3))
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Orphan()
	s2 := newSession(t, c)
	if err := NewMutex(s1, "l").Lock(ctx); err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() { locked <- NewMutex(s2, "l").Lock(ctx) }()
	waitForKey(t, ctx, c, fmt.Sprintf("l/%x", s2.Lease()))
	store.Expire(s1.Lease())
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	select {
	case <-s1.Done(): // its keepalive learns the lease is gone
	case <-ctx.Done():
		t.Fatal("the dead session's Done was not closed")
	}
}

func TestMutexLockCanceledLeavesNoKey(t *testing.T) {
	_, c, ctx := setup(t)
	s1, s2 := newSession(t, c), newSession(t, c)
	if err := NewMutex(s1, "l").Lock(ctx); err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	locked := make(chan error, 1)
	go func() { locked <- NewMutex(s2, "l").Lock(lctx) }()
	key := fmt.Sprintf("l/%x", s2.Lease())
	waitForKey(t, ctx, c, key)
	cancel()
	if err := <-locked; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Lock: %v", err)
	}
	if resp, err := c.Get(ctx, key); err != nil || resp.Count != 0 {
		t.Fatalf("a canceled waiter left its key: %+v %v", resp, err)
	}
}

func TestElection(t *testing.T) {
	_, c, ctx := setup(t)
	s1, s2, s3 := newSession(t, c), newSession(t, c), newSession(t, c)
	e1, e2 := NewElection(s1, "myelection"), NewElection(s2, "myelection")
	if _, err := NewElection(s3, "myelection").Leader(ctx); !errors.Is(err, ErrElectionNoLeader) {
		t.Fatalf("leader of an empty election: %v", err)
	}
	obs := NewElection(s3, "myelection").Observe(ctx)
	if err := e1.Campaign(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	expect := func(val string) {
		t.Helper()
		select {
		case r, ok := <-obs:
			if !ok || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != val {
				t.Fatalf("observed %+v (ok=%v), want %s", r, ok, val)
			}
		case <-ctx.Done():
			t.Fatalf("never observed %s", val)
		}
	}
	expect("p1")
	won := make(chan error, 1)
	go func() { won <- e2.Campaign(ctx, "p2") }()
	waitForKey(t, ctx, c, fmt.Sprintf("myelection/%x", s2.Lease()))
	if err := e1.Proclaim(ctx, "p1b"); err != nil {
		t.Fatal(err)
	}
	expect("p1b")
	if err := NewElection(s3, "myelection").Proclaim(ctx, "nope"); !errors.Is(err, ErrElectionNotLeader) {
		t.Fatalf("proclaim by a non-leader: %v", err)
	}
	if err := e1.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-won; err != nil {
		t.Fatal(err)
	}
	expect("p2")
	leader, err := e1.Leader(ctx)
	if err != nil || !strings.HasSuffix(string(leader.Kvs[0].Key), fmt.Sprintf("%x", s2.Lease())) {
		t.Fatalf("leader: %+v %v", leader, err)
	}
}
