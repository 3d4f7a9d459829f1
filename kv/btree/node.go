package btree

import "bytes"

// Node geometry. A node holds between minItems and maxItems keys (the root may
// hold fewer). degree was chosen by benchmark (see bench/btree): a node of 31
// keys fills about one kilobyte, a binary search over it touches five keys, and
// a million keys fit in five levels.
const (
	degree   = 16
	maxItems = 2*degree - 1
	minItems = degree - 1
)

// owner is a copy-on-write token. A tree may modify a node in place only when
// the node's owner is the tree's owner. It must not be a zero-size type: Go
// may give all zero-size values the same address, and then two "fresh" tokens
// would compare equal.
type owner struct{ _ byte }

// node is one B-tree node. Keys and values live in fixed-size arrays inside
// the node (one allocation per node, neighbours adjacent in memory). Leaves
// have children == nil; inner nodes have n+1 children.
type node[V any] struct {
	n        int
	keys     [maxItems][]byte
	vals     [maxItems]V
	children *[maxItems + 1]*node[V]
	owner    *owner
}

// find returns the index of key in x and true, or, when x does not hold key,
// the index of the first key greater than it (where key would be inserted, and
// the child to descend into) and false.
func (x *node[V]) find(key []byte) (int, bool) {
	lo, hi := 0, x.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(x.keys[mid], key); {
		case c < 0:
			lo = mid + 1
		case c > 0:
			hi = mid
		default:
			return mid, true
		}
	}
	return lo, false
}

func (x *node[V]) leaf() bool { return x.children == nil }

// insertAt puts key/v at position i, shifting the keys after it right.
func (x *node[V]) insertAt(i int, key []byte, v V) {
	copy(x.keys[i+1:x.n+1], x.keys[i:x.n])
	copy(x.vals[i+1:x.n+1], x.vals[i:x.n])
	x.keys[i], x.vals[i] = key, v
	x.n++
}

// removeAt removes the key at position i. The vacated slot is zeroed so that
// the garbage collector can reclaim what it referenced.
func (x *node[V]) removeAt(i int) ([]byte, V) {
	k, v := x.keys[i], x.vals[i]
	copy(x.keys[i:x.n-1], x.keys[i+1:x.n])
	copy(x.vals[i:x.n-1], x.vals[i+1:x.n])
	x.n--
	var zero V
	x.keys[x.n], x.vals[x.n] = nil, zero
	return k, v
}

// insertChildAt puts c at child position i; call it after insertAt, when x.n
// already counts the new key (so x has x.n+1 child slots in use afterwards).
func (x *node[V]) insertChildAt(i int, c *node[V]) {
	copy(x.children[i+1:x.n+1], x.children[i:x.n])
	x.children[i] = c
}

// removeChildAt removes child i; call it after removeAt, when x.n already
// counts one key fewer (x had x.n+2 children before).
func (x *node[V]) removeChildAt(i int) *node[V] {
	c := x.children[i]
	copy(x.children[i:x.n+1], x.children[i+1:x.n+2])
	x.children[x.n+1] = nil
	return c
}
