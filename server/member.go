package server

import (
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
	"github.com/raftkv/raftkv/wal"
)

// Transport sends raft messages to peers (package transport implements it
// over the network; the simulator over a simulated network). Send never
// blocks: a message that cannot go is dropped, and raft retries.
type Transport interface {
	Send(msgs []raft.Message)
	AddPeer(id uint64, urls []string)
	UpdatePeer(id uint64, urls []string)
	RemovePeer(id uint64)
}

// Clock tells the time. Members read it for lease expiry and request
// deadlines only; raft itself counts ticks.
type Clock interface {
	Now() time.Time
}

// Logger receives one line per significant event.
type Logger interface {
	Printf(format string, args ...any)
}

// Env is everything a member takes from the outside world. Production passes
// the real disk, network and clock; the simulator passes simulated ones and
// drives the very same Member.
type Env struct {
	FS        vfs.FS
	Transport Transport
	Clock     Clock
	Rand      *rand.Rand
	Logger    Logger
	// WALOptions tune the WAL (production passes wal.WithSegmentPipeline()).
	WALOptions []wal.Option
	// FetchCluster asks the peers at the given URLs for the cluster's
	// membership; a member joining an existing cluster needs it to learn
	// the cluster ID and its own member ID.
	FetchCluster func(peerURLs []string) (clusterID uint64, members []MemberInfo, err error)
	// Background runs slow work (writing a snapshot file) off the member's
	// goroutine and calls done back on it. Nil runs it right away, which is
	// what a single-threaded simulator wants.
	Background func(work func() error, done func(error))
	// LeaderChanged, if set, is called on the member's goroutine as soon as
	// raft names a new leader (or none), before that Ready's disk write: the
	// leader is not persistent state, so whoever asks may learn it at once.
	// A new leader's appends leave while its fsync runs (thesis §10.2.1);
	// had it waited to say that it leads, a client that heard of the
	// election from a follower could ask it and be told there is no leader.
	LeaderChanged func()
	// WriteApplied, if set, is called on the member's goroutine each time
	// the member applies a key-value write entry (a client's, with or
	// without a user, or one the members make themselves), with the
	// entry's index, the caller it carries, and its outcome: nil if it
	// took effect, else why it was refused. The outcome must depend on
	// nothing but the log — every member decides every entry alike (State
	// Machine Safety, §5.4.3; etcd #14571 broke it for permissions) — and
	// the simulator compares it across members entry by entry.
	WriteApplied func(index uint64, caller auth.Caller, err error)
}

// Member is one cluster member's logic: raft, the WAL, snapshots, the
// key-value store, leases and the requests waiting on them. It has no
// goroutines and does no blocking I/O of its own beyond its disk: a driver
// calls Tick, Step and the request methods, then Process, from a single
// goroutine (see Server for production; package sim for simulation).
type Member struct {
	cfg       Config
	env       Env
	id        uint64
	clusterID uint64

	node    *raft.Node
	storage *raftStorage
	wal     *wal.WAL
	snaps   *snapshot.Snapshotter
	lock    io.Closer
	store   *kv.Store
	cluster *cluster
	// auth is the auth state (users, roles, permissions): replicated,
	// changed by kindAuth entries. tokens are the simple tokens this member
	// knows (auth_entries.go, tokens.go).
	auth   *auth.Store
	tokens *SimpleTokens
	// applyWaiters wait for an index to be applied (a token from ahead).
	applyWaiters []applyWaiter
	// nextTokenSweep is when expired simple tokens are next forgotten.
	nextTokenSweep time.Time

	ids *requestIDs

	// waiting maps request IDs to the requests waiting for their entry.
	waiting map[uint64]*proposal
	reads   readBarriers
	leases  leaseState

	lead    uint64
	term    uint64
	applied uint64
	// snapshotIndex is the index of the newest snapshot on disk;
	// snapshotting is set while one is being written in the background.
	snapshotIndex uint64
	snapshotting  bool
	// attributesPublished is set once our name and client URLs are in the
	// replicated membership; attributesProposal is the proposal on its way.
	attributesPublished bool
	attributesProposal  *proposal
	// nextRediscover rate-limits asking the peers for the membership
	// (rediscover.go).
	nextRediscover time.Time
	// compactor decides auto compactions (compactor.go).
	compactor compactorState
	// quota is the space quota in bytes (0: none); noSpaceRaising is set
	// while this member's NOSPACE alarm is on its way through the log.
	quota          int64
	noSpaceRaising bool
	// transfers are move-leader requests waiting for their target to lead.
	transfers []transferWaiter
	// removed is set when this member applied its own removal.
	removed bool
	// fatal is the error that stopped the member (a failed disk write).
	fatal error

	stats      Stats
	heartbeats heartbeatWatch
	// applyingSnapshot is set while a leader's snapshot is installed; a
	// Server's metrics read it from another goroutine.
	applyingSnapshot atomic.Bool
	debug            debugState
}

// ID returns the member's ID.
func (m *Member) ID() uint64 { return m.id }

// ClusterID returns the cluster's ID.
func (m *Member) ClusterID() uint64 { return m.clusterID }

// Store returns the key-value store. Its methods are safe to call from any
// goroutine; reads must first pass a read barrier (ReadBarrier) to be
// linearizable.
func (m *Member) Store() *kv.Store { return m.store }

// Leader returns the leader this member knows of (0: none) and the term.
func (m *Member) Leader() (lead, term uint64) { return m.lead, m.term }

// IsLeader reports whether this member leads.
func (m *Member) IsLeader() bool { return m.lead == m.id && m.lead != 0 }

// Removed reports whether this member has been removed from the cluster.
func (m *Member) Removed() bool { return m.removed }

// Fatal returns the error that stopped the member, if any.
func (m *Member) Fatal() error { return m.fatal }

// Members returns the replicated membership.
func (m *Member) Members() []MemberInfo { return m.cluster.list() }

// RaftStatus returns raft's view of this member.
func (m *Member) RaftStatus() raft.Status { return m.node.Status() }

// Applied returns the last applied raft index.
func (m *Member) Applied() uint64 { return m.applied }

// Header returns the header fields every response carries.
func (m *Member) Header() Header {
	return Header{ClusterID: m.clusterID, MemberID: m.id, RaftTerm: m.term, Revision: m.store.Rev()}
}

func (m *Member) logf(format string, args ...any) {
	if m.env.Logger != nil {
		m.env.Logger.Printf(format, args...)
	}
}

// Close releases the member's files. The member must not be used after.
func (m *Member) Close() error {
	m.failAllWaiting(ErrStopped)
	var err error
	if m.wal != nil {
		err = m.wal.Close()
	}
	if m.lock != nil {
		if cerr := m.lock.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
