package client

import "github.com/raftkv/raftkv/client/wire"

type opType int

const (
	opRange opType = iota + 1
	opPut
	opDelete
	opTxn
)

// Op is one operation, for Txn (and, underneath, for Get, Put and Delete).
// Build it with OpGet, OpPut, OpDelete or OpTxn and options.
type Op struct {
	t        opType
	key, end []byte
	val      []byte

	// range
	limit, rev                    int64
	sortTarget                    wire.SortTarget
	sortOrder                     wire.SortOrder
	serializable                  bool
	keysOnly, countOnly           bool
	minModRev, maxModRev          int64
	minCreateRev, maxCreateRev    int64
	prevKV                        bool
	lease                         int64
	ignoreValue, ignoreLease      bool
	filterPut, filterDelete       bool
	progressNotify, createdNotify bool

	// txn
	cmps             []Cmp
	thenOps, elseOps []Op
}

// OpOption changes an Op. Options apply in order, after the key is set:
// WithPrefix therefore sees the key it must turn into a prefix.
type OpOption func(*Op)

func (op *Op) apply(opts []OpOption) {
	for _, o := range opts {
		o(op)
	}
}

// OpGet reads key (or a range, with options).
func OpGet(key string, opts ...OpOption) Op {
	op := Op{t: opRange, key: []byte(key)}
	op.apply(opts)
	return op
}

// OpPut writes val at key.
func OpPut(key, val string, opts ...OpOption) Op {
	op := Op{t: opPut, key: []byte(key), val: []byte(val)}
	op.apply(opts)
	return op
}

// OpDelete deletes key (or a range, with options).
func OpDelete(key string, opts ...OpOption) Op {
	op := Op{t: opDelete, key: []byte(key)}
	op.apply(opts)
	return op
}

// OpTxn is a transaction nested in another.
func OpTxn(cmps []Cmp, thenOps, elseOps []Op) Op {
	return Op{t: opTxn, cmps: cmps, thenOps: thenOps, elseOps: elseOps}
}

// WithRange makes the op cover [key, end).
func WithRange(end string) OpOption { return func(op *Op) { op.end = []byte(end) } }

// WithPrefix makes the op cover every key that starts with key. An empty key
// means every key.
func WithPrefix() OpOption {
	return func(op *Op) {
		if len(op.key) == 0 {
			op.key, op.end = []byte{0}, []byte{0}
			return
		}
		op.end = prefixEnd(op.key)
	}
}

// WithFromKey makes the op cover every key >= key (range end "\x00").
func WithFromKey() OpOption {
	return func(op *Op) {
		if len(op.key) == 0 {
			op.key = []byte{0}
		}
		op.end = []byte{0}
	}
}

// prefixEnd is the first key after every key with this prefix: the prefix
// with its last byte that is not 0xff incremented, the rest cut off. A
// prefix of only 0xff bytes has no end: "\x00" means "to the end".
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0}
}

// WithLimit returns at most n keys (Count still counts them all).
func WithLimit(n int64) OpOption { return func(op *Op) { op.limit = n } }

// WithRev reads at revision rev (0: the latest); for a watch, starts at rev.
func WithRev(rev int64) OpOption { return func(op *Op) { op.rev = rev } }

// WithSort sorts the result.
func WithSort(target SortTarget, order SortOrder) OpOption {
	return func(op *Op) {
		// Keys come sorted ascending anyway: as etcd's client does, do
		// not ask the server to sort what is already sorted.
		if target == SortByKey && order == SortAscend {
			order = SortNone
		}
		op.sortTarget, op.sortOrder = target, order
	}
}

// WithSerializable answers from the member's local state, without the
// ReadIndex round that makes a read linearizable: faster, possibly stale.
func WithSerializable() OpOption { return func(op *Op) { op.serializable = true } }

// WithKeysOnly leaves the values out.
func WithKeysOnly() OpOption { return func(op *Op) { op.keysOnly = true } }

// WithCountOnly returns only the count.
func WithCountOnly() OpOption { return func(op *Op) { op.countOnly = true } }

// WithMinModRev, WithMaxModRev, WithMinCreateRev and WithMaxCreateRev keep
// only the keys whose revisions fall within the bounds.
func WithMinModRev(rev int64) OpOption    { return func(op *Op) { op.minModRev = rev } }
func WithMaxModRev(rev int64) OpOption    { return func(op *Op) { op.maxModRev = rev } }
func WithMinCreateRev(rev int64) OpOption { return func(op *Op) { op.minCreateRev = rev } }
func WithMaxCreateRev(rev int64) OpOption { return func(op *Op) { op.maxCreateRev = rev } }

