package auth

import "github.com/raftkv/raftkv/kv"

// Caller is who makes a request, and the auth revision its permissions
// were read at (etcd's AuthInfo). Revision 0 means no user was given.
type Caller struct {
	User     string `json:"user,omitempty"`
	Revision uint64 `json:"revision,omitempty"`
}

// CheckAdmin reports whether the caller may administer the cluster: with
// authentication off anyone may; with it on, only a user holding the root
// role.
func (s *Store) CheckAdmin(c Caller) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkAdminLocked(c)
}

func (s *Store) checkAdminLocked(c Caller) error {
	if !s.enabled {
		return nil
	}
	if c.User == "" {
		return ErrUserEmpty
	}
	p, ok := s.perms[c.User]
	if !ok {
		return ErrUserNotFound
	}
	if !p.root {
		return ErrPermissionDenied
	}
	return nil
}

// CheckAuthenticated reports whether a request that needs no particular
// permission (status, member list, lease grant) may be served: with
// authentication on, it needs a user.
func (s *Store) CheckAuthenticated(c Caller) error {
	if s.Enabled() && c.User == "" {
		return ErrUserEmpty
	}
	return nil
}

// CheckKeys reports whether the caller may read (or write, by need) the
// keys a request names: one key (an empty end), a range, or every key
// from key on ("\x00"). The order of the checks is etcd's: authentication
// off allows everything; then a user is needed, with a revision not older
// than the store's, who exists; the root role allows everything; and
// otherwise the user's intervals must hold the key, or cover the range.
func (s *Store) CheckKeys(c Caller, key, end []byte, need PermType) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.enabled {
		return nil
	}
	if c.Revision == 0 || c.User == "" {
		return ErrUserEmpty
	}
	if c.Revision < s.revision {
		return ErrAuthOldRevision
	}
	p, ok := s.perms[c.User]
	if !ok {
		return ErrPermissionDenied
	}
	if p.root {
		return nil
	}
	u := p.read
	if need == Write {
		u = p.write
	}
	if len(end) == 0 {
		if u.holds(key) {
			return nil
		}
		return ErrPermissionDenied
	}
	if u.covers(keyInterval(key, end)) {
		return nil
	}
	return ErrPermissionDenied
}

// LeaseKeys returns the keys attached to a lease (nil if it has none or
// does not exist).
type LeaseKeys func(id int64) [][]byte

// CheckRequest reports whether the caller may make a write, as etcd checks
// it when the write is applied: a put needs WRITE on its key (and READ
// with prev_kv, and WRITE on every key already attached to the lease it
// names); a delete WRITE on its range (and READ with prev_kv); a txn READ
// on every key it compares and what each of its operations needs, in both
// branches, recursively; revoking a lease WRITE on its keys; compaction the
// root role. A lease grant needs no permission.
func (s *Store) CheckRequest(c Caller, r *kv.Request, leaseKeys LeaseKeys) error {
	switch {
	case r.Put != nil:
		return s.checkPut(c, r.Put, leaseKeys)
	case r.DeleteRange != nil:
		return s.checkDelete(c, r.DeleteRange)
	case r.Txn != nil:
		return s.CheckTxn(c, r.Txn, leaseKeys)
	case r.Compaction != nil:
		return s.CheckAdmin(c)
	case r.LeaseRevoke != nil:
		return s.CheckLeaseKeys(c, leaseKeys(r.LeaseRevoke.ID), Write)
	}
	return nil
}

func (s *Store) checkPut(c Caller, p *kv.PutRequest, leaseKeys LeaseKeys) error {
	if err := s.CheckKeys(c, p.Key, nil, Write); err != nil {
		return err
	}
	if p.Lease != 0 {
		if err := s.CheckLeaseKeys(c, leaseKeys(p.Lease), Write); err != nil {
			return err
		}
	}
	if p.PrevKv {
		return s.CheckKeys(c, p.Key, nil, Read)
	}
	return nil
}

func (s *Store) checkDelete(c Caller, d *kv.DeleteRangeRequest) error {
	if err := s.CheckKeys(c, d.Key, d.RangeEnd, Write); err != nil {
		return err
	}
	if d.PrevKv {
		return s.CheckKeys(c, d.Key, d.RangeEnd, Read)
	}
	return nil
}

// CheckTxn checks a transaction, read-only or not.
func (s *Store) CheckTxn(c Caller, t *kv.TxnRequest, leaseKeys LeaseKeys) error {
	for i := range t.Compare {
		if err := s.CheckKeys(c, t.Compare[i].Key, t.Compare[i].RangeEnd, Read); err != nil {
			return err
		}
	}
	for _, ops := range [][]kv.RequestOp{t.Success, t.Failure} {
		for _, op := range ops {
			var err error
			switch {
			case op.Range != nil:
				err = s.CheckKeys(c, op.Range.Key, op.Range.RangeEnd, Read)
			case op.Put != nil:
				err = s.checkPut(c, op.Put, leaseKeys)
			case op.DeleteRange != nil:
				err = s.checkDelete(c, op.DeleteRange)
			case op.Txn != nil:
				err = s.CheckTxn(c, op.Txn, leaseKeys)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckLeaseKeys reports whether the caller may act on a lease holding
// keys: an administrator may; anyone else needs the permission on every
// key (WRITE to revoke or renew the lease, READ to list its keys).
func (s *Store) CheckLeaseKeys(c Caller, keys [][]byte, need PermType) error {
	if s.CheckAdmin(c) == nil {
		return nil
	}
	for _, k := range keys {
		if err := s.CheckKeys(c, k, nil, need); err != nil {
			return err
		}
	}
	return nil
}
