package btree

import "bytes"

// Tree is an ordered map from byte-string keys to values of type V.
// The zero Tree is empty and ready to use. A Tree is not safe for concurrent
// use, but a Clone may be used concurrently with the original.
type Tree[V any] struct {
	root   *node[V]
	length int
	owner  *owner
}

// New returns an empty tree.
func New[V any]() *Tree[V] { return &Tree[V]{owner: new(owner)} }

// Len returns the number of keys in the tree.
func (t *Tree[V]) Len() int { return t.length }

// Clone returns a copy of t in O(1). Both trees share every node until one of
// them writes; then the writer copies the nodes on the path it changes. After
// Clone, t and the copy may be used from different goroutines.
func (t *Tree[V]) Clone() *Tree[V] {
	// Both trees get fresh owners: the nodes they share now belong to neither,
	// so neither may change them in place.
	t.owner = new(owner)
	return &Tree[V]{root: t.root, length: t.length, owner: new(owner)}
}

// Get returns the value stored under key.
func (t *Tree[V]) Get(key []byte) (v V, ok bool) {
	x := t.root
	for x != nil {
		i, found := x.find(key)
		if found {
			return x.vals[i], true
		}
		if x.leaf() {
			break
		}
		x = x.children[i]
	}
	return v, false
}

// Set stores v under key and returns the value it replaced, if any. When key
// is already present the tree keeps the key slice it already holds; otherwise
// it keeps key itself, which the caller must not modify afterwards.
func (t *Tree[V]) Set(key []byte, v V) (old V, replaced bool) {
	if t.root == nil {
		t.root = t.newNode(true)
		t.root.insertAt(0, key, v)
		t.length = 1
		return old, false
	}
	t.root = t.mutable(t.root)
	if t.root.n == maxItems {
		// The only way the tree grows taller: a full root splits under a new root.
		r := t.newNode(false)
		r.children[0] = t.root
		t.root = r
		t.splitChild(r, 0)
	}
	x := t.root
	for {
		i, found := x.find(key)
		if found {
			old, x.vals[i] = x.vals[i], v
			return old, true
		}
		if x.leaf() {
			x.insertAt(i, key, v)
			t.length++
			return old, false
		}
		child := t.mutableChild(x, i)
		if child.n == maxItems {
			// Split before stepping down, so that the child has room for a
			// split of its own child and we never need to walk back up.
			t.splitChild(x, i)
			switch c := bytes.Compare(key, x.keys[i]); {
			case c == 0:
				old, x.vals[i] = x.vals[i], v
				return old, true
			case c > 0:
				i++
			}
			child = x.children[i]
		}
		x = child
	}
}

// Delete removes key and returns the value it held, if any.
func (t *Tree[V]) Delete(key []byte) (old V, deleted bool) {
	if t.root == nil {
		return old, false
	}
	t.root = t.mutable(t.root)
	old, deleted = t.remove(t.root, key)
	if t.root.n == 0 {
		// The only way the tree gets shorter: an empty root gives way to its
		// single child (or, for a leaf, the tree becomes empty).
		if t.root.leaf() {
			t.root = nil
		} else {
			t.root = t.root.children[0]
		}
	}
	if deleted {
		t.length--
	}
	return old, deleted
}

// newNode returns an empty node owned by t.
func (t *Tree[V]) newNode(leaf bool) *node[V] {
	x := &node[V]{owner: t.owner}
	if !leaf {
		x.children = new([maxItems + 1]*node[V])
	}
	return x
}

// mutable returns x if t owns it, or an owned copy of x otherwise.
func (t *Tree[V]) mutable(x *node[V]) *node[V] {
	if x.owner == t.owner {
		return x
	}
	c := &node[V]{n: x.n, keys: x.keys, vals: x.vals, owner: t.owner}
	if x.children != nil {
		children := *x.children
		c.children = &children
	}
	return c
}

// mutableChild makes x's child i owned by t (x must already be owned).
func (t *Tree[V]) mutableChild(x *node[V], i int) *node[V] {
	c := t.mutable(x.children[i])
	x.children[i] = c
	return c
}

