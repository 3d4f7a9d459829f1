package kv

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"hash/crc32"
	"io"
	"slices"

	"github.com/raftkv/raftkv/kv/btree"
)

// A snapshot is the whole replicated state as a byte stream: every key with
// all the versions kept since the last compaction, the leases, the current
// and the compacted revision. Its layout, with the encoding of codec.go:
//
//	magic     "RKVSNAP" and a version byte (1)
//	header    rev (int), compactRev (int), number of keys (uint)
//	per key   key (bytes), number of versions (uint), then per version:
//	          mod (int), sub (uint), create (int), ver (int), lease (int), value (bytes)
//	leases    number of leases (uint), then per lease: id (int), ttl (int)
//	trailer   CRC-32C (Castagnoli) of everything before it, 4 bytes big-endian
//
// Keys come in key order and leases in ID order, so two stores with the same
// state write the same bytes; Hash is the CRC of those bytes. What can be
// derived is not written: the lease of each key's latest version says which
// keys a lease has, and the versions written at or after the compaction
// revision are exactly the revision log. Lease expiry times are local to a
// member and not part of the state (see lease_time.go).

const snapshotMagic = "RKVSNAP\x01"

// castagnoli returns the CRC-32C table (the standard library builds it once).
func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// stateView is a read-only view of the replicated state. Snapshot freezes
// one (a copy-on-write clone, read without any lock while writes continue);
// Hash reads the live state under the read lock instead, which costs writers
// nothing afterwards (a frozen view makes the next write to every shared node
// and key history copy it first).
type stateView struct {
	index      *btree.Tree[*keyIndex]
	rev        int64
	compactRev int64
	leases     []leaseRecord
}

type leaseRecord struct{ id, ttl int64 }

// view returns a view of the live state; the caller holds s.mu.
func (s *Store) view() *stateView {
	v := &stateView{index: s.index, rev: s.rev, compactRev: s.compactRev}
	for _, l := range s.leases {
		v.leases = append(v.leases, leaseRecord{l.id, l.ttl})
	}
	slices.SortFunc(v.leases, func(a, b leaseRecord) int { return cmp.Compare(a.id, b.id) })
	return v
}

// freeze takes a frozen view. It holds the write lock only for an O(leases)
// moment: cloning the index is O(1).
func (s *Store) freeze() *stateView {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.view()
	v.index = s.index.Clone()
	s.gen = new(generation)
	return v
}

// Snapshot writes the whole store to w. Writes to the store may go on while it
// streams: the snapshot is of the state when it started.
func (s *Store) Snapshot(w io.Writer) error {
	_, err := s.freeze().writeTo(w)
	return err
}

// Frozen is the store's state at one instant, to be written later (and
// elsewhere) while writes go on: a member freezes the store at the applied
// index of its snapshot, on its own goroutine, and writes the file in the
// background.
type Frozen struct{ v *stateView }

// Freeze returns the state as it is now. It costs O(leases); the copy-on-
// write clone of the index makes the writes that follow pay for sharing.
func (s *Store) Freeze() *Frozen { return &Frozen{v: s.freeze()} }

// Encode writes the frozen state in the format of Snapshot.
func (f *Frozen) Encode(w io.Writer) error {
	_, err := f.v.writeTo(w)
	return err
}

// HashResult is a digest of the whole replicated state (keys, history,
// leases and revisions), for checking that members agree at the same applied
// index. HashKV is etcd's narrower digest, of the key history as of a
// revision.
type HashResult struct {
	Hash            uint32
	Revision        int64
	CompactRevision int64
}

// Hash digests the state: two stores have the same Hash when they hold the
// same keys, history, leases and revisions (barring CRC collisions). A
// simulator compares members' hashes at the same applied index. It reads
// the whole store under the read lock, so writes wait while it runs.
func (s *Store) Hash() HashResult {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.view()
	sum, _ := v.writeTo(io.Discard) // io.Discard never fails
	return HashResult{Hash: sum, Revision: v.rev, CompactRevision: max(v.compactRev, 0)}
}

// writeTo streams the view and returns the CRC it wrote as trailer.
func (f *stateView) writeTo(w io.Writer) (uint32, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	crc := crc32.New(castagnoli())
	out := io.MultiWriter(bw, crc)
	var e encoder
	flush := func() error {
		_, err := out.Write(e.B)
		e.B = e.B[:0]
		return err
	}
	e.B = append(e.B, snapshotMagic...)
	e.Varint(f.rev)
	e.Varint(f.compactRev)
	e.count(f.index.Len())
	for k, ki := range f.index.All() {
		e.Bytes(k)
		e.count(len(ki.versions))
		for i := range ki.versions {
			v := &ki.versions[i]
			e.Varint(v.mod)
			e.Uvarint(uint64(v.sub))
			e.Varint(v.create)
			e.Varint(v.ver)
			e.Varint(v.lease)
			e.Bytes(v.value)
		}
		if len(e.B) >= 32<<10 {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	e.count(len(f.leases))
	for _, l := range f.leases {
		e.Varint(l.id)
		e.Varint(l.ttl)
	}
	if err := flush(); err != nil {
		return 0, err
	}
	sum := crc.Sum32()
	if _, err := bw.Write(binary.BigEndian.AppendUint32(nil, sum)); err != nil {
		return 0, err
	}
	return sum, bw.Flush()
}
