package kv

import (
	"fmt"

	"github.com/raftkv/raftkv/internal/binenc"
)

// requestVersion is the first byte of every encoded Request.
const requestVersion byte = 1

// Request tags (the byte after the version) and RequestOp tags.
const (
	tagPut         byte = 1
	tagDeleteRange byte = 2
	tagTxn         byte = 3
	tagCompaction  byte = 4
	tagLeaseGrant  byte = 5
	tagLeaseRevoke byte = 6

	opEmpty       byte = 0 // an op with nothing set: etcd answers "key not found"
	opRange       byte = 1
	opPut         byte = 2
	opDeleteRange byte = 3
	opTxn         byte = 4
)

// maxTxnDepth bounds the nesting of transactions a decoder accepts, so that
// hostile input cannot exhaust the stack. Validation allows less still: every
// level uses at least one operation of the MaxTxnOps budget.
const maxTxnDepth = 1024

// Marshal encodes r for a raft entry. It fails only if r (or an operation
// inside a transaction) has more than one operation set, or r has none;
// Validate reports the same with ErrInvalidRequest.
func (r *Request) Marshal() ([]byte, error) {
	if r.count() != 1 {
		return nil, ErrInvalidRequest
	}
	size := 32
	if r.Put != nil {
		size += len(r.Put.Key) + len(r.Put.Value)
	}
	e := encoder{binenc.Encoder{B: make([]byte, 0, size)}}
	e.Byte(requestVersion)
	switch {
	case r.Put != nil:
		e.Byte(tagPut)
		e.put(r.Put)
	case r.DeleteRange != nil:
		e.Byte(tagDeleteRange)
		e.deleteRange(r.DeleteRange)
	case r.Txn != nil:
		e.Byte(tagTxn)
		if err := e.txn(r.Txn); err != nil {
			return nil, err
		}
	case r.Compaction != nil:
		e.Byte(tagCompaction)
		e.flags(r.Compaction.Physical)
		e.Varint(r.Compaction.Revision)
	case r.LeaseGrant != nil:
		e.Byte(tagLeaseGrant)
		e.Varint(r.LeaseGrant.TTL)
		e.Varint(r.LeaseGrant.ID)
	case r.LeaseRevoke != nil:
		e.Byte(tagLeaseRevoke)
		e.Varint(r.LeaseRevoke.ID)
	}
	return e.B, nil
}

// Unmarshal decodes data written by Marshal into r. Byte slices in r alias
// data, which must not be modified while r is in use.
func (r *Request) Unmarshal(data []byte) error {
	*r = Request{}
	d := newDecoder(data)
	if v := d.Byte(); d.Err == nil && v != requestVersion {
		d.Fail("unknown request encoding version %d", v)
	}
	switch tag := d.Byte(); {
	case d.Err != nil:
	case tag == tagPut:
		r.Put = d.put()
	case tag == tagDeleteRange:
		r.DeleteRange = d.deleteRange()
	case tag == tagTxn:
		r.Txn = d.txn(0)
	case tag == tagCompaction:
		c := &CompactionRequest{}
		d.flags(&c.Physical)
		c.Revision = d.Varint()
		r.Compaction = c
	case tag == tagLeaseGrant:
		r.LeaseGrant = &LeaseGrantRequest{TTL: d.Varint(), ID: d.Varint()}
	case tag == tagLeaseRevoke:
		r.LeaseRevoke = &LeaseRevokeRequest{ID: d.Varint()}
	default:
		d.Fail("unknown request type %d", tag)
	}
	if d.Err == nil && d.Remaining() != 0 {
		d.Fail("%d trailing bytes", d.Remaining())
	}
	if d.Err != nil {
		*r = Request{}
		return d.Err
	}
	return nil
}

func (e *encoder) put(p *PutRequest) {
	e.flags(p.PrevKv, p.IgnoreValue, p.IgnoreLease)
	e.Bytes(p.Key)
	e.Bytes(p.Value)
	e.Varint(p.Lease)
}

func (d *decoder) put() *PutRequest {
	p := &PutRequest{}
	d.flags(&p.PrevKv, &p.IgnoreValue, &p.IgnoreLease)
	p.Key, p.Value, p.Lease = d.Bytes(), d.Bytes(), d.Varint()
	return p
}

func (e *encoder) deleteRange(r *DeleteRangeRequest) {
	e.flags(r.PrevKv)
	e.Bytes(r.Key)
	e.Bytes(r.RangeEnd)
}

func (d *decoder) deleteRange() *DeleteRangeRequest {
	r := &DeleteRangeRequest{}
	d.flags(&r.PrevKv)
	r.Key, r.RangeEnd = d.Bytes(), d.Bytes()
	return r
}

