package raft

// unstable holds the tail of the log that raft has accepted but the caller
// has not yet made durable: entries a leader just appended, entries a
// follower just received, or a snapshot a follower just received. They are
// handed to the caller in Ready.Entries / Ready.Snapshot and leave this
// buffer when the caller acknowledges them in Advance.
//
// Keeping them apart from Storage is what lets the sans-I/O core accept new
// entries without waiting for a disk: durability is the caller's job, and
// raft knows exactly which entries are durable (and may therefore be counted
// toward a quorum or acknowledged to a leader) and which are not.
type unstable struct {
	// snapshot, if not nil, is an incoming snapshot not yet durable.
	snapshot *Snapshot
	// entries[i] has index offset+i.
	entries []Entry
	offset  uint64
}

// maybeFirstIndex returns the first index known only because of an unstable
// snapshot.
func (u *unstable) maybeFirstIndex() (uint64, bool) {
	if u.snapshot != nil {
		return u.snapshot.Meta.Index + 1, true
	}
	return 0, false
}

// maybeLastIndex returns the last index of the unstable part, if any.
func (u *unstable) maybeLastIndex() (uint64, bool) {
	if n := len(u.entries); n != 0 {
		return u.offset + uint64(n) - 1, true
	}
	if u.snapshot != nil {
		return u.snapshot.Meta.Index, true
	}
	return 0, false
}

// maybeTerm returns the term of index i if the unstable part knows it.
func (u *unstable) maybeTerm(i uint64) (uint64, bool) {
	if i < u.offset {
		if u.snapshot != nil && u.snapshot.Meta.Index == i {
			return u.snapshot.Meta.Term, true
		}
		return 0, false
	}
	last, ok := u.maybeLastIndex()
	if !ok || i > last {
		return 0, false
	}
	return u.entries[i-u.offset].Term, true
}

// stableTo marks entries up to index i (of term t) as durable. If the entry
// at i has since been replaced by one of another term (a follower truncated
// its log between Ready and Advance), nothing is marked: the replacement will
// be handed out again and persisted in its turn.
func (u *unstable) stableTo(i, t uint64) {
	gt, ok := u.maybeTerm(i)
	if !ok || gt != t || i < u.offset {
		return
	}
	n := int(i + 1 - u.offset)
	// Shrink the backing array once most of it is dead, so a long-running
	// leader does not pin every entry it ever proposed.
	rest := u.entries[n:]
	if cap(u.entries) > 2*len(rest)+64 {
		rest = append([]Entry(nil), rest...)
	}
	u.entries = rest
	u.offset = i + 1
}

// stableSnapTo marks the unstable snapshot at index i as durable.
func (u *unstable) stableSnapTo(i uint64) {
	if u.snapshot != nil && u.snapshot.Meta.Index == i {
		u.snapshot = nil
	}
}

// restore replaces everything with an incoming snapshot.
func (u *unstable) restore(s Snapshot) {
	u.offset = s.Meta.Index + 1
	u.entries = nil
	u.snapshot = &s
}

// truncateAndAppend adds ents, first cutting off any unstable suffix they
// overlap (the §5.3 rule "if an existing entry conflicts with a new one,
// delete the existing entry and all that follow it").
func (u *unstable) truncateAndAppend(ents []Entry) {
	from := ents[0].Index
	switch {
	case from == u.offset+uint64(len(u.entries)):
		u.entries = append(u.entries, ents...)
	case from <= u.offset:
		// The new entries replace the whole unstable part (and possibly part
		// of stable storage, which the caller overwrites when persisting).
		u.offset = from
		u.entries = append([]Entry(nil), ents...)
	default:
		// Keep the prefix before from; copy it so that a slice already handed
		// out in a Ready is never written over.
		kept := append([]Entry(nil), u.entries[:from-u.offset]...)
		u.entries = append(kept, ents...)
	}
}

// slice returns unstable entries in [lo, hi).
func (u *unstable) slice(lo, hi uint64) []Entry {
	return u.entries[lo-u.offset : hi-u.offset]
}
