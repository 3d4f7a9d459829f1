// Package compat checks raftkv with clients nobody here wrote: etcd's own
// Go client (go.etcd.io/etcd/client/v3, with its concurrency and kubernetes
// packages) and etcd's own etcdctl, both v3.7.
//
// raftkv promises to behave like etcd from the outside. Its other tests
// check that promise with raftkv's own client and CLI, written from etcd's
// documentation and transcripts; a misreading shared by the server and its
// client would pass them. The programs here are the ones users actually
// run, so they read raftkv's answers exactly as they read etcd's: an error
// is recognised by its gRPC code and text (rpctypes), a watch is resumed
// from the revision the client saw last, a lock is a key with the lowest
// create revision under a prefix, a snapshot stream must end with its
// SHA-256.
//
// This is a module of its own (like bench/) so that raftkv's main module
// does not depend on etcd's client: the tests build raftkv's binaries from
// the repository (TestMain), run them as real processes on loopback ports
// — a member is killed with SIGKILL, as a crash would kill it — and talk to
// them only through the client port, as any other program would.
//
// # What runs where
//
//   - kv_test.go, txn_test.go: every option of Get, Put and Delete that
//     etcdctl and the tutorial use, and transactions (nested too);
//   - watch_test.go: resuming from a revision, a compacted revision,
//     progress, fragments, and a watch that outlives the member it was
//     connected to (the leader, killed);
//   - lease_test.go: grant, keep-alive, expiry, revoke;
//   - concurrency_test.go: concurrency.Mutex and concurrency.Election
//     contended for by separate processes (contender_test.go);
//   - kubernetes_test.go: client/v3/kubernetes, what the apiserver calls;
//   - maintenance_test.go, membership_test.go, failover_test.go:
//     status, snapshots, hashes, leadership transfer, alarms, members,
//     and a client that fails over when a member dies;
//   - tutorial_test.go: the seed tutorial's etcdctl commands, verbatim,
//     against `make cluster`, with etcdctl and with raftkvctl;
//   - transcript_test.go: etcdctl's transcript against real etcd
//     (shared/reference/etcdctl.md) replayed with the real etcdctl against
//     raftkv, and with raftkvctl, every output compared (normalize_test.go
//     hides what must differ between two clusters, and only that);
//   - commands_test.go: the etcdctl commands the transcript lacks, with
//     etcdctl and with raftkvctl, outputs compared;
//   - auth_*.go: authentication and roles (issue 14) — enabling it, what
//     each role may do, over clientv3 and etcdctl; a permission revoked
//     while writes are in flight; tokens ended by a password change;
//     leader changes; backups restored with their users; JWT tokens; TLS
//     client certificates as identities; and the walkthrough of
//     docs/auth.md, its raftkvctl commands run with etcdctl;
//   - proxy_test.go: clientv3 through `raftkv grpc-proxy start` (or etcd's
//     own grpc-proxy, with $COMPAT_SERVER): keys, a txn, two watches of one
//     key, a lease, a mutex, and a --namespace of its own.
//
// The real etcdctl is built by `make etcdctl` into bin/ (the tests look for
// it there, or where $COMPAT_ETCDCTL says); `make compat` runs it all.
//
// # Checking the tests against etcd
//
// Every expectation of the clientv3 tests is etcd's, and can be checked to
// be: $COMPAT_SERVER names a server binary to start in raftkv's place (it
// takes etcd's flags), and the clientv3 tests and etcdctl's transcript pass
// against etcd 3.7.3 built from the module proxy. A test that restores a
// backup restores it with raftkvutl, or with what $COMPAT_RESTORER names
// when $COMPAT_SERVER is set (etcd's etcdutl, which takes the same flags).
// (The tutorial runs `make cluster`, always raftkv; commands_test.go reads
// its backup with raftkvutl.)
package compat
