// Package concurrency builds a distributed lock and a leader election out of
// nothing but the key-value API: a lease, a transaction and a watch. It is
// the algorithm of etcd's go.etcd.io/etcd/client/v3/concurrency, and writes
// the same keys (<prefix>/<lease ID in hex>), so raftkvctl lock and etcdctl
// lock see each other.
//
// # The three pieces
//
//   - Session: a lease kept alive by this program. Every key the lock or the
//     election writes is attached to it; if the program dies, the lease
//     expires after its TTL and the cluster deletes the keys. A lock is thus
//     never held by a dead program for longer than the TTL.
//   - A txn that creates our key only if it does not exist yet (compare its
//     create revision with 0), and reads the oldest key of the prefix in the
//     same atomic step. The create revision of our key is our ticket: the
//     store's revisions are unique and increasing, so tickets form a
//     first-come, first-served queue with no further coordination.
//   - A watch on the key just before ours (the newest key with a smaller
//     create revision), started at the revision of the read that found it,
//     so that a delete in between is replayed, not missed. When it is
//     deleted we look again; when nothing is before us, we hold the lock.
//     Each waiter watches only its predecessor: a release wakes one waiter,
//     not all of them (this is the ZooKeeper lock recipe, with revisions in
//     place of sequential znodes).
//
// An Election is the same queue with values: the oldest key is the leader,
// its value the leader's proclamation; Observe follows the leader's key.
//
// # What a lock cannot promise
//
// A holder can be paused (GC, swap, a stopped VM) past its TTL: the lock
// passes to the next waiter while the first still believes it holds it. No
// lock service can prevent that; what it can do is let writes check. Put
// Mutex.IsOwner in the If of every txn that writes under the lock: the
// write then fails if our key is gone. See Martin Kleppmann, "How to do
// distributed locking" (2016), on fencing.
//
// Entry points: NewSession, NewMutex (Lock, TryLock, Unlock, IsOwner),
// NewElection (Campaign, Proclaim, Resign, Leader, Observe).
package concurrency
