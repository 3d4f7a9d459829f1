package concurrency

import (
	"context"
	"errors"
	"fmt"

	"github.com/raftkv/raftkv/client"
)

var (
	// ErrLocked is TryLock's answer when someone else holds the lock.
	ErrLocked = errors.New("mutex: Locked by another session")
	// ErrSessionExpired: the session's lease ended while waiting, and with
	// it the key that held this place in the queue.
	ErrSessionExpired = errors.New("mutex: session is expired")
	// ErrElectionNotLeader: Proclaim by a candidate that is not the leader.
	ErrElectionNotLeader = errors.New("election: not leader")
	// ErrElectionNoLeader: Leader asked while nobody leads.
	ErrElectionNoLeader = errors.New("election: no leader")
)

// sessionKey is the key a session owns under a prefix: the prefix and the
// lease ID in hex, as etcd writes it (mylock/694d7b4f3a1b9a04), so that
// etcdctl and raftkvctl see each other's locks.
func sessionKey(prefix string, lease int64) string {
	return fmt.Sprintf("%s%x", prefix, lease)
}

// rangeKvs returns the key-values of the txn's i-th response, which must be
// a range: a server that answered otherwise gets an error, not a panic.
func rangeKvs(resp *client.TxnResponse, i int) ([]client.KeyValue, error) {
	if i >= len(resp.Responses) || resp.Responses[i].ResponseRange == nil {
		return nil, fmt.Errorf("concurrency: txn response %d is not a range", i)
	}
	return resp.Responses[i].ResponseRange.Kvs, nil
}

// waitDeletes waits until no key under prefix has a create revision of at
// most maxCreateRev: until every session queued before ours is gone. It
// waits on one key at a time, the newest of those before ours, so that a
// release wakes only the next waiter, not every one (no thundering herd).
func waitDeletes(ctx context.Context, c *client.Client, prefix string, maxCreateRev int64) error {
	opts := append(client.WithLastCreate(), client.WithMaxCreateRev(maxCreateRev))
	for {
		resp, err := c.Get(ctx, prefix, opts...)
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return nil
		}
		if err := waitDelete(ctx, c, string(resp.Kvs[0].Key), resp.Header.Revision); err != nil {
			return err
		}
	}
}

// waitDelete waits for key to be deleted after revision rev. Watching from
// rev, not from "now", is what makes this race-free: a delete that happens
// between our Get and the watch's creation is in the history and is replayed.
func waitDelete(ctx context.Context, c *client.Client, key string, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for wr := range c.Watch(wctx, key, client.WithRev(rev)) {
		if wr.Err != nil {
			return wr.Err
		}
		for _, ev := range wr.Events {
			if ev.Type == client.EventTypeDelete {
				return nil
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("concurrency: lost the watch while waiting for a delete")
}
