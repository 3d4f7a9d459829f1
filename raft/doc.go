// Package raft is the Raft consensus algorithm as a pure state machine.
//
// It implements the algorithm of Ongaro and Ousterhout, "In Search of an
// Understandable Consensus Algorithm" (2014, cited here as §N) and of
// Ongaro's PhD thesis, "Consensus: Bridging Theory and Practice" (2014,
// cited as thesis §N): leader election (§5.2) with PreVote (thesis §9.6)
// and CheckQuorum (thesis §6.2), log replication (§5.3) with flow control,
// the safety rules of §5.4, linearizable reads through ReadIndex (thesis
// §6.4), leadership transfer (thesis §3.10), single-server membership
// changes with learners (thesis §4.1, §4.2.1) and log compaction with
// InstallSnapshot (§7).
//
// # No goroutines, no clocks, no I/O
//
// A raft Node never blocks, never starts a goroutine, never reads a clock,
// a socket or a file. It is driven entirely by calls:
//
//   - Tick advances its logical clock (the caller decides how long a tick is);
//   - Step hands it a message from a peer;
//   - Propose, ProposeConfChange, ReadIndex and TransferLeader are requests;
//
// and it answers with a Ready value that lists what must happen next. The
// randomness that elections need (§5.2's randomized timeouts) comes from a
// seeded source in Config. This is what lets the same code run in a real
// server and, under a virtual clock and a faulty simulated network, in the
// simulator (package sim), where any run replays exactly from its seed.
//
// # The Ready/Advance contract
//
// After any call, the caller asks HasReady; if true, it takes a Ready and
// does, in order:
//
//  1. send rd.Messages — they may leave at once, even before anything is
//     on disk: a leader's AppendEntries may travel while it writes its own
//     copy (thesis §10.2.1);
//  2. make rd.HardState, rd.Entries and rd.Snapshot durable (one fsync for
//     the whole Ready when rd.MustSync: group commit), then append the
//     entries to its Storage;
//  3. send rd.MessagesAfterPersist — vote requests, vote grants and append
//     acknowledgements: each promises that something is on disk (thesis
//     §3.8), so it must not leave before it is;
//  4. apply rd.CommittedEntries to the state machine, in order, and answer
//     the rd.ReadIndexResults whose index has been applied;
//  5. call Advance(rd).
//
// Durability is in the types, not in a convention the caller might forget:
// raft itself sorts each message into Messages or MessagesAfterPersist, and
// a leader counts its own copy of an entry toward a quorum only when Advance
// reports it durable.
//
// Every request resolves. A proposal is committed, or the entry at its index
// turns out to be another (it was lost to a leader change: Propose returned
// the index and term to compare), or the caller's deadline passes. A ReadIndex
// request comes back as a ReadIndexResult with an index, or Dropped when
// leadership changed before it could be confirmed.
//
// # Where things are
//
//	raft.go        roles, term rules, and the Step dispatch
//	election.go    §5.2 elections, thesis §9.6 PreVote, thesis §6.2 CheckQuorum
//	replication.go §5.3 AppendEntries, conflict hints, heartbeats
//	commit.go      §5.4.2 commitment
//	progress.go    per-follower flow control (probe, replicate, snapshot)
//	quorum.go      majority arithmetic
//	readindex.go   thesis §6.4 linearizable reads
//	transfer.go    thesis §3.10 leadership transfer
//	membership.go  thesis §4.1 configuration changes, learners
//	snapshot.go    §7 InstallSnapshot
//	log.go         the log: durable Storage plus the unstable tail
//	node.go        the public API; ready.go the Ready type
//	codec.go       the binary encoding the WAL and the transport share
//
// Tests are named after the claim they check (TestElection_5_2_…,
// TestCommit_5_4_2_Figure8_…), or after the bug in another library they
// guard against (…_etcd7331, …_hashicorp697). The files in testdata/ tell
// stories (an election, Figure 8, a leadership transfer, ...) Ready by Ready
// and message by message; TestTranscripts checks that raft still tells them
// the same way, and "go test ./raft -rewrite" rewrites them after an
// intended change. Where raftkv departs from the paper, docs/divergences.md
// says so.
package raft
