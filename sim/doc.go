// Package sim is raftkv's deterministic simulator.
//
// A simulation runs several real raft nodes (package raft) inside one
// goroutine, with a virtual clock and a seeded random source: nothing reads
// the wall clock, nothing runs concurrently, so a run is a pure function of
// its seed. Around the nodes it simulates what production supplies:
//
//   - a network that drops, delays, reorders and duplicates messages, and
//     partitions nodes (symmetric splits, one-way cuts, an isolated leader,
//     a bridge node that alone reaches both halves);
//   - a disk with fsync latency (sometimes very slow) whose writes are lost
//     — or torn, a prefix of a batch surviving — when a node crashes;
//   - crashes and restarts, after which a node rebuilds itself from what was
//     durable, exactly as a restarted process would;
//   - log compaction, so that lagging nodes must catch up by InstallSnapshot;
//   - clients that propose writes and linearizable reads at any node.
//
// After every event the checker (checker.go) verifies the safety properties
// of the Raft paper's Figure 3 — Election Safety, Log Matching, Leader
// Completeness, State Machine Safety — plus monotonic commit indexes, "one
// vote per term, even across crashes", and linearizable reads. At the end,
// after all faults have healed, the cluster must have a leader and commit
// new proposals everywhere (liveness).
//
// Entry points: RunRaft runs one seed (cmd/raftsim wraps it); a failing
// seed prints the one command that replays it.
package sim
