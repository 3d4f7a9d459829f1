package raft

import (
	"errors"
	"fmt"
)

// raftLog is a node's view of the replicated log: the durable prefix in
// Storage, the not-yet-durable tail in unstable, and two cursors:
//
//	 snapshot   first       applied   committed        last
//	    |         |            |          |              |
//	    v         v            v          v              v
//	----[=========== Storage ==========][== unstable ==]
//
// committed: the highest index known to be stored on a quorum (Figure 2,
// commitIndex). applied: the highest index handed to the state machine and
// acknowledged (lastApplied). Both only ever grow.
type raftLog struct {
	storage  Storage
	unstable unstable

	committed uint64
	applied   uint64

	// maxCommittedSize bounds the total size of committed entries handed out
	// in one Ready, so a restarting node replaying a long log does not load
	// all of it into memory at once.
	maxCommittedSize uint64
}

func newLog(storage Storage, maxCommittedSize uint64) (*raftLog, error) {
	first, err := storage.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("raft: storage first index: %w", err)
	}
	last, err := storage.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("raft: storage last index: %w", err)
	}
	return &raftLog{
		storage:          storage,
		unstable:         unstable{offset: last + 1},
		committed:        first - 1,
		applied:          first - 1,
		maxCommittedSize: maxCommittedSize,
	}, nil
}

func (l *raftLog) String() string {
	return fmt.Sprintf("committed=%d applied=%d unstable.offset=%d len(unstable)=%d",
		l.committed, l.applied, l.unstable.offset, len(l.unstable.entries))
}

func (l *raftLog) firstIndex() uint64 {
	if i, ok := l.unstable.maybeFirstIndex(); ok {
		return i
	}
	i, err := l.storage.FirstIndex()
	if err != nil {
		return 0
	}
	return i
}

func (l *raftLog) lastIndex() uint64 {
	if i, ok := l.unstable.maybeLastIndex(); ok {
		return i
	}
	i, err := l.storage.LastIndex()
	if err != nil {
		return 0
	}
	return i
}

func (l *raftLog) lastTerm() uint64 {
	t, err := l.term(l.lastIndex())
	if err != nil {
		return 0
	}
	return t
}

// term returns the term of the entry at i. The term of firstIndex()-1 is
// known (it comes with the snapshot); anything older is ErrCompacted.
func (l *raftLog) term(i uint64) (uint64, error) {
	if t, ok := l.unstable.maybeTerm(i); ok {
		return t, nil
	}
	if i+1 < l.firstIndex() {
		return 0, ErrCompacted
	}
	if i > l.lastIndex() {
		return 0, ErrUnavailable
	}
	return l.storage.Term(i)
}

// zeroTermOnOutOfBounds turns "no such entry" into term 0, which never
// matches a real entry: a log-matching check against it simply fails.
func (l *raftLog) zeroTermOnOutOfBounds(t uint64, err error) uint64 {
	if err == nil {
		return t
	}
	return 0
}

// matchTerm is the AppendEntries consistency check (§5.3): does our log hold
// an entry at index i with term t?
func (l *raftLog) matchTerm(i, t uint64) bool {
	return l.zeroTermOnOutOfBounds(l.term(i)) == t
}

// isUpToDate is the election restriction of §5.4.1: a voter grants its vote
// only to a candidate whose log is at least as up-to-date as its own —
// "if the logs have last entries with different terms, then the log with the
// later term is more up-to-date; if the logs end with the same term, then
// whichever log is longer is more up-to-date".
func (l *raftLog) isUpToDate(lastIndex, lastTerm uint64) bool {
	ourTerm := l.lastTerm()
	return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= l.lastIndex())
}

// findConflict returns the index of the first entry of ents that conflicts
// with our log (same index, different term), or the first index of ents that
// is new to us, or 0 if every entry is already present.
func (l *raftLog) findConflict(ents []Entry) uint64 {
	for _, e := range ents {
		if !l.matchTerm(e.Index, e.Term) {
			return e.Index
		}
	}
	return 0
}

// errOverwriteCommitted is returned when a message would make us truncate a
// committed entry. A correct leader never sends one (Leader Completeness,
// §5.4); if it happens, the message is ignored rather than obeyed.
var errOverwriteCommitted = errors.New("raft: append would overwrite a committed entry")

