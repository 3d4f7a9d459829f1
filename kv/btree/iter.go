package btree

import "iter"

// The iterators walk the tree recursively, in key order. They read the tree as
// it is at each step: do not modify a tree while iterating over it (iterate
// over a Clone instead if writes must go on).

// All yields every key and value in ascending key order.
func (t *Tree[V]) All() iter.Seq2[[]byte, V] { return t.Range(nil, nil) }

// Ascend yields the keys greater than or equal to from, in ascending order.
// A nil from starts at the smallest key.
func (t *Tree[V]) Ascend(from []byte) iter.Seq2[[]byte, V] { return t.Range(from, nil) }

// Range yields the keys in [start, end) in ascending order. A nil start means
// from the smallest key, a nil end means up to and including the largest.
func (t *Tree[V]) Range(start, end []byte) iter.Seq2[[]byte, V] {
	return func(yield func([]byte, V) bool) {
		if t.root != nil {
			t.root.ascend(start, end, yield)
		}
	}
}

// Prefix yields the keys that begin with prefix, in ascending order.
func (t *Tree[V]) Prefix(prefix []byte) iter.Seq2[[]byte, V] {
	return t.Range(prefix, PrefixEnd(prefix))
}

// Descend yields the keys less than or equal to from, in descending order.
// A nil from starts at the largest key.
func (t *Tree[V]) Descend(from []byte) iter.Seq2[[]byte, V] {
	return func(yield func([]byte, V) bool) {
		if t.root != nil {
			t.root.descend(from, yield)
		}
	}
}

// PrefixEnd returns the smallest key greater than every key that begins with
// prefix (the prefix with its last byte incremented, after dropping trailing
// 0xff bytes), or nil when there is none (the prefix is empty or all 0xff).
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xff {
			end := make([]byte, i+1)
			copy(end, prefix)
			end[i]++
			return end
		}
	}
	return nil
}

// ascend yields x's keys in [from, to) (nil bounds are open) and reports
// whether the walk should go on.
func (x *node[V]) ascend(from, to []byte, yield func([]byte, V) bool) bool {
	i, exact := 0, false
	if from != nil {
		i, exact = x.find(from)
	}
	// Find where to stop inside this node once, by binary search, instead of
	// comparing every key with to.
	stop, last := x.n, true
	if to != nil {
		stop, _ = x.find(to)
		last = stop == x.n
	}
	if x.leaf() {
		for ; i < stop; i++ {
			if !yield(x.keys[i], x.vals[i]) {
				return false
			}
		}
		return last
	}
	// children[i] holds the keys between keys[i-1] and keys[i]; when keys[i]
	// is from itself, that child is entirely below from.
	if !exact && !x.children[i].ascend(from, to, yield) {
		return false
	}
	for ; i < stop; i++ {
		if !yield(x.keys[i], x.vals[i]) || !x.children[i+1].ascend(nil, to, yield) {
			return false
		}
	}
	return last
}

// descend yields x's keys less than or equal to from (nil: all of them) in
// descending order and reports whether the walk should go on.
func (x *node[V]) descend(from []byte, yield func([]byte, V) bool) bool {
	i, exact := x.n, false
	if from != nil {
		i, exact = x.find(from)
		if exact {
			i++ // keys[i-1] == from is the first key to yield
		}
	}
	if !x.leaf() && !exact && !x.children[i].descend(from, yield) {
		return false
	}
	for i--; i >= 0; i-- {
		if !yield(x.keys[i], x.vals[i]) {
			return false
		}
		if !x.leaf() && !x.children[i].descend(nil, yield) {
			return false
		}
	}
	return true
}
