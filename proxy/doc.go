// Package proxy is raftkv's grpc-proxy: a stateless process in front of a
// cluster that serves etcd's client API — gRPC and the JSON gateway, so
// that etcdctl, clientv3 and raftkvctl work through it unchanged — and
// takes load off the cluster where the rules of consistency allow.
//
// # Why a proxy, and not more members
//
// Every voter a cluster adds is one more machine a write must reach: Raft
// commits an entry once a majority has stored it (§5.3 of the Raft paper),
// so five voters wait for the third-fastest of five instead of the
// second-fastest of three, and a leader replicates to four followers
// instead of two. Adding voters buys fault tolerance and costs write
// latency; it does not make reads or watches cheaper either, since every
// linearizable read still goes through the leader's ReadIndex (thesis
// §6.4). What scales out is what can be answered without the log: that is
// the proxy's job.
//
// # What a proxy may answer itself
//
//   - Watches (watch_hub.go): a thousand clients watching ten keys cost the
//     cluster ten watches. A watch is a read of the history from a
//     revision on, so one stream of events can serve every client that
//     needs the same range from the same point, each skipping what it has
//     had; a client asking for older history gets its own watch until it
//     has caught up, then joins the shared one.
//   - Serializable reads (cache.go): a serializable read may be stale by
//     definition (it skips ReadIndex), so the proxy may answer it from a
//     cache — kept bounded in staleness by a watch on the whole namespace.
//     A linearizable read is never answered by the proxy: only the leader,
//     confirmed by a quorum, knows that nothing newer was committed.
//   - Lease keep-alives (lease_keepalive.go): renewals of many clients
//     share one stream to the cluster, and renewals of the same lease are
//     merged.
//
// Everything else — writes, linearizable reads, leases, membership, auth,
// maintenance — is passed through, with the client's token, to whichever
// member is up. A member that dies behind the proxy is passed over; a
// watch that was on it is resumed on another member from the revision it
// had reached, so its clients see every event once, in order.
//
// # The proxy is one more backend
//
// A member serves its clients through two adapters over one interface,
// server/api.Backend: server/v3rpc (gRPC) and server/v3http (the JSON
// gateway). Proxy implements the same interface over gRPC connections to
// the cluster, and is served by the very same adapters (serve.go): nothing
// about the wire protocol is written twice, and a client cannot tell a
// proxy from a member by how it answers.
//
// --namespace (namespace.go) gives the proxy's clients a keyspace of their
// own under a prefix; --resolver-prefix (fleet.go) registers the proxy in
// the cluster, under a lease, so that member list through any proxy lists
// the proxies. The gateway subpackage is etcd's other proxy mode: a plain
// TCP forwarder, round-robin over the members that answer.
//
// Entry points: New, Proxy.Serve, Proxy.ServeMetrics, Proxy.Close.
package proxy
