package sim

import "github.com/raftkv/raftkv/raft"

// The raft-level simulation's configuration and result: what one run of
// RunRaft is asked to do, and what it reports.

// RaftConfig describes one raft-level simulation run: N raft nodes with
// in-memory storage, a simulated network and disk, a client load, and faults.
type RaftConfig struct {
	Seed     uint64
	Nodes    int
	Duration Time
	Faults   FaultSet
	// Schedule, if set, replaces the schedule generated from the seed.
	Schedule []Fault
	// HealBefore is how long before the end all faults stop, for the
	// liveness check.
	HealBefore Time
	// ProposalEvery and ReadEvery set the mean gap between client requests.
	ProposalEvery Time
	ReadEvery     Time
	// Trace: 0 = none, 1 = readable events, 2 = also raft's own log lines.
	Trace int
	// MinFsync, if set, is the least time a durable write takes.
	MinFsync Time
	// ElectionTicks overrides the election timeout in ticks (default 10).
	ElectionTicks int
	// DropRate, if set, replaces the random message loss rate.
	DropRate float64
	// LoseCurrentTermAppends makes the network lose the entries of every
	// append that the sender wrote in its current term (the rest of the
	// message arrives). Only entries a leader wrote in an earlier term get
	// through: the adversary of the Figure 8 scenario.
	LoseCurrentTermAppends bool
	// Script, if set, stages the run step by step (raft_script.go).
	Script []RaftStep
	// Record keeps a timeline of the run for ui.TimelinePage (RaftResult.Timeline).
	Record bool
	// MaxMsgSize caps the entries of one append (raft.Config.MaxSizePerMsg;
	// 0 means 64 KiB). A tiny cap sends one entry per message.
	MaxMsgSize uint64
	// Raft options a teaching run may switch.
	DisablePreVote     bool
	DisableCheckQuorum bool
	Unsafe             raft.UnsafeRules
}

// DefaultRaftConfig is what `raftsim -seed N` runs.
func DefaultRaftConfig(seed uint64) RaftConfig {
	return RaftConfig{
		Seed: seed, Nodes: 3 + 2*int(seed%2), Duration: 30 * Second, Faults: AllFaults,
		HealBefore: 10 * Second, ProposalEvery: 20 * Millisecond, ReadEvery: 50 * Millisecond,
	}
}

// RaftResult is the outcome of a run.
type RaftResult struct {
	Seed      uint64
	Violation string // empty when every check passed
	At        Time   // when the violation was found
	Trace     []string
	// Digest hashes every event processed, so two runs of one seed can be
	// compared byte for byte without storing everything.
	Digest uint64
	Stats  RaftStats
	// Timeline is the recorded run (JSON for ui.TimelinePage) when Record is set.
	Timeline []byte
}

// RaftStats counts what happened in a run.
type RaftStats struct {
	Events, Messages, Dropped, Elections, MaxTerm   int
	Proposals, ProposalsDropped, Applied, Snapshots int
	Reads, ReadsServed, ReadsDropped, Crashes       int
}

// Passed reports whether every check held.
func (r RaftResult) Passed() bool { return r.Violation == "" }
