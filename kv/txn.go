package kv

import (
	"bytes"
	"cmp"
)

// A transaction is evaluated in three steps, as in etcd:
//
//  1. Decide the path: evaluate the compares of the transaction, and of every
//     nested transaction in the branch that will run, against the state
//     *before* the transaction. The result is a list of booleans, one per
//     transaction on the path, in depth-first order.
//  2. Check the operations on that path against the same state: leases exist,
//     keys exist for ignore_value/ignore_lease, read revisions are valid.
//     A failure here refuses the whole transaction; nothing has changed yet.
//  3. Execute the operations in order. Each sees the writes of those before it.

// applyTxn applies a transaction as one write at one revision.
func (s *Store) applyTxn(r *TxnRequest) (*TxnResponse, error) {
	t := s.beginWrite()
	path := s.txnPath(r, t.begin, nil)
	if !txnReadOnly(r) {
		if err := walkPath(r, path, func(op *RequestOp) error { return s.checkPutOp(op, t.begin) }); err != nil {
			return nil, err
		}
	}
	if err := walkPath(r, path, func(op *RequestOp) error { return s.checkRangeOp(op, t.begin) }); err != nil {
		return nil, err
	}
	resp := &TxnResponse{}
	t.execute(r, &path, resp)
	t.commit()
	resp.Header.Revision = s.rev
	return resp, nil
}

