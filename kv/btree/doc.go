// Package btree is an in-memory B-tree that maps byte-string keys to values,
// kept in key order, with cheap copy-on-write clones.
//
// # Why a B-tree
//
// The key-value store must answer "the keys from a to b, in order" quickly,
// and it must let a snapshot or a long scan read a frozen view while new
// writes go on. A hash map has no order; a balanced binary tree has order but
// one pointer chase per level and ~20 levels for a million keys. A B-tree keeps
// up to maxItems sorted keys in every node, so a million keys need only five
// levels, and a node's keys sit next to each other in memory, where a binary
// search over them is cheap.
//
// # Shape
//
// Every node holds n sorted keys. An inner node also holds n+1 children: all
// keys in children[i] sort between keys[i-1] and keys[i]. All leaves are at the
// same depth. Every node except the root holds between minItems and maxItems
// keys (degree-1 and 2*degree-1), which keeps the tree shallow and every node
// at least half full.
//
//	               [ m ]
//	             /       \
//	     [ c  g ]         [ q  u ]
//	    /   |   \        /   |   \
//	[a b] [d e] [h k] [n p] [r s] [v x z]
//
// # Insert: split on the way down
//
// Insert walks from the root to a leaf. Before it steps into a child that is
// already full, it splits that child around its middle key and lifts the
// middle key into the parent. The parent has room, because it was split
// earlier on the way down if it was full. So the walk never has to come back
// up, and a full root splits into a new root: that is the only way the tree
// grows taller. With maxItems = 3:
//
//	insert "f" into      step into a full child: split it first,
//	                     lifting its middle key "e" into the parent
//	   [ c  m ]               [ c  e  m ]
//	  /   |   \              /   |  |   \
//	[a] [d e g] [p]        [a] [d] [g]  [p]    then "f" goes into [g] -> [f g]
//
// # Delete: merge or borrow on the way down
//
// Delete is the mirror image. Before it steps into a child that has only
// minItems keys (removing one would leave it too small), it makes the child
// bigger: it borrows a key from a sibling that can spare one (rotating it
// through the parent), or, when both neighbours are minimal too, it merges the
// child, the separating parent key and a sibling into one node. A key found in
// an inner node is swapped for its predecessor (or successor) from a leaf, so
// actual removal always happens in a leaf. An empty root with one child is
// replaced by that child: the only way the tree gets shorter.
//
//	borrow from the left sibling          merge with the left sibling
//	   [ c  g ]        [ b  g ]              [ c  g ]          [ g ]
//	  /   |   \   ->  /   |   \             /   |   \   ->    /    \
//	[a b] [d] [h]   [a] [c d] [h]         [a] [d] [h]     [a c d]  [h]
//	      ^ minimal, about to lose a key      ^ minimal, neighbours minimal too
//
// # Copy-on-write clones
//
// Clone returns a second tree that shares every node with the first, in O(1).
// Each node records which tree "owns" it (a cow token). A tree may change a
// node in place only if it owns it; otherwise it copies the node first and
// points the (already owned) parent at the copy. Clone gives both trees fresh
// tokens, so afterwards neither owns any shared node, and each write copies
// only the nodes on its root-to-leaf path — five for a million keys.
// A reader of one tree never sees the other's writes, and no locks are needed
// between them as long as each tree has one writer.
//
// The tree keeps the key slices it is given; callers must not modify a key
// after inserting it. Values are stored as given (use a pointer type for large
// values, and copy-on-write them yourself if a clone must not see changes).
//
// Entry points: New, Tree.Get, Tree.Set, Tree.Delete, Tree.Clone, and the
// iterators Tree.Ascend, Tree.Descend, Tree.Range, Tree.Prefix.
package btree
