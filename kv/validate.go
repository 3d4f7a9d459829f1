package kv

// Validate checks a request without looking at the store's state: the checks
// etcd makes in its gRPC layer before a request reaches raft. A server calls
// it before proposing, so that a bad request is refused at once instead of
// taking a slot in the log; Apply calls it again, because the log is the only
// thing every member is sure to agree on.
func (s *Store) Validate(req *Request) error {
	switch {
	case req.count() != 1:
		return ErrInvalidRequest
	case req.Put != nil:
		return checkPut(req.Put)
	case req.DeleteRange != nil:
		return checkDelete(req.DeleteRange)
	case req.Txn != nil:
		if err := checkTxn(req.Txn, s.cfg.MaxTxnOps); err != nil {
			return err
		}
		// Overlaps are checked after the cheap checks, so a huge txn is
		// refused by the op limit before any quadratic work.
		if _, _, err := checkOverlaps(req.Txn.Success); err != nil {
			return err
		}
		_, _, err := checkOverlaps(req.Txn.Failure)
		return err
	case req.LeaseGrant != nil:
		if req.LeaseGrant.TTL > MaxLeaseTTL {
			return ErrLeaseTTLTooLarge
		}
	}
	return nil
}

func checkRange(r *RangeRequest) error {
	switch {
	case len(r.Key) == 0:
		return ErrEmptyKey
	case r.SortOrder < SortNone || r.SortOrder > SortDescend,
		r.SortTarget < SortByKey || r.SortTarget > SortByValue:
		return ErrInvalidSortOption
	}
	return nil
}

func checkPut(r *PutRequest) error {
	switch {
	case len(r.Key) == 0:
		return ErrEmptyKey
	case r.IgnoreValue && len(r.Value) != 0:
		return ErrValueProvided
	case r.IgnoreLease && r.Lease != 0:
		return ErrLeaseProvided
	}
	return nil
}

func checkDelete(r *DeleteRangeRequest) error {
	if len(r.Key) == 0 {
		return ErrEmptyKey
	}
	return nil
}

// checkTxn is etcd's checkTxnRequest: the op limit applies to the compares and
// to each branch, and a nested transaction gets what is left of the budget.
func checkTxn(r *TxnRequest, maxOps int) error {
	n := max(len(r.Compare), len(r.Success), len(r.Failure))
	if n > maxOps {
		return ErrTooManyOps
	}
	for i := range r.Compare {
		if len(r.Compare[i].Key) == 0 {
			return ErrEmptyKey
		}
	}
	for _, ops := range [][]RequestOp{r.Success, r.Failure} {
		for i := range ops {
			if err := checkOp(&ops[i], maxOps-n); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkOp(op *RequestOp, maxOps int) error {
	switch {
	case op.count() == 0:
		// etcd answers an empty op (a nil oneof) with "key not found".
		return ErrKeyNotFound
	case op.count() > 1:
		return ErrInvalidRequest
	case op.Range != nil:
		return checkRange(op.Range)
	case op.Put != nil:
		return checkPut(op.Put)
	case op.DeleteRange != nil:
		return checkDelete(op.DeleteRange)
	default:
		return checkTxn(op.Txn, maxOps)
	}
}

// checkOverlaps is etcd's checkIntervals: within one transaction (nested ones
// included) a key may be put at most once, and may not be both put and
// deleted, so that every key changes at most once per revision. The two
// branches of a nested transaction may put the same key, since only one runs.
// It returns this level's puts and deletes for the level above.
//
// One deliberate difference: etcd's interval check treats a range_end of
// "\x00" (to the end of the keyspace) as an empty interval, so it misses a put
// inside a "from key" delete; applying such a transaction then crashes etcd or
// writes a key twice at one revision. raftkv refuses it as a duplicate.
func checkOverlaps(ops []RequestOp) (puts map[string]struct{}, dels []keyRange, err error) {
	for i := range ops {
		if d := ops[i].DeleteRange; d != nil {
			dels = append(dels, newKeyRange(d.Key, d.RangeEnd))
		}
	}
	puts = map[string]struct{}{}
	for i := range ops {
		t := ops[i].Txn
		if t == nil {
			continue
		}
		putsThen, delsThen, err := checkOverlaps(t.Success)
		if err != nil {
			return nil, nil, err
		}
		putsElse, delsElse, err := checkOverlaps(t.Failure)
		if err != nil {
			return nil, nil, err
		}
		for k := range putsThen {
			if _, dup := puts[k]; dup || deleted(dels, k) {
				return nil, nil, ErrDuplicateKey
			}
			puts[k] = struct{}{}
		}
		for k := range putsElse {
			if _, dup := puts[k]; dup {
				if _, then := putsThen[k]; !then {
					return nil, nil, ErrDuplicateKey
				}
			}
			if deleted(dels, k) {
				return nil, nil, ErrDuplicateKey
			}
			puts[k] = struct{}{}
		}
		dels = append(dels, delsThen...)
		dels = append(dels, delsElse...)
	}
	for i := range ops {
		p := ops[i].Put
		if p == nil {
			continue
		}
		k := string(p.Key)
		if _, dup := puts[k]; dup || deleted(dels, k) {
			return nil, nil, ErrDuplicateKey
		}
		puts[k] = struct{}{}
	}
	return puts, dels, nil
}

// deleted reports whether key k falls in one of the delete ranges.
func deleted(dels []keyRange, k string) bool {
	for _, d := range dels {
		if d.contains([]byte(k)) {
			return true
		}
	}
	return false
}

// count returns how many operations r holds (exactly one is valid).
func (r *Request) count() int {
	return countSet(r.Put != nil, r.DeleteRange != nil, r.Txn != nil, r.Compaction != nil, r.LeaseGrant != nil, r.LeaseRevoke != nil)
}

func (op *RequestOp) count() int {
	return countSet(op.Range != nil, op.Put != nil, op.DeleteRange != nil, op.Txn != nil)
}

func countSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}
