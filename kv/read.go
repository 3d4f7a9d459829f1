package kv

import (
	"bytes"
	"sort"
)

// Range reads keys at the current revision or, with r.Revision, at an older
// one. It does not go through raft: the caller decides how fresh the answer
// must be (a linearizable read waits for a raft read index first).
func (s *Store) Range(r *RangeRequest) (*RangeResponse, error) {
	if err := checkRange(r); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rangeAt(r, s.rev)
}

// rangeAt serves r as the store looked at revision cur (the current revision,
// or inside a write transaction the transaction's own). It follows etcd's
// executeRange step by step, so that count, more, sorting and filtering come
// out exactly as etcd's.
func (s *Store) rangeAt(r *RangeRequest, cur int64) (*RangeResponse, error) {
	rev, err := s.checkRev(r.Revision, cur)
	if err != nil {
		return nil, err
	}
	resp := &RangeResponse{Header: ResponseHeader{Revision: cur}}
	kr := newKeyRange(r.Key, r.RangeEnd)
	if r.CountOnly {
		s.visit(kr, rev, func([]byte, *version) bool { resp.Count++; return true })
		return resp, nil
	}

	// Sorting and filtering need every match; otherwise fetch one more than
	// the limit, to learn whether there is more. (As in etcd, a sort target
	// without a sort order does not count as sorting here: such a request
	// sorts only the first limit+1 keys.)
	limit := r.Limit
	if r.SortOrder != SortNone || r.MinModRevision != 0 || r.MaxModRevision != 0 ||
		r.MinCreateRevision != 0 || r.MaxCreateRevision != 0 {
		limit = 0
	}
	if limit > 0 {
		limit++
	}
	// Count is every key in the range, even those the limit or the filters
	// leave out (etcd counts in the index, before filtering).
	s.visit(kr, rev, func(k []byte, v *version) bool {
		resp.Count++
		if limit <= 0 || int64(len(resp.Kvs)) < limit {
			resp.Kvs = append(resp.Kvs, v.keyValue(k))
		}
		return true
	})

	if resp.Kvs = filterKVs(resp.Kvs, r); len(resp.Kvs) == 0 {
		resp.Kvs = nil // an empty answer has no list at all, as in etcd
	}
	sortKVs(resp.Kvs, r.SortOrder, r.SortTarget)
	if r.Limit > 0 && int64(len(resp.Kvs)) > r.Limit {
		resp.Kvs = resp.Kvs[:r.Limit]
		resp.More = true
	}
	if r.KeysOnly {
		// etcd 3.7 answers keys_only from its index alone, which knows no
		// leases, so Lease goes too (etcd issue #22209 calls this a
		// regression from 3.6; we match the 3.7.3 reference).
		for i := range resp.Kvs {
			resp.Kvs[i].Value, resp.Kvs[i].Lease = nil, 0
		}
	}
	return resp, nil
}

// filterKVs drops the key-values outside r's mod and create revision bounds.
func filterKVs(kvs []KeyValue, r *RangeRequest) []KeyValue {
	if r.MinModRevision == 0 && r.MaxModRevision == 0 && r.MinCreateRevision == 0 && r.MaxCreateRevision == 0 {
		return kvs
	}
	out := kvs[:0]
	for _, kv := range kvs {
		if (r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision) ||
			(r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision) ||
			(r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision) ||
			(r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// sortKVs sorts as etcd does. Results come out of the index in ascending key
// order, so (KEY, ASCEND) needs no sort, while any other target with order
// NONE means ASCEND. etcd uses sort.Sort, which is not stable; using the very
// same algorithm makes ties come out in the same order as etcd's.
func sortKVs(kvs []KeyValue, order SortOrder, target SortTarget) {
	switch {
	case target != SortByKey && order == SortNone:
		order = SortAscend
	case target == SortByKey && order == SortAscend:
		order = SortNone
	}
	if order == SortNone {
		return
	}
	var by sort.Interface
	switch target {
	case SortByKey:
		by = kvSort{kvs, func(a, b *KeyValue) bool { return bytes.Compare(a.Key, b.Key) < 0 }}
	case SortByVersion:
		by = kvSort{kvs, func(a, b *KeyValue) bool { return a.Version < b.Version }}
	case SortByCreate:
		by = kvSort{kvs, func(a, b *KeyValue) bool { return a.CreateRevision < b.CreateRevision }}
	case SortByMod:
		by = kvSort{kvs, func(a, b *KeyValue) bool { return a.ModRevision < b.ModRevision }}
	case SortByValue:
		by = kvSort{kvs, func(a, b *KeyValue) bool { return bytes.Compare(a.Value, b.Value) < 0 }}
	default:
		return // rejected by checkRange; never reached
	}
	if order == SortDescend {
		by = sort.Reverse(by)
	}
	sort.Sort(by)
}

type kvSort struct {
	kvs  []KeyValue
	less func(a, b *KeyValue) bool
}

func (s kvSort) Len() int           { return len(s.kvs) }
func (s kvSort) Swap(i, j int)      { s.kvs[i], s.kvs[j] = s.kvs[j], s.kvs[i] }
func (s kvSort) Less(i, j int) bool { return s.less(&s.kvs[i], &s.kvs[j]) }
