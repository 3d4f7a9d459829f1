package concurrency

import (
	"context"
	"time"

	"github.com/raftkv/raftkv/client"
)

// Mutex is a distributed lock: at most one session holds it at a time,
// among all the programs that use the same prefix. It is etcd's algorithm
// (go.etcd.io/etcd/client/v3/concurrency), built only from a lease, a txn
// and a watch:
//
//  1. Queue: in one txn, create the key prefix/<lease> (if this session has
//     not already) and read the prefix's oldest key. The key's create
//     revision is our place in the queue: revisions are unique and ordered,
//     so the queue is first come, first served.
//  2. If the oldest key is ours, we hold the lock.
//  3. Otherwise wait until every key created before ours is deleted,
//     watching only the one just before ours.
//  4. Check that our key still exists: if our lease expired while we waited,
//     our place is gone, and so is the lock.
//
// A crashed holder stops renewing its lease, the lease expires, its key is
// deleted, and the next waiter proceeds: a lock never outlives its holder by
// more than the TTL. Even so a holder can be paused past its TTL (GC, swap)
// and wake up believing it holds the lock: guard writes made under the lock
// with IsOwner in the same txn, so that they fail if the lock was lost.
type Mutex struct {
	s     *Session
	pfx   string
	myKey string
	myRev int64
	hdr   *client.ResponseHeader
}

// NewMutex returns a mutex on prefix pfx for session s.
func NewMutex(s *Session, pfx string) *Mutex {
	return &Mutex{s: s, pfx: pfx + "/", myRev: -1}
}

// TryLock takes the lock if it is free, and otherwise returns ErrLocked at
// once (leaving no key behind).
func (m *Mutex) TryLock(ctx context.Context) error {
	held, err := m.acquire(ctx)
	if err != nil || held {
		return err
	}
	if _, err := m.s.Client().Delete(ctx, m.myKey); err != nil {
		return err
	}
	m.myKey, m.myRev = "\x00", -1
	return ErrLocked
}

// Lock waits until the lock is ours or ctx is done. On failure it leaves no
// key behind (it deletes its own), so a canceled Lock does not block others.
func (m *Mutex) Lock(ctx context.Context) error {
	held, err := m.acquire(ctx)
	if err != nil {
		// The txn may have created our key before the error (a context
		// canceled while the answer was on its way): remove it, or it
		// would block everyone until our lease expires.
		m.cleanup()
		return err
	}
	if held {
		return nil
	}
	c := m.s.Client()
	if err := waitDeletes(ctx, c, m.pfx, m.myRev-1); err != nil {
		m.cleanup()
		return err
	}
	// Our key may have gone with our lease while we waited.
	gresp, err := c.Get(ctx, m.myKey)
	if err != nil {
		m.cleanup()
		return err
	}
	if len(gresp.Kvs) == 0 {
		return ErrSessionExpired
	}
	m.hdr = gresp.Header
	return nil
}

// acquire queues this session and reports whether it holds the lock now:
// whether the oldest key of the prefix is ours.
func (m *Mutex) acquire(ctx context.Context) (bool, error) {
	resp, err := m.tryAcquire(ctx)
	if err != nil {
		return false, err
	}
	owner, err := rangeKvs(resp, 1)
	if err != nil {
		return false, err
	}
	if len(owner) == 0 || owner[0].CreateRevision == m.myRev {
		m.hdr = resp.Header
		return true, nil
	}
	return false, nil
}

// cleanup deletes our queue key after a failed Lock, with a fresh context:
// the caller's may be the reason Lock failed.
func (m *Mutex) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m.Unlock(ctx) //nolint:errcheck // best effort: the lease will expire anyway
}

// tryAcquire queues this session (or finds its existing key) and reads the
// current holder, in one round trip.
func (m *Mutex) tryAcquire(ctx context.Context) (*client.TxnResponse, error) {
	c := m.s.Client()
	m.myKey = sessionKey(m.pfx, m.s.Lease())
	resp, err := c.Txn(ctx).
		If(client.Compare(client.CreateRevision(m.myKey), "=", 0)).
		Then(client.OpPut(m.myKey, "", client.WithLease(m.s.Lease())), client.OpGet(m.pfx, client.WithFirstCreate()...)).
		Else(client.OpGet(m.myKey), client.OpGet(m.pfx, client.WithFirstCreate()...)).
		Commit()
	if err != nil {
		return nil, err
	}
	m.myRev = resp.Header.Revision
	if !resp.Succeeded {
		// The key existed: this session already queued (a lock re-entered
		// after a failed attempt); its place is its key's create revision.
		mine, err := rangeKvs(resp, 0)
		if err != nil {
			return nil, err
		}
		if len(mine) == 0 {
			return nil, ErrSessionExpired // deleted between compare and read: impossible in one txn, but never index blindly
		}
		m.myRev = mine[0].CreateRevision
	}
	return resp, nil
}

// Unlock releases the lock (deletes our key).
func (m *Mutex) Unlock(ctx context.Context) error {
	if _, err := m.s.Client().Delete(ctx, m.myKey); err != nil {
		return err
	}
	m.myKey, m.myRev = "\x00", -1
	return nil
}

// IsOwner is the condition "this session still holds the lock", to put in
// the If of a txn that writes under the lock, once Lock has returned: it
// holds while our key is the one we locked with, and fails once our lease
// has expired (and someone else may hold the lock), however late we wake.
func (m *Mutex) IsOwner() client.Cmp {
	return client.Compare(client.CreateRevision(m.myKey), "=", m.myRev)
}

// Key is the lock's key for this session (what etcdctl lock prints).
func (m *Mutex) Key() string { return m.myKey }

// Header is the response header of the request that acquired the lock.
func (m *Mutex) Header() *client.ResponseHeader { return m.hdr }
