// Package raftbench compares raftkv's raft with go.etcd.io/raft/v3 on the
// same workload: three in-memory nodes driven by one simple loop, proposals
// at the leader, entries committed per second. It lives in a separate module
// (bench/) so that the main module never depends on etcd's raft.
//
//	cd bench && go test -bench . ./raftbench/
package raftbench
