package sim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	"github.com/raftkv/raftkv/raft"
)

// checker holds the global record of what every node has done and checks
// Raft's safety properties (Figure 3 of the paper) against it after every
// step of a run:
//
//   - Election Safety: at most one leader per term.
//   - Log Matching: two logs with an entry of the same index and term hold
//     the same command there and agree on the term just before it (which,
//     by induction, makes the whole prefixes identical).
//   - Leader Completeness: if an entry is committed in term T, the leader of
//     every term after T has it.
//   - State Machine Safety: no two nodes apply different entries at one
//     index (checked on a hash of the whole applied state, so snapshots
//     are covered too).
//   - monotonic commit and apply within one life of a node;
//   - a node never grants two votes in one term (a vote survives crashes);
//   - linearizable reads: a ReadIndex answer covers every write
//     acknowledged before the read began.
type checker struct {
	leaderOfTerm map[uint64]uint64
	// logEntries maps (index, term) to what the first node that stored that
	// entry had there.
	logEntries map[[2]uint64]storedEntry
	// commits[i] records when index i was first committed by a leader.
	commits      []commitRecord
	maxCommitted uint64
	// applied[i] is the applied-state hash after index i, as first applied.
	applied []appliedRecord
	// grants maps (voter, term) to the candidate that voter granted.
	grants map[[2]uint64]uint64
	// ackedMax is the highest index of a write acknowledged to its client.
	ackedMax uint64

	violation string
}

type storedEntry struct {
	dataHash uint64
	prevTerm uint64
}

type commitRecord struct {
	commitTerm uint64 // the term of the leader that committed it
	entryTerm  uint64
}

type appliedRecord struct {
	set       bool
	term      uint64
	stateHash uint64
}

func newChecker() *checker {
	return &checker{
		leaderOfTerm: map[uint64]uint64{},
		logEntries:   map[[2]uint64]storedEntry{},
		grants:       map[[2]uint64]uint64{},
	}
}

func (c *checker) fail(format string, args ...any) {
	if c.violation == "" {
		c.violation = fmt.Sprintf(format, args...)
	}
}

func entryHash(e raft.Entry) uint64 {
	h := fnv.New64a()
	h.Write([]byte{byte(e.Type)})
	h.Write(e.Data)
	return h.Sum64()
}

// chainHash extends the hash of an applied state by one entry.
func chainHash(prev uint64, e raft.Entry) uint64 {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], prev)
	binary.LittleEndian.PutUint64(buf[8:], entryHash(e))
	h := fnv.New64a()
	h.Write(buf[:])
	return h.Sum64()
}

// observeLeader checks Election Safety.
func (c *checker) observeLeader(id, term uint64) {
	if prev, ok := c.leaderOfTerm[term]; ok && prev != id {
		c.fail("election safety: n%d and n%d both leaders in term %d", prev, id, term)
		return
	}
	c.leaderOfTerm[term] = id
}

// observeStored checks Log Matching for entries a node just made durable.
func (c *checker) observeStored(id uint64, ents []raft.Entry, prevTerm func(uint64) (uint64, bool)) {
	for _, e := range ents {
		pt, ok := prevTerm(e.Index - 1)
		key := [2]uint64{e.Index, e.Term}
		rec := storedEntry{dataHash: entryHash(e), prevTerm: pt}
		old, seen := c.logEntries[key]
		if !seen {
			if ok {
				c.logEntries[key] = rec
			}
			continue
		}
		if old.dataHash != rec.dataHash {
			c.fail("log matching: n%d stored a different entry at index %d term %d", id, e.Index, e.Term)
		}
		if ok && old.prevTerm != pt {
			c.fail("log matching: n%d has term %d before index %d term %d, another log has %d",
				id, pt, e.Index, e.Term, old.prevTerm)
		}
	}
}

// observeLeaderCommit records the entries a leader has just committed.
func (c *checker) observeLeaderCommit(term, commit uint64, termAt func(uint64) (uint64, bool)) {
	for i := c.maxCommitted + 1; i <= commit; i++ {
		t, ok := termAt(i)
		if !ok {
			continue
		}
		for uint64(len(c.commits)) <= i {
			c.commits = append(c.commits, commitRecord{})
		}
		c.commits[i] = commitRecord{commitTerm: term, entryTerm: t}
	}
	c.maxCommitted = max(c.maxCommitted, commit)
}

// observeApplied checks State Machine Safety for one applied entry.
func (c *checker) observeApplied(id uint64, e raft.Entry, stateHash uint64) {
	for uint64(len(c.applied)) <= e.Index {
		c.applied = append(c.applied, appliedRecord{})
	}
	rec := &c.applied[e.Index]
	if !rec.set {
		*rec = appliedRecord{set: true, term: e.Term, stateHash: stateHash}
		return
	}
	if rec.term != e.Term || rec.stateHash != stateHash {
		c.fail("state machine safety: n%d applied index %d (term %d) differently from another node (term %d)",
			id, e.Index, e.Term, rec.term)
	}
}

// observeRestored checks a snapshot a node restored against the record.
func (c *checker) observeRestored(id, index, stateHash uint64) {
	if index < uint64(len(c.applied)) {
		if rec := c.applied[index]; rec.set && rec.stateHash != stateHash {
			c.fail("state machine safety: n%d restored a snapshot at %d whose state differs from what was applied there", id, index)
		}
	}
}

// observeGrant checks that a vote, once given in a term, is never given to
// another candidate in the same term — across crashes too.
func (c *checker) observeGrant(voter, candidate, term uint64) {
	key := [2]uint64{voter, term}
	if prev, ok := c.grants[key]; ok && prev != candidate {
		c.fail("vote safety: n%d granted its term-%d vote to n%d after granting it to n%d", voter, term, candidate, prev)
		return
	}
	c.grants[key] = candidate
}

// checkLeaderCompleteness checks a new leader's log (first..last, terms from
// termAt) against every entry committed in an earlier term.
func (c *checker) checkLeaderCompleteness(id, term, first, last uint64, termAt func(uint64) (uint64, bool)) {
	for i := max(first, 1); i < uint64(len(c.commits)); i++ {
		rec := c.commits[i]
		if rec.commitTerm == 0 || rec.commitTerm >= term {
			continue
		}
		if i > last {
			c.fail("leader completeness: n%d leads term %d but its log ends at %d, before index %d committed in term %d",
				id, term, last, i, rec.commitTerm)
			return
		}
		if t, ok := termAt(i); ok && t != rec.entryTerm {
			c.fail("leader completeness: n%d leads term %d with term %d at index %d, committed with term %d in term %d",
				id, term, t, i, rec.entryTerm, rec.commitTerm)
			return
		}
	}
}
