package kv

import "bytes"

// keyRange is etcd's [key, range_end) with its conventions decoded:
//
//	range_end empty        the single key `key`
//	range_end "\x00"       every key >= key ("from key")
//	key = range_end = "\x00" every key (a special case of the line above)
//	otherwise              key <= k < range_end
type keyRange struct {
	start  []byte
	end    []byte // nil: no upper bound (only meaningful when !single)
	single bool
}

func newKeyRange(key, rangeEnd []byte) keyRange {
	switch {
	case len(rangeEnd) == 0:
		return keyRange{start: key, single: true}
	case len(rangeEnd) == 1 && rangeEnd[0] == 0:
		return keyRange{start: key}
	default:
		return keyRange{start: key, end: rangeEnd}
	}
}

// contains reports whether k is in the range.
func (r keyRange) contains(k []byte) bool {
	if r.single {
		return bytes.Equal(k, r.start)
	}
	return bytes.Compare(k, r.start) >= 0 && (r.end == nil || bytes.Compare(k, r.end) < 0)
}

// visit calls fn, in key order, for each key in r that exists at rev, with the
// version visible then. fn returns false to stop.
func (s *Store) visit(r keyRange, rev int64, fn func(key []byte, v *version) bool) {
	if r.single {
		if ki, ok := s.index.Get(r.start); ok {
			if v := ki.at(rev); v != nil {
				fn(ki.key, v)
			}
		}
		return
	}
	for k, ki := range s.index.Range(r.start, r.end) {
		if v := ki.at(rev); v != nil && !fn(k, v) {
			return
		}
	}
}
