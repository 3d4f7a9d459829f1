package kv

import "math/bits"

// EtcdSize is the size in bytes that etcd gives this request when it decides
// whether it is "too large" (--max-request-bytes): the length of its log
// entry, which in etcd is the protobuf encoding of an InternalRaftRequest
// holding the request and a header with the request's ID (and, with auth
// on, the user name and auth revision). raftkv's own entries are encoded
// differently, so it measures a request the way etcd does, arithmetically,
// for the limit to mean what it means in etcd: a request that etcd would
// take, raftkv takes, and one byte more is refused by both.
//
// The rules of protobuf's encoding used here: a field is a tag (the field
// number and a 3-bit kind, as a varint) followed by a varint, or by a
// varint length and that many bytes; proto3 leaves out a scalar equal to
// its zero value, but never a field of a oneof that is set, nor a nested
// message that is set.
func (r *Request) EtcdSize(requestID uint64, user string, authRevision uint64) int {
	header := uintField(1, requestID) + bytesField(2, len(user)) + uintField(3, authRevision)
	n := messageField(100, header)
	switch {
	case r.Put != nil:
		n += messageField(4, putSize(r.Put))
	case r.DeleteRange != nil:
		n += messageField(5, deleteSize(r.DeleteRange))
	case r.Txn != nil:
		n += messageField(6, txnSize(r.Txn))
	case r.Compaction != nil:
		n += messageField(7, intField(1, r.Compaction.Revision)+boolField(2, r.Compaction.Physical))
	case r.LeaseGrant != nil:
		n += messageField(8, intField(1, r.LeaseGrant.TTL)+intField(2, r.LeaseGrant.ID))
	case r.LeaseRevoke != nil:
		n += messageField(9, intField(1, r.LeaseRevoke.ID))
	}
	return n
}

func rangeSize(r *RangeRequest) int {
	return bytesField(1, len(r.Key)) + bytesField(2, len(r.RangeEnd)) + intField(3, r.Limit) + intField(4, r.Revision) +
		intField(5, int64(r.SortOrder)) + intField(6, int64(r.SortTarget)) + boolField(7, r.Serializable) +
		boolField(8, r.KeysOnly) + boolField(9, r.CountOnly) + intField(10, r.MinModRevision) +
		intField(11, r.MaxModRevision) + intField(12, r.MinCreateRevision) + intField(13, r.MaxCreateRevision)
}

func putSize(p *PutRequest) int {
	return bytesField(1, len(p.Key)) + bytesField(2, len(p.Value)) + intField(3, p.Lease) +
		boolField(4, p.PrevKv) + boolField(5, p.IgnoreValue) + boolField(6, p.IgnoreLease)
}

func deleteSize(d *DeleteRangeRequest) int {
	return bytesField(1, len(d.Key)) + bytesField(2, len(d.RangeEnd)) + boolField(3, d.PrevKv)
}

func txnSize(t *TxnRequest) int {
	n := 0
	for i := range t.Compare {
		n += messageField(1, compareSize(&t.Compare[i]))
	}
	for _, ops := range [...]struct {
		field int
		ops   []RequestOp
	}{{2, t.Success}, {3, t.Failure}} {
		for i := range ops.ops {
			n += messageField(ops.field, requestOpSize(&ops.ops[i]))
		}
	}
	return n
}

// compareSize counts the target value as set (a oneof field is encoded
// even when zero), as etcd's clients send it.
func compareSize(c *Compare) int {
	n := intField(1, int64(c.Result)) + intField(2, int64(c.Target)) + bytesField(3, len(c.Key)) + bytesField(64, len(c.RangeEnd))
	switch c.Target {
	case CompareVersion:
		n += tagSize(4) + varintSize(uint64(c.Version))
	case CompareCreate:
		n += tagSize(5) + varintSize(uint64(c.CreateRevision))
	case CompareMod:
		n += tagSize(6) + varintSize(uint64(c.ModRevision))
	case CompareValue:
		n += tagSize(7) + varintSize(uint64(len(c.Value))) + len(c.Value)
	case CompareLease:
		n += tagSize(8) + varintSize(uint64(c.Lease))
	}
	return n
}

func requestOpSize(op *RequestOp) int {
	switch {
	case op.Range != nil:
		return messageField(1, rangeSize(op.Range))
	case op.Put != nil:
		return messageField(2, putSize(op.Put))
	case op.DeleteRange != nil:
		return messageField(3, deleteSize(op.DeleteRange))
	case op.Txn != nil:
		return messageField(4, txnSize(op.Txn))
	}
	return 0
}

func varintSize(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

func tagSize(field int) int { return varintSize(uint64(field) << 3) }

// messageField is a nested message of size n: always encoded once set.
func messageField(field, n int) int { return tagSize(field) + varintSize(uint64(n)) + n }

func bytesField(field, n int) int {
	if n == 0 {
		return 0
	}
	return tagSize(field) + varintSize(uint64(n)) + n
}

// intField is an int64 (or enum) field: a negative value takes ten bytes,
// as protobuf encodes it as the unsigned 64-bit number.
func intField(field int, v int64) int {
	if v == 0 {
		return 0
	}
	return tagSize(field) + varintSize(uint64(v))
}

func uintField(field int, v uint64) int {
	if v == 0 {
		return 0
	}
	return tagSize(field) + varintSize(v)
}

func boolField(field int, b bool) int {
	if !b {
		return 0
	}
	return tagSize(field) + 1
}