func (e *encoder) rangeReq(r *RangeRequest) {
	e.flags(r.Serializable, r.KeysOnly, r.CountOnly)
	e.Bytes(r.Key)
	e.Bytes(r.RangeEnd)
	e.Varint(r.Limit)
	e.Varint(r.Revision)
	e.enum(int32(r.SortOrder))
	e.enum(int32(r.SortTarget))
	e.Varint(r.MinModRevision)
	e.Varint(r.MaxModRevision)
	e.Varint(r.MinCreateRevision)
	e.Varint(r.MaxCreateRevision)
}

func (d *decoder) rangeReq() *RangeRequest {
	r := &RangeRequest{}
	d.flags(&r.Serializable, &r.KeysOnly, &r.CountOnly)
	r.Key, r.RangeEnd = d.Bytes(), d.Bytes()
	r.Limit, r.Revision = d.Varint(), d.Varint()
	r.SortOrder, r.SortTarget = SortOrder(d.enum()), SortTarget(d.enum())
	r.MinModRevision, r.MaxModRevision = d.Varint(), d.Varint()
	r.MinCreateRevision, r.MaxCreateRevision = d.Varint(), d.Varint()
	return r
}

// compare writes only the target value named by Target, like etcd's oneof.
func (e *encoder) compare(c *Compare) {
	e.enum(int32(c.Result))
	e.enum(int32(c.Target))
	e.Bytes(c.Key)
	e.Bytes(c.RangeEnd)
	switch c.Target {
	case CompareVersion:
		e.Varint(c.Version)
	case CompareCreate:
		e.Varint(c.CreateRevision)
	case CompareMod:
		e.Varint(c.ModRevision)
	case CompareValue:
		e.Bytes(c.Value)
	case CompareLease:
		e.Varint(c.Lease)
	}
}

func (d *decoder) compare(c *Compare) {
	c.Result, c.Target = CompareResult(d.enum()), CompareTarget(d.enum())
	c.Key, c.RangeEnd = d.Bytes(), d.Bytes()
	switch c.Target {
	case CompareVersion:
		c.Version = d.Varint()
	case CompareCreate:
		c.CreateRevision = d.Varint()
	case CompareMod:
		c.ModRevision = d.Varint()
	case CompareValue:
		c.Value = d.Bytes()
	case CompareLease:
		c.Lease = d.Varint()
	}
}

func (e *encoder) txn(t *TxnRequest) error {
	e.count(len(t.Compare))
	for i := range t.Compare {
		e.compare(&t.Compare[i])
	}
	for _, ops := range [][]RequestOp{t.Success, t.Failure} {
		e.count(len(ops))
		for i := range ops {
			if err := e.op(&ops[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *encoder) op(op *RequestOp) error {
	if op.count() > 1 {
		return fmt.Errorf("%w (in a transaction)", ErrInvalidRequest)
	}
	switch {
	case op.Range != nil:
		e.Byte(opRange)
		e.rangeReq(op.Range)
	case op.Put != nil:
		e.Byte(opPut)
		e.put(op.Put)
	case op.DeleteRange != nil:
		e.Byte(opDeleteRange)
		e.deleteRange(op.DeleteRange)
	case op.Txn != nil:
		e.Byte(opTxn)
		return e.txn(op.Txn)
	default:
		e.Byte(opEmpty)
	}
	return nil
}

func (d *decoder) txn(depth int) *TxnRequest {
	if depth >= maxTxnDepth {
		d.Fail("transactions nested deeper than %d", maxTxnDepth)
		return nil
	}
	t := &TxnRequest{}
	// A compare takes at least 4 bytes, an op at least 1.
	if n := d.Count(4); n > 0 {
		t.Compare = make([]Compare, n)
		for i := range t.Compare {
			d.compare(&t.Compare[i])
		}
	}
	t.Success = d.ops(depth)
	t.Failure = d.ops(depth)
	if d.Err != nil {
		return nil
	}
	return t
}

func (d *decoder) ops(depth int) []RequestOp {
	n := d.Count(1)
	if n == 0 {
		return nil
	}
	ops := make([]RequestOp, n)
	for i := range ops {
		switch tag := d.Byte(); {
		case d.Err != nil:
			return nil
		case tag == opEmpty:
		case tag == opRange:
			ops[i].Range = d.rangeReq()
		case tag == opPut:
			ops[i].Put = d.put()
		case tag == opDeleteRange:
			ops[i].DeleteRange = d.deleteRange()
		case tag == opTxn:
			ops[i].Txn = d.txn(depth + 1)
		default:
			d.Fail("unknown operation type %d", tag)
			return nil
		}
	}
	return ops
}