// WithFirstCreate and WithLastCreate select the oldest (newest) key of a
// prefix by creation revision: the lock and the election use them to find
// the holder and the waiter before them.
func WithFirstCreate() []OpOption { return withTop(SortByCreateRevision, SortAscend) }
func WithLastCreate() []OpOption  { return withTop(SortByCreateRevision, SortDescend) }

func withTop(target SortTarget, order SortOrder) []OpOption {
	return []OpOption{WithPrefix(), WithSort(target, order), WithLimit(1)}
}

// WithPrevKV returns the key-value as it was before a put or delete (for a
// watch: with each event).
func WithPrevKV() OpOption { return func(op *Op) { op.prevKV = true } }

// WithLease attaches the key to a lease: it is deleted when the lease ends.
func WithLease(id int64) OpOption { return func(op *Op) { op.lease = id } }

// WithIgnoreValue and WithIgnoreLease keep the key's current value or lease.
func WithIgnoreValue() OpOption { return func(op *Op) { op.ignoreValue = true } }
func WithIgnoreLease() OpOption { return func(op *Op) { op.ignoreLease = true } }

// WithFilterPut and WithFilterDelete drop that kind of event from a watch.
func WithFilterPut() OpOption    { return func(op *Op) { op.filterPut = true } }
func WithFilterDelete() OpOption { return func(op *Op) { op.filterDelete = true } }

// WithProgressNotify asks the server for periodic empty responses carrying
// the current revision, so an idle watch still learns how far it has seen.
func WithProgressNotify() OpOption { return func(op *Op) { op.progressNotify = true } }

// WithCreatedNotify delivers the server's "created" response of a watch.
func WithCreatedNotify() OpOption { return func(op *Op) { op.createdNotify = true } }

func (op *Op) rangeRequest() *wire.RangeRequest {
	return &wire.RangeRequest{
		Key: op.key, RangeEnd: op.end, Limit: op.limit, Revision: op.rev,
		SortOrder: op.sortOrder, SortTarget: op.sortTarget, Serializable: op.serializable,
		KeysOnly: op.keysOnly, CountOnly: op.countOnly,
		MinModRevision: op.minModRev, MaxModRevision: op.maxModRev,
		MinCreateRevision: op.minCreateRev, MaxCreateRevision: op.maxCreateRev,
	}
}

func (op *Op) putRequest() *wire.PutRequest {
	return &wire.PutRequest{Key: op.key, Value: op.val, Lease: op.lease, PrevKV: op.prevKV,
		IgnoreValue: op.ignoreValue, IgnoreLease: op.ignoreLease}
}

func (op *Op) deleteRequest() *wire.DeleteRangeRequest {
	return &wire.DeleteRangeRequest{Key: op.key, RangeEnd: op.end, PrevKV: op.prevKV}
}

func (op *Op) txnRequest() (*wire.TxnRequest, error) {
	req := &wire.TxnRequest{}
	for _, c := range op.cmps {
		if c.err != nil {
			return nil, c.err
		}
		req.Compare = append(req.Compare, c.cmp)
	}
	var err error
	if req.Success, err = requestOps(op.thenOps); err != nil {
		return nil, err
	}
	if req.Failure, err = requestOps(op.elseOps); err != nil {
		return nil, err
	}
	return req, nil
}

func requestOps(ops []Op) ([]wire.RequestOp, error) {
	var out []wire.RequestOp
	for i := range ops {
		op := &ops[i]
		switch op.t {
		case opRange:
			out = append(out, wire.RequestOp{RequestRange: op.rangeRequest()})
		case opPut:
			out = append(out, wire.RequestOp{RequestPut: op.putRequest()})
		case opDelete:
			out = append(out, wire.RequestOp{RequestDeleteRange: op.deleteRequest()})
		case opTxn:
			t, err := op.txnRequest()
			if err != nil {
				return nil, err
			}
			out = append(out, wire.RequestOp{RequestTxn: t})
		default:
			return nil, errInvalidOp
		}
	}
	return out, nil
}

// readOnly reports whether every op is a read: such a txn may be retried.
func readOnly(ops []Op) bool {
	for i := range ops {
		switch ops[i].t {
		case opRange:
		case opTxn:
			if !readOnly(ops[i].thenOps) || !readOnly(ops[i].elseOps) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
