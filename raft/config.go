package raft

import (
	"errors"
	"math/rand/v2"
)

// Logger receives raft's human-readable account of significant events
// (elections, term changes, leadership, configuration changes). It may be nil.
type Logger interface {
	Printf(format string, args ...any)
}

// Config configures one raft node.
type Config struct {
	// ID is this node's identity, never None.
	ID uint64
	// ElectionTick is the election timeout in ticks (§5.2). A follower that
	// hears nothing from a leader for a randomized timeout in
	// [ElectionTick, 2*ElectionTick) ticks starts an election.
	ElectionTick int
	// HeartbeatTick is how many ticks pass between a leader's heartbeats.
	// It must be well below ElectionTick (the thesis suggests an order of
	// magnitude) so that followers do not time out between heartbeats.
	HeartbeatTick int
	// Storage holds the durable log. Raft restarts from its InitialState.
	Storage Storage
	// Applied is the last index the state machine has already applied (from
	// a snapshot or its own persistent state) when restarting, so raft does
	// not hand those entries out again. Zero for a fresh node.
	Applied uint64
	// Rand supplies the randomized election timeouts. It is required: a
	// simulator passes a seeded source so that every run replays exactly.
	Rand *rand.Rand
	// DisablePreVote turns off the PreVote phase (thesis §9.6). Only for
	// teaching: without it, a node rejoining after a partition disrupts a
	// healthy leader by forcing a term change.
	DisablePreVote bool
	// DisableCheckQuorum turns off CheckQuorum (thesis §6.2): a leader that
	// has not heard from a majority within an election timeout steps down.
	// Only for teaching: without it, an isolated leader keeps believing it
	// leads and clients that reach it wait in vain.
	DisableCheckQuorum bool
	// MaxSizePerMsg caps the bytes of entries in one append message
	// (batching many entries per message, but not unboundedly).
	MaxSizePerMsg uint64
	// MaxInflightMsgs caps appends in flight to one follower in replicate mode.
	MaxInflightMsgs int
	// MaxCommittedSizePerReady caps the bytes of committed entries per Ready.
	MaxCommittedSizePerReady uint64
	// Logger, if set, receives a line per significant event.
	Logger Logger
	// Unsafe switches off safety rules, for the simulator's "break a rule"
	// demonstrations only. The server never sets it.
	Unsafe UnsafeRules
}

// UnsafeRules names the rules a teaching run may break to watch the
// simulator's invariant checks catch the consequence. Every field false is
// the only correct configuration.
type UnsafeRules struct {
	// CommitOldTermByCounting commits entries of earlier terms by counting
	// replicas, the mistake of Figure 8 (§5.4.2).
	CommitOldTermByCounting bool
	// SendVoteBeforePersist lets vote grants leave before the vote is durable.
	SendVoteBeforePersist bool
	// SkipUpToDateCheck grants votes without the §5.4.1 election restriction.
	SkipUpToDateCheck bool
	// ReadIndexBeforeTermCommit serves ReadIndex before the leader has
	// committed an entry of its own term (etcd #7331).
	ReadIndexBeforeTermCommit bool
}

const (
	defaultMaxSizePerMsg       = 1 << 20
	defaultMaxInflightMsgs     = 256
	defaultMaxCommittedPerRead = 64 << 20
)

func (c *Config) validate() error {
	switch {
	case c.ID == None:
		return errors.New("raft: config: ID must not be zero")
	case c.HeartbeatTick <= 0:
		return errors.New("raft: config: HeartbeatTick must be positive")
	case c.ElectionTick <= c.HeartbeatTick:
		return errors.New("raft: config: ElectionTick must be greater than HeartbeatTick")
	case c.Storage == nil:
		return errors.New("raft: config: Storage is required")
	case c.Rand == nil:
		return errors.New("raft: config: Rand is required (seed it for reproducible runs)")
	case c.Unsafe != (UnsafeRules{}) && !unsafeRulesAllowed:
		return errors.New("raft: config: unsafe rules need a build with -tags raftunsafe")
	}
	if c.MaxSizePerMsg == 0 {
		c.MaxSizePerMsg = defaultMaxSizePerMsg
	}
	if c.MaxInflightMsgs <= 0 {
		c.MaxInflightMsgs = defaultMaxInflightMsgs
	}
	if c.MaxCommittedSizePerReady == 0 {
		c.MaxCommittedSizePerReady = defaultMaxCommittedPerRead
	}
	return nil
}

// UnsafeRulesAllowed reports whether this build may switch safety rules off
// (only builds tagged raftunsafe, for the simulator's demonstrations).
func UnsafeRulesAllowed() bool { return unsafeRulesAllowed }
