package raft

import (
	"errors"
	"sync"
)

// ErrCompacted is returned by Storage when the requested index is older than
// the storage's first index: it was folded into a snapshot (§7).
var ErrCompacted = errors.New("raft: requested index is unavailable due to compaction")

// ErrUnavailable is returned by Storage for an index beyond its last entry.
var ErrUnavailable = errors.New("raft: requested entry at index is unavailable")

// ErrSnapshotOutOfDate is returned when a snapshot older than the storage's
// current one is applied or created.
var ErrSnapshotOutOfDate = errors.New("raft: requested snapshot is older than the existing snapshot")

// ErrSnapshotTemporarilyUnavailable lets a Storage say "a snapshot is being
// made; ask again later". The leader then simply retries on a later beat.
var ErrSnapshotTemporarilyUnavailable = errors.New("raft: snapshot is temporarily unavailable")

// Storage is the stable part of the log as the caller has persisted it. Raft
// only reads from it; the caller appends Ready.Entries to it after they are
// durable, applies received snapshots to it, and compacts it (§7).
//
// Entries that raft handed out in a Ready but that the caller has not yet
// appended stay in raft's own "unstable" buffer, so Storage never needs to
// know about them.
type Storage interface {
	// InitialState returns the persisted HardState and the configuration of
	// the latest snapshot; raft restarts from them.
	InitialState() (HardState, ConfState, error)
	// Entries returns entries in [lo, hi), stopping early once their total
	// size exceeds maxSize (but always returning at least one entry).
	Entries(lo, hi, maxSize uint64) ([]Entry, error)
	// Term returns the term of the entry at index i, which must be in
	// [FirstIndex()-1, LastIndex()]: the term just before the first entry is
	// kept (from the snapshot) so the log-matching check still works there.
	Term(i uint64) (uint64, error)
	// LastIndex returns the index of the last entry.
	LastIndex() (uint64, error)
	// FirstIndex returns the index of the first entry still available.
	FirstIndex() (uint64, error)
	// Snapshot returns the most recent snapshot, to send to a lagging follower.
	Snapshot() (Snapshot, error)
}

// MemoryStorage is a Storage backed by memory. A member keeps its log here
// after it is durable in the WAL (so reads never touch the disk) and the
// simulator uses it as the "disk" of each node.
type MemoryStorage struct {
	mu        sync.Mutex
	hardState HardState
	snapshot  Snapshot
	// ents[0] is a dummy entry standing for the snapshot's last index and
	// term; real entries start at ents[1].
	ents []Entry
}

// NewMemoryStorage returns an empty storage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{ents: make([]Entry, 1)}
}

// InitialState implements Storage.
func (ms *MemoryStorage) InitialState() (HardState, ConfState, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.hardState, cloneConfState(ms.snapshot.Meta.ConfState), nil
}

// HardState returns the stored hard state.
func (ms *MemoryStorage) HardState() HardState {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.hardState
}

// SetHardState records the hard state the caller has persisted.
func (ms *MemoryStorage) SetHardState(st HardState) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.hardState = st
	return nil
}

// Entries implements Storage.
func (ms *MemoryStorage) Entries(lo, hi, maxSize uint64) ([]Entry, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	offset := ms.ents[0].Index
	if lo <= offset {
		return nil, ErrCompacted
	}
	if hi > ms.lastIndex()+1 {
		return nil, ErrUnavailable
	}
	if lo >= hi {
		return nil, nil
	}
	ents := limitSize(ms.ents[lo-offset:hi-offset], maxSize)
	// The caller may append to the returned slice; cap it so that an append
	// can never write into ms.ents.
	return ents[:len(ents):len(ents)], nil
}

// Term implements Storage.
func (ms *MemoryStorage) Term(i uint64) (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	offset := ms.ents[0].Index
	if i < offset {
		return 0, ErrCompacted
	}
	if i-offset >= uint64(len(ms.ents)) {
		return 0, ErrUnavailable
	}
	return ms.ents[i-offset].Term, nil
}

// LastIndex implements Storage.
func (ms *MemoryStorage) LastIndex() (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.lastIndex(), nil
}

