package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/raftkv/raftkv/client/wire"
)

var errInvalidOp = errors.New("raftkv client: an Op must be built with OpGet, OpPut, OpDelete or OpTxn")

// Put writes val at key. A put is never retried on another endpoint once it
// may have reached a server: see retryable.
func (c *Client) Put(ctx context.Context, key, val string, opts ...OpOption) (*PutResponse, error) {
	op := OpPut(key, val, opts...)
	resp := new(PutResponse)
	if err := c.call(ctx, "/v3/kv/put", op.putRequest(), resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Get reads key, or a range with WithPrefix, WithFromKey or WithRange. By
// default the read is linearizable; WithSerializable makes it local.
func (c *Client) Get(ctx context.Context, key string, opts ...OpOption) (*GetResponse, error) {
	op := OpGet(key, opts...)
	resp := new(GetResponse)
	if err := c.call(ctx, "/v3/kv/range", op.rangeRequest(), resp, safeToRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Delete deletes key, or a range with WithPrefix, WithFromKey or WithRange.
func (c *Client) Delete(ctx context.Context, key string, opts ...OpOption) (*DeleteResponse, error) {
	op := OpDelete(key, opts...)
	resp := new(DeleteResponse)
	if err := c.call(ctx, "/v3/kv/deleterange", op.deleteRequest(), resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Compact discards the history before rev. WithCompactPhysical waits until
// the space is reclaimed.
func (c *Client) Compact(ctx context.Context, rev int64, opts ...CompactOption) (*CompactResponse, error) {
	req := &wire.CompactionRequest{Revision: rev}
	for _, o := range opts {
		o(req)
	}
	resp := new(CompactResponse)
	if err := c.call(ctx, "/v3/kv/compaction", req, resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// CompactOption changes a compaction request.
type CompactOption func(*wire.CompactionRequest)

// WithCompactPhysical makes Compact return only once the compaction is done.
func WithCompactPhysical() CompactOption {
	return func(r *wire.CompactionRequest) { r.Physical = true }
}

// Do runs one Op.
func (c *Client) Do(ctx context.Context, op Op) (any, error) {
	switch op.t {
	case opRange:
		resp := new(GetResponse)
		err := c.call(ctx, "/v3/kv/range", op.rangeRequest(), resp, safeToRepeat)
		return resp, err
	case opPut:
		resp := new(PutResponse)
		err := c.call(ctx, "/v3/kv/put", op.putRequest(), resp, mustNotRepeat)
		return resp, err
	case opDelete:
		resp := new(DeleteResponse)
		err := c.call(ctx, "/v3/kv/deleterange", op.deleteRequest(), resp, mustNotRepeat)
		return resp, err
	case opTxn:
		return c.Txn(ctx).If(op.cmps...).Then(op.thenOps...).Else(op.elseOps...).Commit()
	}
	return nil, errInvalidOp
}

// Txn starts a transaction: c.Txn(ctx).If(cmps...).Then(ops...).Else(ops...).Commit().
// All of it runs atomically, at one revision.
func (c *Client) Txn(ctx context.Context) *Txn { return &Txn{c: c, ctx: ctx} }

// Txn is a transaction being built. If, Then and Else may each be called
// once, in that order.
type Txn struct {
	c   *Client
	ctx context.Context

	cmps    []Cmp
	thenOps []Op
	elseOps []Op
	stage   int // 0: nothing yet, 1: If done, 2: Then done, 3: Else done
	err     error
}

func (t *Txn) advance(stage int, name string) bool {
	if t.err != nil {
		return false
	}
	if t.stage >= stage {
		t.err = fmt.Errorf("raftkv client: txn: %s called after %s", name, [...]string{"", "If", "Then", "Else"}[t.stage])
		return false
	}
	t.stage = stage
	return true
}

// If adds the conditions; the txn takes its Then branch if all hold.
func (t *Txn) If(cmps ...Cmp) *Txn {
	if t.advance(1, "If") {
		t.cmps = cmps
	}
	return t
}

// Then sets the operations run when every condition holds.
func (t *Txn) Then(ops ...Op) *Txn {
	if t.advance(2, "Then") {
		t.thenOps = ops
	}
	return t
}

// Else sets the operations run otherwise.
func (t *Txn) Else(ops ...Op) *Txn {
	if t.advance(3, "Else") {
		t.elseOps = ops
	}
	return t
}

// Commit sends the transaction. A txn of reads only is retried like a read;
// one that writes is a write (see retryable).
func (t *Txn) Commit() (*TxnResponse, error) {
	if t.err != nil {
		return nil, t.err
	}
	op := OpTxn(t.cmps, t.thenOps, t.elseOps)
	req, err := op.txnRequest()
	if err != nil {
		return nil, err
	}
	idem := mustNotRepeat
	if readOnly(t.thenOps) && readOnly(t.elseOps) {
		idem = safeToRepeat
	}
	resp := new(TxnResponse)
	if err := t.c.call(t.ctx, "/v3/kv/txn", req, resp, idem); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Cmp is one condition of a txn. Build it with Compare(Value(k), "=", "v"),
// Compare(Version(k), ">", 0), Compare(CreateRevision(k), "=", 0), ...
type Cmp struct {
	cmp wire.Compare
	err error // a bad operator or value: reported by Commit, never a panic
}

// Value, Version, CreateRevision, ModRevision and LeaseValue name what a
// comparison looks at.
func Value(key string) Cmp          { return cmpOf(key, wire.CompareValue) }
func Version(key string) Cmp        { return cmpOf(key, wire.CompareVersion) }
func CreateRevision(key string) Cmp { return cmpOf(key, wire.CompareCreate) }
func ModRevision(key string) Cmp    { return cmpOf(key, wire.CompareMod) }
func LeaseValue(key string) Cmp     { return cmpOf(key, wire.CompareLease) }

func cmpOf(key string, target wire.CompareTarget) Cmp {
	return Cmp{cmp: wire.Compare{Key: []byte(key), Target: target}}
}

// Compare completes a condition: result is "=", "!=", "<" or ">"; v is a
// string or []byte for Value, an integer for the others.
func Compare(c Cmp, result string, v any) Cmp {
	switch result {
	case "=":
		c.cmp.Result = wire.CompareEqual
	case "!=":
		c.cmp.Result = wire.CompareNotEqual
	case "<":
		c.cmp.Result = wire.CompareLess
	case ">":
		c.cmp.Result = wire.CompareGreater
	default:
		c.err = fmt.Errorf("raftkv client: compare: unknown operator %q", result)
		return c
	}
	if c.cmp.Target == wire.CompareValue {
		switch x := v.(type) {
		case string:
			c.cmp.Value = []byte(x)
		case []byte:
			c.cmp.Value = x
		default:
			c.err = fmt.Errorf("raftkv client: compare value: want a string or []byte, got %T", v)
		}
		return c
	}
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	case uint32:
		n = int64(x)
	default:
		c.err = fmt.Errorf("raftkv client: compare %v: want an integer, got %T", c.cmp.Target, v)
		return c
	}
	switch c.cmp.Target {
	case wire.CompareVersion:
		c.cmp.Version = n
	case wire.CompareCreate:
		c.cmp.CreateRevision = n
	case wire.CompareMod:
		c.cmp.ModRevision = n
	case wire.CompareLease:
		c.cmp.Lease = n
	}
	return c
}

// WithRange makes the condition hold for every key in [key, end).
func (c Cmp) WithRange(end string) Cmp {
	c.cmp.RangeEnd = []byte(end)
	return c
}

// WithPrefix makes the condition hold for every key with the key as prefix.
func (c Cmp) WithPrefix() Cmp {
	c.cmp.RangeEnd = prefixEnd(c.cmp.Key)
	return c
}
