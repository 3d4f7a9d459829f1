package kv

import (
	"cmp"
	"encoding/binary"
	"hash/crc32"
	"slices"

	"github.com/raftkv/raftkv/kv/btree"
)

// HashKV is etcd's HashKV: a digest of the key-value history as of one
// revision, which members compare to find one whose state machine has
// diverged from the others' — the failure Raft's State Machine Safety
// (§5.4.3) rules out for correct members and that only a bug, a bad disk or
// bad memory can cause. Two members that applied the same log hold the same
// history, so they must give the same hash at the same revision, whatever
// else (leases, watchers, lease countdowns) differs between them.
//
// # What is hashed
//
// etcd keeps every version of every key in one bolt bucket, "key", keyed by
// revision; compaction at C deletes from it every version that no read at C
// or later can see. HashKV at revision R is a CRC-32C (Castagnoli) of the
// bucket's name followed by, in revision order, the (revision, KeyValue)
// pairs that
//
//   - were written at or before R, and
//   - were written after the compaction revision C, or are what compaction
//     kept: a key's state as of R, when that state was written at or before
//     C. (etcd's quirk, kept: when no key at all exists at R, every version
//     compaction kept is hashed.)
//
// A tombstone written at exactly C is never hashed: some etcd versions keep
// it through compaction and some do not, and their hashes must agree.
//
// Because the compaction state changes what is hashed, a hash means
// something only next to its CompactRevision: two members' hashes at the
// same revision must be equal when their compaction revisions are equal,
// and are not comparable otherwise.
//
// # Byte for byte etcd's
//
// raftkv keeps versions in memory, not in bolt, but writes the very bytes
// etcd hashes: each version's bolt key (its revision: 8 bytes of main
// revision, '_', 8 bytes of sub-revision, big-endian, and a 't' after a
// delete's) and its value, etcd's mvccpb.KeyValue in protobuf's wire format,
// encoded here by hand (a dozen lines; the store stays standard-library
// only). So a raftkv member and an etcd member that applied the same
// requests report the same hash, which TestHashKVMatchesEtcd checks against
// a hash etcd 3.7.3 reported.

// KeyValueHash is a HashKV answer (etcd's mvcc.KeyValueHash).
type KeyValueHash struct {
	Hash uint32
	// CompactRevision is the store's compaction revision when it was hashed:
	// -1 if it was never compacted, as etcd reports it.
	CompactRevision int64
	// Revision is the revision hashed.
	Revision int64
}

// HashKV hashes the key-value history as of revision rev (0: the current
// revision) and returns the hash and the current revision. A revision
// before the compaction fails with ErrCompacted, one not yet written with
// ErrFutureRev; a negative revision hashes nothing, as in etcd.
//
// It hashes a frozen copy-on-write view, so writes go on meanwhile (they
// then copy what they touch, once).
func (s *Store) HashKV(rev int64) (KeyValueHash, int64, error) {
	v := s.freeze()
	switch {
	case rev > 0 && rev < v.compactRev:
		return KeyValueHash{}, v.rev, ErrCompacted
	case rev > v.rev:
		return KeyValueHash{}, v.rev, ErrFutureRev
	case rev == 0:
		rev = v.rev
	}
	return KeyValueHash{Hash: hashHistory(v.index, v.compactRev, rev), CompactRevision: v.compactRev, Revision: rev}, v.rev, nil
}

// hashedVersion is one version that may be hashed, with what decides it.
type hashedVersion struct {
	// mod and sub are v's revision, copied here so that sorting a million
	// of them does not chase a pointer per comparison.
	mod int64
	sub int32
	// compacted: written at or before the compaction revision, so hashed
	// only if compaction kept it for the hashed revision (isState).
	compacted, isState bool
	key                *keyIndex
	v                  *version
}

// hashHistory computes HashKV over index (a frozen view) for a store
// compacted at compactRev, as of rev.
func hashHistory(index *btree.Tree[*keyIndex], compactRev, rev int64) uint32 {
	// Every key has at least one version: room for that many up front
	// saves most of the growing (a third of the time on a large store).
	vs := make([]hashedVersion, 0, index.Len())
	anyKeyAtRev := false
	for _, ki := range index.All() {
		state := ki.at(rev)
		anyKeyAtRev = anyKeyAtRev || state != nil
		for i := range ki.versions {
			v := &ki.versions[i]
			if v.mod > rev {
				break // versions are in revision order
			}
			if v.mod == compactRev && v.tombstone() {
				continue
			}
			vs = append(vs, hashedVersion{mod: v.mod, sub: v.sub, compacted: v.mod <= compactRev, isState: v == state, key: ki, v: v})
		}
	}
	if anyKeyAtRev {
		vs = slices.DeleteFunc(vs, func(h hashedVersion) bool { return h.compacted && !h.isState })
	}
	// Bolt's order: by revision, then by position within the revision.
	slices.SortFunc(vs, func(a, b hashedVersion) int {
		return cmp.Or(cmp.Compare(a.mod, b.mod), cmp.Compare(a.sub, b.sub))
	})
	crc := crc32.New(castagnoli())
	crc.Write([]byte("key")) // the bucket's name, as etcd starts
	var buf []byte
	for _, h := range vs {
		buf = appendBoltKey(buf[:0], h.v)
		buf = appendKeyValueProto(buf, h.key.key, h.v)
		crc.Write(buf)
	}
	return crc.Sum32()
}

// appendBoltKey appends the key etcd stores version v under: its revision,
// main and sub as 8 big-endian bytes each joined by '_', then a 't' for a
// delete (etcd's BucketKeyToBytes).
func appendBoltKey(b []byte, v *version) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(v.mod))
	b = append(b, '_')
	b = binary.BigEndian.AppendUint64(b, uint64(v.sub))
	if v.tombstone() {
		b = append(b, 't')
	}
	return b
}

// appendKeyValueProto appends version v of key as etcd stores it: an
// mvccpb.KeyValue (key = 1, create_revision = 2, mod_revision = 3,
// version = 4, value = 5, lease = 6) in protobuf's wire format, fields in
// number order and zero values left out, as protobuf writes proto3. A
// delete is stored as a KeyValue holding only the key.
func appendKeyValueProto(b, key []byte, v *version) []byte {
	b = appendProtoBytes(b, 1, key)
	if v.tombstone() {
		return b
	}
	b = appendProtoInt(b, 2, v.create)
	b = appendProtoInt(b, 3, v.mod)
	b = appendProtoInt(b, 4, v.ver)
	b = appendProtoBytes(b, 5, v.value)
	return appendProtoInt(b, 6, v.lease)
}

// Protobuf field tags are the field number shifted left by three, or'ed
// with the wire type: 0 for a varint, 2 for length-prefixed bytes.
const (
	protoVarint = 0
	protoBytes  = 2
)

func appendProtoInt(b []byte, field int, v int64) []byte {
	if v == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(field<<3|protoVarint))
	// An int64 is the varint of its two's complement: ten bytes if negative.
	return binary.AppendUvarint(b, uint64(v))
}

func appendProtoBytes(b []byte, field int, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(field<<3|protoBytes))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}
