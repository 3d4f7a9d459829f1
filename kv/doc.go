// Package kv is raftkv's state machine: an etcd-compatible multi-version
// key-value store with transactions, watches, leases and compaction.
//
// # Where it sits in Raft
//
// Raft replicates a log of commands; each member applies the committed
// commands, in log order, to its own copy of a state machine. Raft's State
// Machine Safety property (§5.4.3, Figure 3) says no two members ever apply
// different commands at the same log index. That is only worth something if
// applying a command is deterministic: the same commands in the same order
// must give the same state and the same answers everywhere. Apply is written
// for that: no clock, no randomness, no goroutines, and nothing that leaks
// Go's random map order into a result. Even errors are deterministic answers.
//
//	raft log:   | put a=1 | put b=2 | txn{...} | del a | ...      (committed)
//	                 |         |          |         |
//	Apply:           v         v          v         v
//	revision:   1 -> 2    ->   3    ->    4    ->   5               (store)
//
// # Revisions
//
// A fresh store is at revision 1. Every command that changes at least one key
// creates the next revision, however many keys it changes (a transaction, or
// a lease revoke deleting all its keys, is one revision). Nothing is
// overwritten: each write appends a version to its key's history, so the
// store can answer a read "as of revision R" for any R since the last
// compaction. Each version records, like etcd's KeyValue, the revision that
// created the key (CreateRevision), the revision of this write (ModRevision)
// and how many times the key was put since it was created (Version).
//
// Revisions make two hard things easy. A consistent snapshot of many keys is
// just "read everything at revision R", with no locking of keys. And a watch
// is just "every change after revision R, in order": a client that lost its
// connection resumes from the last revision it saw, plus one, and misses
// nothing.
//
// # Data structures
//
//	index (kv/btree, ordered by key)        revision log (revlog.go)
//	  "a" -> keyIndex{ v@2, v@5, del@7 }       rev 2: ["a"]
//	  "b" -> keyIndex{ v@3 }                   rev 3: ["b"]
//	  "c" -> keyIndex{ v@4, v@6 }              rev 4: ["c"]
//	                                           rev 5: ["a"]   ...
//
// The index is a copy-on-write B-tree from each key to its keyIndex: the
// key's versions, oldest first, each holding its value. "Key k at revision R"
// is a B-tree lookup and a binary search in a short list; a range is a B-tree
// scan. (etcd splits this in two — an in-memory index of revisions and a
// boltdb file of values keyed by revision — because its values live on disk;
// ours live in memory, so one structure does both, with one pointer chase
// fewer.) The revision log lists, for every revision, the keys it changed in
// the order it changed them. Watchers that fall behind replay history from it
// and compaction uses it to find the keys that have history to drop.
//
// # Compaction
//
// History would grow forever, so a client compacts at some revision C: every
// version a read at C or later cannot see is dropped (for each key, all
// versions older than its state at C; a key deleted before C disappears
// entirely), and reads or watches from before C fail with ErrCompacted.
// Memory is then bounded by the live data plus the history written since C.
//
// # Reads, writes and watches
//
// Writes are Requests (put, delete range, txn, compaction, lease grant and
// revoke) that go through raft: the server encodes them with Request.Marshal,
// proposes the bytes, and every member calls ApplyBytes (or Apply) when they
// are committed. Validate runs the request checks etcd makes before raft, so
// a server can refuse bad requests before proposing them.
//
// Reads do not go through raft: Range, and ReadTxn for read-only
// transactions, read the store directly (how fresh that is, is the server's
// business: a linearizable read first waits for a raft read index).
//
// Watch registers a Watcher; the store queues events for it as it applies
// writes, and the consumer pulls them with Watcher.Next — no goroutines, so a
// deterministic simulator can drive it step by step. Watcher.Ready is a
// non-blocking signal for a consumer in another goroutine.
//
// # Leases and time
//
// Which leases exist, and which keys they hold, is replicated state (lease
// grant and revoke are Requests). When a lease expires is not: only the
// leader decides, from its own clock, passed in as "now" (see lease_time.go);
// it then proposes a revoke, which every member applies at the same log index.
//
// # Snapshots
//
// Snapshot streams the whole state (all history since the last compaction,
// leases, revisions) from a frozen copy-on-write view, so writes continue
// while it is written; Restore reads it back, checking everything. Hash is the
// CRC of the same stream: two members with equal hashes at the same applied
// index hold the same state.
//
// # Comparing members
//
// HashKV (hashkv.go) is etcd's HashKV: a CRC-32C of the key-value history as
// of any revision since the compaction, byte for byte the one etcd computes,
// which members compare to catch one whose state has diverged (the server's
// corruption check raises the CORRUPT alarm on a mismatch).
//
// # Encoding
//
// Requests and snapshots use a hand-written binary encoding (varints and
// length-prefixed bytes, described in codec.go and snapshot.go) rather than
// encoding/json: a 256-byte put costs ~300 bytes and a few hundred
// nanoseconds to decode, on every member and on every WAL replay, and the
// decoder can be read in one sitting. Decoders never panic on hostile input
// (see the fuzz targets).
//
// # Concurrency
//
// A Store is safe for concurrent use. Apply and Restore take an exclusive
// lock; Range, ReadTxn, Hash and Watcher.Next a shared one. Snapshot holds
// the lock only to freeze a copy-on-write view, in O(1) for the keys.
//
// # Where raftkv differs from etcd
//
//   - A transaction that puts a key inside a "from key" delete (range_end
//     "\x00") of the same transaction is refused with ErrDuplicateKey; etcd's
//     check misses it (and then crashes applying some of them).
//   - Compaction at C keeps every event of revision C (a delete at exactly C
//     included), so a watcher resuming at C misses nothing.
//   - Watch responses carry one revision each, with that revision in the
//     header; etcd may batch several revisions of history in one message.
//
// Entry points: New, Store.Apply, Store.ApplyBytes, Store.Validate,
// Store.Range, Store.ReadTxn, Store.Watch, Store.Snapshot, Store.Restore,
// Store.Hash, Store.HashKV, and the lease clock: Store.ExpiredLeases,
// Store.LeaseRenew, Store.LeaseTimeToLive, Store.ResetLeaseExpiries.
package kv