// maybeAppend handles the entries of an AppendEntries call whose consistency
// check passes at (prevIndex, prevTerm). It returns the index of the last
// entry the leader sent — the "index of last new entry" of Figure 2 — or
// ok=false if the check failed.
func (l *raftLog) maybeAppend(prevIndex, prevTerm, leaderCommit uint64, ents []Entry) (lastNew uint64, ok bool, err error) {
	if !l.matchTerm(prevIndex, prevTerm) {
		return 0, false, nil
	}
	lastNew = prevIndex + uint64(len(ents))
	if ci := l.findConflict(ents); ci != 0 {
		if ci <= l.committed {
			return 0, false, fmt.Errorf("%w: conflict at %d, committed %d", errOverwriteCommitted, ci, l.committed)
		}
		l.append(ents[ci-ents[0].Index:]...)
	}
	// Figure 2, AppendEntries rule 5: commitIndex = min(leaderCommit, index of
	// last new entry). Using lastNew rather than our lastIndex matters: entries
	// past lastNew may be stale leftovers that this leader has not vouched for.
	l.commitTo(min(leaderCommit, lastNew))
	return lastNew, true, nil
}

// append adds ents to the unstable tail, replacing any entries from the
// first one's index on (the caller has checked that none is committed).
func (l *raftLog) append(ents ...Entry) {
	if len(ents) == 0 {
		return
	}
	l.unstable.truncateAndAppend(ents)
}

// commitTo raises the commit index; it never lowers it (commitIndex is
// monotonic, which the simulator checks after every step).
func (l *raftLog) commitTo(c uint64) {
	if c > l.committed {
		if c > l.lastIndex() {
			// Only possible if a message is corrupt or a peer is buggy: never
			// claim to have committed entries we do not hold.
			c = l.lastIndex()
		}
		if c > l.committed {
			l.committed = c
		}
	}
}

// appliedTo records that the state machine has applied everything up to i.
func (l *raftLog) appliedTo(i uint64) {
	if i > l.applied && i <= l.committed {
		l.applied = i
	}
}

// nextCommittedEntries returns committed entries not yet applied, bounded in
// total size. Entries after a pending unstable snapshot wait for it.
func (l *raftLog) nextCommittedEntries() []Entry {
	if l.unstable.snapshot != nil {
		return nil
	}
	lo, hi := l.applied+1, l.committed+1
	if lo >= hi {
		return nil
	}
	ents, err := l.slice(lo, hi, l.maxCommittedSize)
	if err != nil {
		return nil
	}
	return ents
}

func (l *raftLog) hasNextCommittedEntries() bool {
	return l.unstable.snapshot == nil && l.committed > l.applied
}

// unstableEntries returns the entries not yet handed to the caller as durable.
func (l *raftLog) unstableEntries() []Entry {
	if len(l.unstable.entries) == 0 {
		return nil
	}
	return l.unstable.entries
}

// entries returns entries from i on, at most maxSize bytes of them (at least one).
func (l *raftLog) entries(i, maxSize uint64) ([]Entry, error) {
	if i > l.lastIndex() {
		return nil, nil
	}
	return l.slice(i, l.lastIndex()+1, maxSize)
}

// slice returns entries in [lo, hi), reading the durable part from Storage and
// the rest from unstable.
func (l *raftLog) slice(lo, hi, maxSize uint64) ([]Entry, error) {
	if lo < l.firstIndex() {
		return nil, ErrCompacted
	}
	if hi > l.lastIndex()+1 {
		return nil, fmt.Errorf("raft: slice [%d,%d) beyond last index %d", lo, hi, l.lastIndex())
	}
	if lo >= hi {
		return nil, nil
	}
	var ents []Entry
	if lo < l.unstable.offset {
		stored, err := l.storage.Entries(lo, min(hi, l.unstable.offset), maxSize)
		if err != nil {
			return nil, err
		}
		// Storage stopped early because of maxSize: return what it gave.
		if uint64(len(stored)) < min(hi, l.unstable.offset)-lo {
			return stored, nil
		}
		ents = stored
	}
	if hi > l.unstable.offset {
		un := l.unstable.slice(max(lo, l.unstable.offset), hi)
		if len(ents) > 0 {
			combined := make([]Entry, 0, len(ents)+len(un))
			ents = append(append(combined, ents...), un...)
		} else {
			ents = un
		}
	}
	return limitSize(ents, maxSize), nil
}

// restore replaces the log with a snapshot (Figure 13 / §7).
func (l *raftLog) restore(s Snapshot) {
	l.committed = s.Meta.Index
	l.unstable.restore(s)
}

// snapshot returns the pending unstable snapshot or Storage's latest one.
func (l *raftLog) snapshot() (Snapshot, error) {
	if l.unstable.snapshot != nil {
		return *l.unstable.snapshot, nil
	}
	return l.storage.Snapshot()
}

// durableIndex is the last index the caller has acknowledged as stored
// (everything before the unstable tail).
func (l *raftLog) durableIndex() uint64 {
	if l.unstable.snapshot != nil {
		i, err := l.storage.LastIndex()
		if err != nil {
			return 0
		}
		return i
	}
	return l.unstable.offset - 1
}
