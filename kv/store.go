package kv

import (
	"sync"

	"github.com/raftkv/raftkv/kv/btree"
)

// Store is the replicated state machine: a multi-version key-value store with
// leases and watches. Apply changes it; every other method only reads the
// replicated state (lease expiry times are local and are the exception, see
// lease_time.go).
//
// A Store is safe for concurrent use: writes (Apply, Restore) take an
// exclusive lock, reads a shared one, and Snapshot and Hash read a frozen
// copy-on-write view, so they do not hold up writes while they stream.
type Store struct {
	cfg Config

	mu sync.RWMutex
	state
	// scratch is reused by every write to avoid allocating per Apply.
	scratch writeTxn

	hub watchHub
}

// state is the replicated state, the part a snapshot carries (plus the
// revision log and the copy-on-write generation, which go with it).
type state struct {
	// index maps each key to its history. Deleted keys stay (ending in a
	// tombstone) until a compaction removes their last version.
	index *btree.Tree[*keyIndex]
	// rev is the current revision: 1 for a fresh store, +1 per write that
	// changed something.
	rev int64
	// compactRev is the revision of the last compaction: reads below it fail.
	// -1 before the first compaction, as in etcd, so that compacting at 0 is
	// accepted once.
	compactRev int64
	log        revLog
	leases     map[int64]*lease
	// gen is replaced each time a frozen view is taken (see keyIndex.gen).
	gen *generation
	// bytes estimates the memory the keys and their history take
	// (size.go): derived from the rest, so not in snapshots.
	bytes int64
}

// New returns an empty store at revision 1.
func New(cfg Config) *Store {
	s := &Store{cfg: cfg.withDefaults()}
	s.state = state{
		index:      btree.New[*keyIndex](),
		rev:        1,
		compactRev: -1,
		log:        newRevLog(0),
		leases:     map[int64]*lease{},
		gen:        new(generation),
	}
	s.hub.init()
	return s
}

// Rev returns the current revision.
func (s *Store) Rev() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// CompactRevision returns the revision of the last compaction (0 if none).
func (s *Store) CompactRevision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return max(s.compactRev, 0)
}

// mutableKey returns ki, or a copy of it installed in the index if ki is
// shared with a frozen view.
func (s *Store) mutableKey(ki *keyIndex) *keyIndex {
	if ki.gen == s.gen {
		return ki
	}
	ki = ki.copyFor(s.gen)
	s.index.Set(ki.key, ki)
	return ki
}

// checkRev resolves the revision a read asks for against the current revision
// cur (0 means cur), as etcd does: future and compacted revisions fail.
func (s *Store) checkRev(rev, cur int64) (int64, error) {
	if rev > cur {
		return 0, ErrFutureRev
	}
	if rev <= 0 {
		rev = cur
	}
	if rev < s.compactRev {
		return 0, ErrCompacted
	}
	return rev, nil
}