// splitChild splits x's full child i around its middle key, which moves up
// into x at position i; the upper half becomes child i+1. x must be owned and
// not full, and child i must be owned.
func (t *Tree[V]) splitChild(x *node[V], i int) {
	left := x.children[i]
	right := t.newNode(left.leaf())
	const mid = minItems
	right.n = copy(right.keys[:], left.keys[mid+1:left.n])
	copy(right.vals[:], left.vals[mid+1:left.n])
	if !left.leaf() {
		copy(right.children[:], left.children[mid+1:left.n+1])
		clear(left.children[mid+1 : left.n+1])
	}
	key, val := left.keys[mid], left.vals[mid]
	clear(left.keys[mid:left.n])
	clear(left.vals[mid:left.n])
	left.n = mid
	x.insertAt(i, key, val)
	x.insertChildAt(i+1, right)
}

// remove deletes key from the subtree at x. x must be owned and, unless it is
// the root, hold more than minItems keys, so that removing one cannot leave it
// too small.
func (t *Tree[V]) remove(x *node[V], key []byte) (old V, ok bool) {
	for {
		i, found := x.find(key)
		switch {
		case x.leaf():
			if !found {
				return old, false
			}
			_, old = x.removeAt(i)
			return old, true
		case found && x.children[i].n > minItems:
			// Replace the key by its predecessor, taken from a leaf.
			old = x.vals[i]
			x.keys[i], x.vals[i] = t.removeMax(t.mutableChild(x, i))
			return old, true
		case found && x.children[i+1].n > minItems:
			// ... or by its successor.
			old = x.vals[i]
			x.keys[i], x.vals[i] = t.removeMin(t.mutableChild(x, i+1))
			return old, true
		case found:
			// Both neighbours are minimal: merge them around the key and
			// delete it from the merged node.
			t.merge(x, i)
			x = x.children[i]
		default:
			x = x.children[t.growChild(x, i)]
		}
	}
}

// removeMax removes and returns the largest key in the subtree at x (owned,
// with more than minItems keys).
func (t *Tree[V]) removeMax(x *node[V]) ([]byte, V) {
	for !x.leaf() {
		x = x.children[t.growChild(x, x.n)]
	}
	return x.removeAt(x.n - 1)
}

// removeMin removes and returns the smallest key in the subtree at x.
func (t *Tree[V]) removeMin(x *node[V]) ([]byte, V) {
	for !x.leaf() {
		x = x.children[t.growChild(x, 0)]
	}
	return x.removeAt(0)
}

// growChild makes sure x's child i is owned and holds more than minItems keys,
// by borrowing a key from a sibling or merging with one. It returns the index
// of the child that now covers the keys child i covered (i, or i-1 after a
// merge with the left sibling).
func (t *Tree[V]) growChild(x *node[V], i int) int {
	c := t.mutableChild(x, i)
	switch {
	case c.n > minItems:
		return i
	case i > 0 && x.children[i-1].n > minItems:
		// Rotate right: the parent's separator comes down to the front of c,
		// the left sibling's last key goes up to replace it.
		left := t.mutableChild(x, i-1)
		k, v := left.removeAt(left.n - 1)
		c.insertAt(0, x.keys[i-1], x.vals[i-1])
		x.keys[i-1], x.vals[i-1] = k, v
		if !c.leaf() {
			// left.n has already dropped by one, so its last child is at left.n+1.
			moved := left.children[left.n+1]
			left.children[left.n+1] = nil
			copy(c.children[1:c.n+1], c.children[0:c.n])
			c.children[0] = moved
		}
		return i
	case i < x.n && x.children[i+1].n > minItems:
		// Rotate left, the mirror image.
		right := t.mutableChild(x, i+1)
		c.insertAt(c.n, x.keys[i], x.vals[i])
		x.keys[i], x.vals[i] = right.removeAt(0)
		if !c.leaf() {
			c.children[c.n] = right.removeChildAt(0)
		}
		return i
	case i < x.n:
		t.merge(x, i)
		return i
	default:
		t.merge(x, i-1)
		return i - 1
	}
}

// merge joins x's children i and i+1 and the key between them into child i,
// which must be owned. Child i+1 is only read: it may be shared with a clone.
func (t *Tree[V]) merge(x *node[V], i int) {
	left := t.mutableChild(x, i)
	right := x.children[i+1]
	left.keys[left.n], left.vals[left.n] = x.keys[i], x.vals[i]
	copy(left.keys[left.n+1:], right.keys[:right.n])
	copy(left.vals[left.n+1:], right.vals[:right.n])
	if !left.leaf() {
		copy(left.children[left.n+1:], right.children[:right.n+1])
	}
	left.n += right.n + 1
	x.removeAt(i)
	x.removeChildAt(i + 1)
}
