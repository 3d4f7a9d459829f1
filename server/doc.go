// Package server is one raftkv cluster member: it wires raft, the WAL,
// snapshots, the key-value store and the transport together, and serves
// etcd's client API on the client URLs.
//
// # The member loop (member_loop.go)
//
// Member holds the logic and is driven step by step, the same discipline
// package raft keeps one level down (a sans-I/O core; see raft's doc): disk,
// network, clock and randomness come in through Env, and a driver calls
// Tick, Step, the request methods (Write, ReadBarrier, KeepAlive,
// AddMember, ...) and Process from one goroutine. Process runs raft's
// Ready/Advance contract:
//
//  1. send the messages that may leave at once (a leader's appends travel
//     while its own disk writes: Raft thesis §10.2.1);
//  2. write the Ready's entries and hard state to the WAL with one fsync
//     however many requests they carry (group commit);
//  3. send what had to wait for that fsync (vote grants, append
//     acknowledgements: thesis §3.8);
//  4. apply committed entries to the key-value store in log order (§5.3)
//     and answer the requests waiting for them;
//  5. Advance.
//
// Every request resolves: with its applied result; with "leader changed"
// when another entry is applied where the leader had placed it; or with
// "request timed out" / "no leader" at its deadline.
//
// Server (run.go) is the production driver — one goroutine with a real
// ticker, real files and sockets — and package sim drives the very same
// Member with a virtual clock, a simulated disk and a simulated network.
//
// # The client API, and its two protocols
//
// Server is also the member's client API (api.Backend, backend_*.go): the
// logic of every request — read barriers, proposals, forwarding to the
// leader, watch streams, backups, who may do what — written once, in
// protocol-neutral types. Two adapters in packages of their own translate
// the protocols onto it, as etcd's api/v3rpc and its gateway sit on
// etcdserver:
//
//	server/v3rpc   etcd's gRPC services (what etcdctl and clientv3 speak)
//	server/v3http  etcd's JSON gateway (what curl and raftkvctl speak)
//
// and one client port serves both (client_port.go). The adapters see the
// member only through api.Backend; the member knows nothing of either.
//
// # Reads, leases, membership, snapshots
//
//   - reads.go: linearizable reads through ReadIndex (thesis §6.4), batched;
//   - leases.go: the leader expires leases by proposing revocations;
//   - apply.go and cluster.go: membership changes (thesis §4.1) and the
//     member list they maintain;
//   - snapshots.go: log compaction (§7) every --snapshot-count entries;
//   - boot.go: bootstrap, restart and join, and the data directory checks;
//   - auth_entries.go, backend_auth.go, tokens.go, auth_jwt.go: who may do
//     what (package auth's rules), checked when a write is applied;
//   - forward.go: what only the leader may answer, asked of it;
//   - alarms.go and corrupt.go: etcd's alarms (NOSPACE, CORRUPT) and the
//     corruption check, which compares members' key-value hashes — what
//     State Machine Safety (§5.4.3) promises, verified.
//
// # Metrics
//
// GET /metrics exports etcd's metric families under etcd's names, types and
// labels (metrics.go), so that etcd's dashboards and alerts work unchanged.
// The Member counts in plain fields (Stats, stats.go): the simulator drives
// it too, and it knows nothing of Prometheus. The Server's collector reads
// the copy the loop publishes after every step, and the client API
// adapters report their calls to ClientAPIMetrics (metrics_client.go).
package server
