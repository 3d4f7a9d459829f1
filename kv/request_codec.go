package kv

import "fmt"

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
	e := encoder{b: make([]byte, 0, size)}
	e.byte(requestVersion)
	switch {
	case r.Put != nil:
		e.byte(tagPut)
		e.put(r.Put)
	case r.DeleteRange != nil:
		e.byte(tagDeleteRange)
		e.deleteRange(r.DeleteRange)
	case r.Txn != nil:
		e.byte(tagTxn)
		if err := e.txn(r.Txn); err != nil {
			return nil, err
		}
	case r.Compaction != nil:
		e.byte(tagCompaction)
		e.flags(r.Compaction.Physical)
		e.int(r.Compaction.Revision)
	case r.LeaseGrant != nil:
		e.byte(tagLeaseGrant)
		e.int(r.LeaseGrant.TTL)
		e.int(r.LeaseGrant.ID)
	case r.LeaseRevoke != nil:
		e.byte(tagLeaseRevoke)
		e.int(r.LeaseRevoke.ID)
	}
	return e.b, nil
}

// Unmarshal decodes data written by Marshal into r. Byte slices in r alias
// data, which must not be modified while r is in use.
func (r *Request) Unmarshal(data []byte) error {
	*r = Request{}
	d := decoder{b: data}
	if v := d.byte(); d.err == nil && v != requestVersion {
		d.fail("unknown request encoding version %d", v)
	}
	switch tag := d.byte(); {
	case d.err != nil:
	case tag == tagPut:
		r.Put = d.put()
	case tag == tagDeleteRange:
		r.DeleteRange = d.deleteRange()
	case tag == tagTxn:
		r.Txn = d.txn(0)
	case tag == tagCompaction:
		c := &CompactionRequest{}
		d.flags(&c.Physical)
		c.Revision = d.int()
		r.Compaction = c
	case tag == tagLeaseGrant:
		r.LeaseGrant = &LeaseGrantRequest{TTL: d.int(), ID: d.int()}
	case tag == tagLeaseRevoke:
		r.LeaseRevoke = &LeaseRevokeRequest{ID: d.int()}
	default:
		d.fail("unknown request type %d", tag)
	}
	if d.err == nil && d.remaining() != 0 {
		d.fail("%d trailing bytes", d.remaining())
	}
	if d.err != nil {
		*r = Request{}
		return d.err
	}
	return nil
}

func (e *encoder) put(p *PutRequest) {
	e.flags(p.PrevKv, p.IgnoreValue, p.IgnoreLease)
	e.bytes(p.Key)
	e.bytes(p.Value)
	e.int(p.Lease)
}

func (d *decoder) put() *PutRequest {
	p := &PutRequest{}
	d.flags(&p.PrevKv, &p.IgnoreValue, &p.IgnoreLease)
	p.Key, p.Value, p.Lease = d.bytes(), d.bytes(), d.int()
	return p
}

func (e *encoder) deleteRange(r *DeleteRangeRequest) {
	e.flags(r.PrevKv)
	e.bytes(r.Key)
	e.bytes(r.RangeEnd)
}

func (d *decoder) deleteRange() *DeleteRangeRequest {
	r := &DeleteRangeRequest{}
	d.flags(&r.PrevKv)
	r.Key, r.RangeEnd = d.bytes(), d.bytes()
	return r
}

func (e *encoder) rangeReq(r *RangeRequest) {
	e.flags(r.Serializable, r.KeysOnly, r.CountOnly)
	e.bytes(r.Key)
	e.bytes(r.RangeEnd)
	e.int(r.Limit)
	e.int(r.Revision)
	e.enum(int32(r.SortOrder))
	e.enum(int32(r.SortTarget))
	e.int(r.MinModRevision)
	e.int(r.MaxModRevision)
	e.int(r.MinCreateRevision)
	e.int(r.MaxCreateRevision)
}

func (d *decoder) rangeReq() *RangeRequest {
	r := &RangeRequest{}
	d.flags(&r.Serializable, &r.KeysOnly, &r.CountOnly)
	r.Key, r.RangeEnd = d.bytes(), d.bytes()
	r.Limit, r.Revision = d.int(), d.int()
	r.SortOrder, r.SortTarget = SortOrder(d.enum()), SortTarget(d.enum())
	r.MinModRevision, r.MaxModRevision = d.int(), d.int()
	r.MinCreateRevision, r.MaxCreateRevision = d.int(), d.int()
	return r
}

// compare writes only the target value named by Target, like etcd's oneof.
func (e *encoder) compare(c *Compare) {
	e.enum(int32(c.Result))
	e.enum(int32(c.Target))
	e.bytes(c.Key)
	e.bytes(c.RangeEnd)
	switch c.Target {
	case CompareVersion:
		e.int(c.Version)
	case CompareCreate:
		e.int(c.CreateRevision)
	case CompareMod:
		e.int(c.ModRevision)
	case CompareValue:
		e.bytes(c.Value)
	case CompareLease:
		e.int(c.Lease)
	}
}

func (d *decoder) compare(c *Compare) {
	c.Result, c.Target = CompareResult(d.enum()), CompareTarget(d.enum())
	c.Key, c.RangeEnd = d.bytes(), d.bytes()
	switch c.Target {
	case CompareVersion:
		c.Version = d.int()
	case CompareCreate:
		c.CreateRevision = d.int()
	case CompareMod:
		c.ModRevision = d.int()
	case CompareValue:
		c.Value = d.bytes()
	case CompareLease:
		c.Lease = d.int()
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
		e.byte(opRange)
		e.rangeReq(op.Range)
	case op.Put != nil:
		e.byte(opPut)
		e.put(op.Put)
	case op.DeleteRange != nil:
		e.byte(opDeleteRange)
		e.deleteRange(op.DeleteRange)
	case op.Txn != nil:
		e.byte(opTxn)
		return e.txn(op.Txn)
	default:
		e.byte(opEmpty)
	}
	return nil
}

func (d *decoder) txn(depth int) *TxnRequest {
	if depth >= maxTxnDepth {
		d.fail("transactions nested deeper than %d", maxTxnDepth)
		return nil
	}
	t := &TxnRequest{}
	// A compare takes at least 4 bytes, an op at least 1.
	if n := d.count(4); n > 0 {
		t.Compare = make([]Compare, n)
		for i := range t.Compare {
			d.compare(&t.Compare[i])
		}
	}
	t.Success = d.ops(depth)
	t.Failure = d.ops(depth)
	if d.err != nil {
		return nil
	}
	return t
}

func (d *decoder) ops(depth int) []RequestOp {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ops := make([]RequestOp, n)
	for i := range ops {
		switch tag := d.byte(); {
		case d.err != nil:
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
			d.fail("unknown operation type %d", tag)
			return nil
		}
	}
	return ops
}
