// Package fakeetcd is a small in-memory stand-in for a raftkv/etcd member,
// for the client's tests: one Store (the "cluster") served by any number of
// HTTP handlers (the "members"). It implements the subset of the API the
// client and its lock and election need, with etcd's semantics for
// revisions, ranges, txns, watches and leases, and it decodes requests and
// encodes responses with package wire exactly as the real server will.
//
// It is not a model of raft: every member sees the same store at once.
package fakeetcd