// ReadTxn evaluates a transaction that only reads, without raft and without
// changing anything (the server may serve such a transaction like a Range).
// A transaction with a put or delete anywhere, in either branch, gets
// ErrNotReadOnly: it must go through Apply.
func (s *Store) ReadTxn(r *TxnRequest) (*TxnResponse, error) {
	if err := s.Validate(&Request{Txn: r}); err != nil {
		return nil, err
	}
	if !txnReadOnly(r) {
		return nil, ErrNotReadOnly
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	// A private writeTxn that never writes: readers run concurrently, so they
	// must not share the store's scratch one.
	t := &writeTxn{s: s, begin: s.rev}
	path := s.txnPath(r, t.begin, nil)
	if err := walkPath(r, path, func(op *RequestOp) error { return s.checkRangeOp(op, t.begin) }); err != nil {
		return nil, err
	}
	resp := &TxnResponse{Header: ResponseHeader{Revision: s.rev}}
	t.execute(r, &path, resp)
	return resp, nil
}

// txnReadOnly reports whether r contains no put and no delete, in any branch
// at any depth.
func txnReadOnly(r *TxnRequest) bool {
	for _, ops := range [][]RequestOp{r.Success, r.Failure} {
		for i := range ops {
			switch op := &ops[i]; {
			case op.Put != nil, op.DeleteRange != nil:
				return false
			case op.Txn != nil && !txnReadOnly(op.Txn):
				return false
			}
		}
	}
	return true
}

// txnPath appends to path the outcome of r's compares at rev, then those of
// the nested transactions on the branch that will run (etcd's compareToPath).
func (s *Store) txnPath(r *TxnRequest, rev int64, path []bool) []bool {
	ok := true
	for i := range r.Compare {
		if !s.compare(&r.Compare[i], rev) {
			ok = false
			break
		}
	}
	path = append(path, ok)
	for _, op := range branch(r, ok) {
		if op.Txn != nil {
			path = s.txnPath(op.Txn, rev, path)
		}
	}
	return path
}

func branch(r *TxnRequest, succeeded bool) []RequestOp {
	if succeeded {
		return r.Success
	}
	return r.Failure
}

// walkPath calls fn for every non-transaction operation on the path.
func walkPath(r *TxnRequest, path []bool, fn func(*RequestOp) error) error {
	_, err := walk(r, path, fn)
	return err
}

// walk does the work of walkPath and returns what is left of the path.
func walk(r *TxnRequest, path []bool, fn func(*RequestOp) error) ([]bool, error) {
	ops := branch(r, path[0])
	path = path[1:]
	for i := range ops {
		var err error
		if ops[i].Txn != nil {
			path, err = walk(ops[i].Txn, path, fn)
		} else {
			err = fn(&ops[i])
		}
		if err != nil {
			return nil, err
		}
	}
	return path, nil
}

// checkPutOp is etcd's checkRequestPut: a put's lease must exist, and
// ignore_value/ignore_lease need the key to exist before the transaction.
func (s *Store) checkPutOp(op *RequestOp, rev int64) error {
	p := op.Put
	if p == nil {
		return nil
	}
	if p.Lease != 0 && s.leases[p.Lease] == nil {
		return ErrLeaseNotFound
	}
	if p.IgnoreValue || p.IgnoreLease {
		found := false
		s.visit(newKeyRange(p.Key, nil), rev, func([]byte, *version) bool { found = true; return false })
		if !found {
			return ErrKeyNotFound
		}
	}
	return nil
}

// checkRangeOp is etcd's checkRequestRange: a range's revision must be neither
// in the future nor compacted, judged at the revision before the transaction.
func (s *Store) checkRangeOp(op *RequestOp, rev int64) error {
	if op.Range == nil {
		return nil
	}
	_, err := s.checkRev(op.Range.Revision, rev)
	return err
}

// execute runs the branch chosen by *path and consumes its part of the path.
// Everything that could fail was checked before, so execute cannot fail.
func (t *writeTxn) execute(r *TxnRequest, path *[]bool, resp *TxnResponse) {
	resp.Succeeded = (*path)[0]
	*path = (*path)[1:]
	ops := branch(r, resp.Succeeded)
	resp.Responses = make([]ResponseOp, len(ops))
	for i := range ops {
		op, out := &ops[i], &resp.Responses[i]
		switch {
		case op.Range != nil:
			// checkRangeOp accepted the revision at the start of the
			// transaction; it stays acceptable as the transaction writes.
			out.Range, _ = t.s.rangeAt(op.Range, t.readRev())
		case op.Put != nil:
			out.Put, _ = t.putOp(op.Put)
		case op.DeleteRange != nil:
			out.DeleteRange = t.deleteOp(op.DeleteRange)
		case op.Txn != nil:
			// A nested transaction's header is empty, as in etcd.
			out.Txn = &TxnResponse{}
			t.execute(op.Txn, path, out.Txn)
		}
	}
}

// compare evaluates one compare at rev (etcd's applyCompare). Over a range,
// every key must satisfy it. A missing key compares as a zero KeyValue, except
// that a VALUE compare on a missing key is always false: "no value" is not
// the same as an empty value.
func (s *Store) compare(c *Compare, rev int64) bool {
	ok, seen := true, false
	s.visit(newKeyRange(c.Key, c.RangeEnd), rev, func(_ []byte, v *version) bool {
		seen = true
		ok = compareVersion(c, v)
		return ok
	})
	if !seen {
		return c.Target != CompareValue && compareVersion(c, &version{})
	}
	return ok
}

// compareVersion is etcd's compareKV for one existing key (or the zero version).
func compareVersion(c *Compare, v *version) bool {
	var result int
	switch c.Target {
	case CompareValue:
		result = bytes.Compare(v.value, c.Value)
	case CompareCreate:
		result = cmp.Compare(v.create, c.CreateRevision)
	case CompareMod:
		result = cmp.Compare(v.mod, c.ModRevision)
	case CompareVersion:
		result = cmp.Compare(v.ver, c.Version)
	case CompareLease:
		result = cmp.Compare(v.lease, c.Lease)
	}
	switch c.Result {
	case CompareEqual:
		return result == 0
	case CompareNotEqual:
		return result != 0
	case CompareGreater:
		return result > 0
	case CompareLess:
		return result < 0
	}
	return true // etcd accepts unknown results as true
}
