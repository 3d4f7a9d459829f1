// Package client is the Go client of raftkv's HTTP/JSON API, which is etcd
// v3's JSON gateway: it also works against etcd. The CLI (raftkvctl), the
// benchmarks and the tests use it.
//
//	c, err := client.New(client.Config{
//		Endpoints:      []string{"127.0.0.1:2379", "127.0.0.1:22379", "127.0.0.1:32379"},
//		RequestTimeout: 5 * time.Second,
//	})
//	_, err = c.Put(ctx, "/testdir/testkey", "Hello world")
//	resp, err := c.Get(ctx, "/testdir", client.WithPrefix())
//	for _, kv := range resp.Kvs { fmt.Printf("%s = %s\n", kv.Key, kv.Value) }
//
// # The API's shape
//
// Every call is a POST of a JSON message to a path (/v3/kv/put,
// /v3/kv/range, /v3/kv/txn, /v3/lease/grant, ...), answered by a JSON message
// or by an error {"code":N,"message":"..."}; package wire holds the messages
// and their exact encoding. Keys and values are bytes (base64 on the wire).
// Every answer has a header whose revision is the store's revision: a
// counter that every write increments, and that names the state of the whole
// store after that write. A key-value carries the revision that created it
// and the one that last changed it. Errors come back as *Error, with etcd's
// code and words: errors.Is(err, client.ErrCompacted).
//
// # Why a watch can resume
//
// The store keeps its history: each change is an event at a revision, and a
// watch can start at any revision still in the history. So a watch is not a
// fragile subscription but a read of the history from a point onwards. When
// its connection breaks (the member crashed, the network failed), Watch
// reconnects, to another member if needed, asking for the events from the
// revision after the last one it delivered: the new stream continues exactly
// where the old one stopped, and the caller sees every event once, in order.
// Only compaction (discarding old history) can break this: the watch then
// ends with ErrCompacted, and the caller must read the current state again.
//
// # Linearizable and serializable reads
//
// A read is linearizable by default: it reflects every write acknowledged
// before it started, whichever member answers. The member first asks the
// leader for its commit index and has a quorum confirm that it is still the
// leader (Raft's ReadIndex, thesis §6.4), then waits until it has applied
// that index. WithSerializable skips this and answers from the member's own
// state: faster and available without a leader, but possibly stale (a
// follower may lag behind, or sit in a minority partition).
//
// # Which errors are retried, and where
//
// Calls try the endpoints in order, starting with the one that answered
// last. The rule is to never risk doing a write twice:
//
//   - no connection could be made (refused, unreachable, dial timeout): the
//     request was not sent; any call moves to the next endpoint;
//   - the connection broke after the request was sent, or the answer did
//     not come: reads, and other calls that are safe to repeat (keepalive,
//     timetolive, member list, a txn of reads only), move on; writes (put,
//     delete, txn with writes, compact, grant, revoke, member changes)
//     return the error: the write may have been applied, and only the
//     caller knows how to check;
//   - the server refused before proposing anything — "etcdserver: no
//     leader", "too many requests", "not capable", "unhealthy cluster": any
//     call moves on;
//   - other Unavailable errors ("request timed out", "leader changed",
//     "server stopped"): reads move on, writes return the error;
//   - any other error (compacted, lease not found, bad request...) is the
//     answer and is returned as it is.
//
// After a round of endpoints the call pauses (50 ms, doubling to 1 s) and
// tries again until its context ends (or, without a deadline, for three
// rounds): this rides out an election.
//
// # Authentication
//
// On a cluster with auth enabled, give Config a Username and Password: the
// client trades them for a token (Authenticate) at its first request, or
// at Login, and sends the token with every request and stream, in the
// Authorization header. When the server answers that the token is dead
// ("invalid auth token": it expired, the member restarted, the password
// changed), that permissions changed since ("revision of auth store is
// old"), or that no token came ("user name is empty"), the client
// authenticates again and repeats the request once — safe even for a write,
// since those refusals come before the write has any effect (token.go).
// The same configuration works on a cluster without auth. Refusals are
// etcd's errors: errors.Is(err, client.ErrPermissionDenied).
//
// The auth API itself mirrors clientv3's: AuthEnable, AuthDisable,
// AuthStatus; UserAdd, UserGet, UserList, UserDelete, UserChangePassword,
// UserGrantRole, UserRevokeRole; RoleAdd, RoleGet, RoleList, RoleDelete,
// RoleGrantPermission, RoleRevokePermission.
//
// # Locks and elections
//
// Package concurrency builds a lock and an election from a lease (so that
// a dead holder releases), a txn (to queue atomically, ordered by revision)
// and a watch (to wait for the one before us), as etcd does.
//
// Entry points: New; Put, Get, Delete, Txn, Compact; Watch; Grant, Revoke,
// KeepAlive, KeepAliveOnce, TimeToLive, Leases; MemberList, MemberAdd,
// MemberRemove, MemberUpdate, MemberPromote; Status, Health, Version,
// HashKV, Defragment, AlarmList, Snapshot; Authenticate, Login and the auth
// API above.
package client