func (ms *MemoryStorage) lastIndex() uint64 { return ms.ents[0].Index + uint64(len(ms.ents)) - 1 }

// FirstIndex implements Storage.
func (ms *MemoryStorage) FirstIndex() (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.ents[0].Index + 1, nil
}

// Snapshot implements Storage.
func (ms *MemoryStorage) Snapshot() (Snapshot, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.snapshot, nil
}

// ApplySnapshot replaces the whole log with a snapshot received from the
// leader (Figure 13: "discard the entire log").
func (ms *MemoryStorage) ApplySnapshot(snap Snapshot) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if snap.Meta.Index <= ms.snapshot.Meta.Index {
		return ErrSnapshotOutOfDate
	}
	ms.snapshot = snap
	ms.ents = []Entry{{Term: snap.Meta.Term, Index: snap.Meta.Index}}
	return nil
}

// CreateSnapshot records a snapshot of the state machine at index i (which
// must be applied) so it can be sent to lagging followers. It does not
// discard entries: call Compact for that, possibly keeping a tail so that
// slightly slow followers can still be served from the log.
func (ms *MemoryStorage) CreateSnapshot(i uint64, cs ConfState, data []byte) (Snapshot, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if i <= ms.snapshot.Meta.Index {
		return Snapshot{}, ErrSnapshotOutOfDate
	}
	offset := ms.ents[0].Index
	if i > ms.lastIndex() {
		return Snapshot{}, ErrUnavailable
	}
	ms.snapshot = Snapshot{
		Meta: SnapshotMeta{Index: i, Term: ms.ents[i-offset].Term, ConfState: cloneConfState(cs)},
		Data: data,
	}
	return ms.snapshot, nil
}

// Compact discards all entries before compactIndex. The entry at
// compactIndex becomes the dummy entry, so its term stays known.
func (ms *MemoryStorage) Compact(compactIndex uint64) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	offset := ms.ents[0].Index
	if compactIndex <= offset {
		return ErrCompacted
	}
	if compactIndex > ms.lastIndex() {
		return ErrUnavailable
	}
	i := compactIndex - offset
	ents := make([]Entry, 1, uint64(len(ms.ents))-i)
	ents[0] = Entry{Index: ms.ents[i].Index, Term: ms.ents[i].Term}
	ms.ents = append(ents, ms.ents[i+1:]...)
	return nil
}

// Append adds entries that the caller has made durable. Entries that overlap
// the existing log replace it from the first overlapping index on: this is
// how a follower's conflicting suffix is truncated (§5.3).
func (ms *MemoryStorage) Append(entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	first := ms.ents[0].Index + 1
	last := entries[0].Index + uint64(len(entries)) - 1
	if last < first {
		return nil // wholly compacted already
	}
	if first > entries[0].Index {
		entries = entries[first-entries[0].Index:]
	}
	offset := entries[0].Index - ms.ents[0].Index
	switch {
	case uint64(len(ms.ents)) > offset:
		// Copy the prefix we keep so the caller's later appends to a slice
		// it got from Entries can never alias ours.
		ms.ents = append(append([]Entry{}, ms.ents[:offset]...), entries...)
	case uint64(len(ms.ents)) == offset:
		ms.ents = append(ms.ents, entries...)
	default:
		return errors.New("raft: memory storage: append leaves a gap in the log")
	}
	return nil
}

func cloneConfState(cs ConfState) ConfState {
	return ConfState{Voters: append([]uint64(nil), cs.Voters...), Learners: append([]uint64(nil), cs.Learners...)}
}

// limitSize returns the longest prefix of ents whose total size is at most
// maxSize, but at least one entry so that progress is always possible.
func limitSize(ents []Entry, maxSize uint64) []Entry {
	if len(ents) == 0 {
		return ents
	}
	size := uint64(ents[0].EncodedSize())
	for i := 1; i < len(ents); i++ {
		size += uint64(ents[i].EncodedSize())
		if size > maxSize {
			return ents[:i]
		}
	}
	return ents
}
