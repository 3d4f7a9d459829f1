package kv

import "bytes"

// writeTxn is one write transaction: everything one Apply changes, which all
// lands at one revision (begin+1). Changes are made to the index as they
// happen, so later operations of the same transaction read them (as in etcd);
// commit then advances the revision, logs the changed keys and tells the
// watchers. Requests are validated before a writeTxn starts, so once it has
// started nothing can fail half-way: there is never anything to roll back.
type writeTxn struct {
	s       *Store
	begin   int64 // the revision before the transaction
	changes []change
	// scratch for deleteRange, reused to avoid allocating per delete
	victims []*keyIndex
}

// change is one write: the keyIndex it went to and the version's position in it.
type change struct {
	ki *keyIndex
	i  int
}

func (c change) version() *version { return &c.ki.versions[c.i] }

// beginWrite starts a write transaction; the caller holds s.mu for writing.
func (s *Store) beginWrite() *writeTxn {
	t := &s.scratch
	t.s, t.begin = s, s.rev
	return t
}

// readRev is the revision the transaction's reads see: its own writes, once
// it has made any (etcd's storeTxnWrite.Range does the same).
func (t *writeTxn) readRev() int64 {
	if len(t.changes) > 0 {
		return t.begin + 1
	}
	return t.begin
}

// put writes a new version of key. The lease, if any, must exist.
func (t *writeTxn) put(key, value []byte, lease int64) {
	s := t.s
	ki, ok := s.index.Get(key)
	if !ok {
		// The request's bytes belong to the caller (they often alias a raft
		// log entry), so the store keeps its own copies.
		k := bytes.Clone(key)
		ki = &keyIndex{key: k, gen: s.gen}
		s.index.Set(k, ki)
		s.bytes += keyCost(k)
	} else {
		ki = s.mutableKey(ki)
	}
	rev := t.begin + 1
	v := version{mod: rev, sub: int32(len(t.changes)), create: rev, ver: 1, lease: lease, value: bytes.Clone(value)}
	var oldLease int64
	if prev := ki.latest(); prev != nil {
		v.create, v.ver, oldLease = prev.create, prev.ver+1, prev.lease
	}
	ki.versions = append(ki.versions, v)
	s.bytes += versionCost(&v)
	t.changes = append(t.changes, change{ki, len(ki.versions) - 1})
	s.moveLease(ki.key, oldLease, lease)
}

// deleteRange deletes the keys in r that exist (in the transaction's view)
// and returns how many it deleted.
func (t *writeTxn) deleteRange(r keyRange) int64 {
	s := t.s
	// Collect first: the index must not change while it is being iterated.
	victims := t.victims[:0]
	if r.single {
		if ki, ok := s.index.Get(r.start); ok && ki.latest() != nil {
			victims = append(victims, ki)
		}
	} else {
		for _, ki := range s.index.Range(r.start, r.end) {
			if ki.latest() != nil {
				victims = append(victims, ki)
			}
		}
	}
	for _, ki := range victims {
		t.tombstone(ki)
	}
	n := len(victims)
	clear(victims)
	t.victims = victims[:0]
	return int64(n)
}

// tombstone deletes the key of ki, which must exist.
func (t *writeTxn) tombstone(ki *keyIndex) {
	s := t.s
	ki = s.mutableKey(ki)
	oldLease := ki.latest().lease
	ki.versions = append(ki.versions, version{mod: t.begin + 1, sub: int32(len(t.changes))})
	s.bytes += versionCost(&ki.versions[len(ki.versions)-1])
	t.changes = append(t.changes, change{ki, len(ki.versions) - 1})
	s.moveLease(ki.key, oldLease, 0)
}

// commit makes the transaction's changes a new revision, if there are any.
func (t *writeTxn) commit() {
	if len(t.changes) == 0 {
		return
	}
	s := t.s
	s.rev = t.begin + 1
	s.log.startRevision()
	for _, c := range t.changes {
		s.log.addKey(c.ki.key)
	}
	s.hub.notify(s, s.rev, t.changes)
	clear(t.changes) // do not keep keyIndexes alive from the scratch space
	t.changes = t.changes[:0]
}
