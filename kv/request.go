package kv

// Request is everything that changes the replicated state: the commands that
// go through raft. Exactly one field is set. (etcd's InternalRaftRequest
// plays the same part.)
type Request struct {
	Put         *PutRequest
	DeleteRange *DeleteRangeRequest
	Txn         *TxnRequest
	Compaction  *CompactionRequest
	LeaseGrant  *LeaseGrantRequest
	LeaseRevoke *LeaseRevokeRequest
}

// Response is the answer to a Request: the field matching the request is set.
type Response struct {
	Put         *PutResponse
	DeleteRange *DeleteRangeResponse
	Txn         *TxnResponse
	Compaction  *CompactionResponse
	LeaseGrant  *LeaseGrantResponse
	LeaseRevoke *LeaseRevokeResponse
}

// Apply applies one committed request to the store.
//
// This is the "apply" of Raft (§5.3): once an entry is committed, every member
// applies it to its state machine, in log order. State Machine Safety (§5.4.3,
// Figure 3) promises that no two members apply different commands at the same
// index; it is Apply's job to turn "same commands in the same order" into
// "same state and same answers". So Apply is deterministic: it reads no clock,
// draws no random numbers, starts no goroutines, and never lets Go's random
// map order leak into a result. An error is a deterministic answer too: every
// member refuses the same request with the same error, and a refused request
// changes nothing.
func (s *Store) Apply(req *Request) (Response, error) {
	if err := s.Validate(req); err != nil {
		return Response{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var resp Response
	var err error
	switch {
	case req.Put != nil:
		resp.Put, err = s.applyPut(req.Put)
	case req.DeleteRange != nil:
		resp.DeleteRange = s.applyDelete(req.DeleteRange)
	case req.Txn != nil:
		resp.Txn, err = s.applyTxn(req.Txn)
	case req.Compaction != nil:
		resp.Compaction, err = s.compact(req.Compaction.Revision)
	case req.LeaseGrant != nil:
		resp.LeaseGrant, err = s.leaseGrant(req.LeaseGrant)
	case req.LeaseRevoke != nil:
		resp.LeaseRevoke, err = s.leaseRevoke(req.LeaseRevoke)
	}
	return resp, err
}

// ApplyBytes decodes a request written by Request.Marshal (the data of a
// committed raft entry) and applies it. Undecodable bytes are refused with an
// error wrapping ErrMalformed, identically on every member.
func (s *Store) ApplyBytes(data []byte) (Response, error) {
	var req Request
	if err := req.Unmarshal(data); err != nil {
		return Response{}, err
	}
	return s.Apply(&req)
}

// applyPut is etcd's Put: the lease must exist, and ignore_value/ignore_lease
// need an existing key.
func (s *Store) applyPut(r *PutRequest) (*PutResponse, error) {
	if r.Lease != 0 && s.leases[r.Lease] == nil {
		return nil, ErrLeaseNotFound
	}
	t := s.beginWrite()
	resp, err := t.putOp(r)
	if err != nil {
		return nil, err
	}
	t.commit()
	return resp, nil
}

// putOp runs a put inside transaction t (etcd's put()).
func (t *writeTxn) putOp(r *PutRequest) (*PutResponse, error) {
	var prev *version
	var key []byte
	if r.PrevKv || r.IgnoreValue || r.IgnoreLease {
		if ki, ok := t.s.index.Get(r.Key); ok {
			prev, key = ki.latest(), ki.key
		}
	}
	value, lease := r.Value, r.Lease
	if r.IgnoreValue || r.IgnoreLease {
		if prev == nil {
			return nil, ErrKeyNotFound
		}
		if r.IgnoreValue {
			value = prev.value
		}
		if r.IgnoreLease {
			lease = prev.lease
		}
	}
	resp := &PutResponse{Header: ResponseHeader{Revision: t.begin + 1}}
	if r.PrevKv && prev != nil {
		kv := prev.keyValue(key)
		resp.PrevKv = &kv
	}
	t.put(r.Key, value, lease)
	return resp, nil
}

func (s *Store) applyDelete(r *DeleteRangeRequest) *DeleteRangeResponse {
	t := s.beginWrite()
	resp := t.deleteOp(r)
	t.commit()
	resp.Header.Revision = s.rev
	return resp
}

// deleteOp runs a delete range inside transaction t (etcd's deleteRange()).
func (t *writeTxn) deleteOp(r *DeleteRangeRequest) *DeleteRangeResponse {
	kr := newKeyRange(r.Key, r.RangeEnd)
	resp := &DeleteRangeResponse{}
	if r.PrevKv {
		t.s.visit(kr, t.readRev(), func(k []byte, v *version) bool {
			resp.PrevKvs = append(resp.PrevKvs, v.keyValue(k))
			return true
		})
	}
	resp.Deleted = t.deleteRange(kr)
	// A delete that deleted nothing reports the revision before the
	// transaction, unless an earlier operation of the transaction wrote.
	resp.Header.Revision = t.readRev()
	return resp
}
