// Package sim is raftkv's deterministic simulator.
//
// A simulation runs several raft nodes (package raft), or whole members
// (package server), inside one goroutine, with a virtual clock and a
// seeded random source: nothing reads the wall clock, nothing runs
// concurrently, so a run is a pure function of its seed. Around the nodes
// it simulates what production supplies:
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
// After every event the checker (raft_checker.go) verifies the safety
// properties of the Raft paper's Figure 3 — Election Safety, Log Matching, Leader
// Completeness, State Machine Safety — plus monotonic commit indexes, "one
// vote per term, even across crashes", and linearizable reads. At the end,
// after all faults have healed, the cluster must have a leader and commit
// new proposals everywhere (liveness).
//
// # Two levels
//
// The files say which level they belong to: raft_*.go is the raft-level
// simulation, member_*.go the member-level one, and the rest (virtual time
// and the event queue, the network model, fault kinds, the run digest, the
// timeline recorder, scripts) is shared by both.
//
// The raft-level simulation (raft_run.go, RunRaft) runs package raft alone:
// nodes with in-memory storage and a hash chain as state machine, so that
// it can see every log and check the paper's properties directly.
//
// The member-level simulation (member*.go, RunMember) runs the product:
// real server.Members — the member loop, WAL, snapshots, the kv store,
// leases, read index, membership changes — on simulated disks
// (vfs.SimDisk, with fsync latency, torn writes and bit flips) and the
// same network model, with clients issuing every kind of request against
// any member, with deadlines and retries. An operator replaces damaged
// members (and, as a fault, healthy ones) with member remove and add. At
// the end the whole client history is judged: porcupine checks that the
// single-key operations are linearizable (member_porcupine.go), and the
// revision history read back from the cluster checks everything else — no
// acknowledged write lost or applied twice, reads consistent with their
// revision and their real-time interval, watch streams complete and in
// order, leases never expired early (member_checks.go). HTML traces
// (member_record.go, drawn by package ui) show a run.
//
// # Scripts and regressions
//
// A run may follow a script instead of random faults (script.go): steps
// that wait for a condition — a leader elected, a write torn, a keep-alive
// in the leader's log — and then act. The break-a-rule scenarios of the
// book stage Figure 8 and its kin that way (raft_scenarios.go). The bugs
// the member-level simulator found are kept the same way, as regression
// scripts named after them (Regressions, member_regressions*.go): each
// builds the situation its bug needed whatever the seed, fails if the
// situation no longer arises, and then lets the run's checks judge the
// outcome. Seeds are for exploring; a seed kept as a regression test stops
// reproducing its situation as soon as unrelated code changes the run.
//
// Entry points: RunRaft and RunMember run one seed (cmd/raftsim wraps
// them: -mode raft or member); a failing seed prints the one command that
// replays it. Regressions lists the regression scripts (raftsim -mode
// member -regression NAME runs one).
package sim
