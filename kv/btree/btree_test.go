package btree

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// fataler is what testing.T and rapid.T have in common.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// check verifies the B-tree invariants: keys strictly ascending across the
// whole tree, node sizes within bounds, all leaves at one depth, and Len.
func check[V any](t fataler, tr *Tree[V]) {
	t.Helper()
	if tr.root == nil {
		if tr.length != 0 {
			t.Fatalf("empty tree with length %d", tr.length)
		}
		return
	}
	leafDepth, count := -1, 0
	var prev []byte
	var walk func(x *node[V], depth int, isRoot bool)
	walk = func(x *node[V], depth int, isRoot bool) {
		if x.n > maxItems || (!isRoot && x.n < minItems) || (isRoot && x.n < 1) {
			t.Fatalf("node at depth %d holds %d keys", depth, x.n)
		}
		for i := x.n; i < maxItems; i++ {
			if x.keys[i] != nil {
				t.Fatalf("stale key in unused slot %d", i)
			}
		}
		if x.leaf() {
			if leafDepth == -1 {
				leafDepth = depth
			} else if depth != leafDepth {
				t.Fatalf("leaves at depths %d and %d", leafDepth, depth)
			}
		}
		for i := 0; i <= x.n; i++ {
			if !x.leaf() {
				walk(x.children[i], depth+1, false)
			}
			if i == x.n {
				break
			}
			if count > 0 && bytes.Compare(prev, x.keys[i]) >= 0 {
				t.Fatalf("keys out of order: %q then %q", prev, x.keys[i])
			}
			prev = x.keys[i]
			count++
		}
		if !x.leaf() {
			for i := x.n + 1; i <= maxItems; i++ {
				if x.children[i] != nil {
					t.Fatalf("stale child in unused slot %d", i)
				}
			}
		}
	}
	walk(tr.root, 0, true)
	if count != tr.length {
		t.Fatalf("Len() = %d, tree holds %d keys", tr.length, count)
	}
}

// model is the reference: a sorted slice of entries.
type entry struct {
	key []byte
	val int
}

type model []entry

func (m model) find(k []byte) (int, bool) {
	return slices.BinarySearchFunc(m, k, func(e entry, k []byte) int { return bytes.Compare(e.key, k) })
}

func (m *model) set(k []byte, v int) (int, bool) {
	i, ok := m.find(k)
	if ok {
		old := (*m)[i].val
		(*m)[i].val = v
		return old, true
	}
	*m = slices.Insert(*m, i, entry{k, v})
	return 0, false
}

func (m *model) del(k []byte) (int, bool) {
	i, ok := m.find(k)
	if !ok {
		return 0, false
	}
	old := (*m)[i].val
	*m = slices.Delete(*m, i, i+1)
	return old, true
}

// between returns the model's entries in [start, end) (nil bounds are open).
func (m model) between(start, end []byte) []entry {
	var out []entry
	for _, e := range m {
		if (start == nil || bytes.Compare(e.key, start) >= 0) && (end == nil || bytes.Compare(e.key, end) < 0) {
			out = append(out, e)
		}
	}
	return out
}

func collect(seq func(func([]byte, int) bool)) []entry {
	var out []entry
	for k, v := range seq {
		out = append(out, entry{k, v})
	}
	return out
}

func numKey(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// genKey draws keys from a space small enough that sets, replaces and deletes
// collide often, but large enough (with batches) to build trees several levels deep.
func genKey() *rapid.Generator[[]byte] {
	return rapid.OneOf(
		rapid.Map(rapid.IntRange(0, 9000), numKey),
		rapid.SliceOfN(rapid.ByteRange(0, 3), 0, 3),
	)
}

// drawBatch picks a run of numeric keys: a start, a count and a stride. Runs of
// up to a few thousand keys build trees three levels deep (the root, inner
// nodes, leaves), where every borrow and merge case between inner nodes occurs.
func drawBatch(t *rapid.T) (from, n, stride int) {
	return rapid.IntRange(0, 3000).Draw(t, "from"), rapid.IntRange(1, 2000).Draw(t, "n"), rapid.IntRange(1, 3).Draw(t, "stride")
}

func sameEntries(t *rapid.T, what string, got, want []entry) {
	if len(got) != len(want) {
		t.Fatalf("%s: got %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].key, want[i].key) || got[i].val != want[i].val {
			t.Fatalf("%s: entry %d is %q=%d, want %q=%d", what, i, got[i].key, got[i].val, want[i].key, want[i].val)
		}
	}
}

// TestTreeMatchesModel drives a tree and its clones with random operations and
// compares every answer with a sorted slice. Clones are kept and written too:
// each must keep matching its own model, which is what copy-on-write promises.
func TestTreeMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		trees := []*Tree[int]{New[int]()}
		models := []model{nil}
		pick := func() int { return rapid.IntRange(0, len(trees)-1).Draw(t, "tree") }
		t.Repeat(map[string]func(*rapid.T){
			"set": func(t *rapid.T) {
				i, k, v := pick(), genKey().Draw(t, "k"), rapid.Int().Draw(t, "v")
				gotOld, gotOK := trees[i].Set(k, v)
				wantOld, wantOK := models[i].set(k, v)
				if gotOK != wantOK || gotOld != wantOld {
					t.Fatalf("Set(%q) = %d,%v want %d,%v", k, gotOld, gotOK, wantOld, wantOK)
				}
			},
			"setBatch": func(t *rapid.T) {
				i := pick()
				from, n, stride := drawBatch(t)
				for j := from; j < from+n*stride; j += stride {
					trees[i].Set(numKey(j), j)
					models[i].set(numKey(j), j)
				}
			},
			"delete": func(t *rapid.T) {
				i, k := pick(), genKey().Draw(t, "k")
				gotOld, gotOK := trees[i].Delete(k)
				wantOld, wantOK := models[i].del(k)
				if gotOK != wantOK || gotOld != wantOld {
					t.Fatalf("Delete(%q) = %d,%v want %d,%v", k, gotOld, gotOK, wantOld, wantOK)
				}
			},
			"deleteBatch": func(t *rapid.T) {
				i := pick()
				from, n, stride := drawBatch(t)
				for j := from; j < from+n*stride; j += stride {
					_, got := trees[i].Delete(numKey(j))
					if _, want := models[i].del(numKey(j)); got != want {
						t.Fatalf("Delete(%d) = %v want %v", j, got, want)
					}
				}
			},
			"get": func(t *rapid.T) {
				i, k := pick(), genKey().Draw(t, "k")
				got, gotOK := trees[i].Get(k)
				j, wantOK := models[i].find(k)
				if gotOK != wantOK || (wantOK && got != models[i][j].val) {
					t.Fatalf("Get(%q) = %d,%v", k, got, gotOK)
				}
			},
			"clone": func(t *rapid.T) {
				if len(trees) >= 4 {
					t.Skip("enough clones")
				}
				i := pick()
				trees = append(trees, trees[i].Clone())
				models = append(models, slices.Clone(models[i]))
			},
			"range": func(t *rapid.T) {
				i := pick()
				start := rapid.OneOf(rapid.Just[[]byte](nil), genKey()).Draw(t, "start")
				end := rapid.OneOf(rapid.Just[[]byte](nil), genKey()).Draw(t, "end")
				sameEntries(t, "Range", collect(trees[i].Range(start, end)), models[i].between(start, end))
			},
			"prefix": func(t *rapid.T) {
				i := pick()
				p := rapid.SliceOfN(rapid.ByteRange(0, 3), 0, 2).Draw(t, "p")
				var want []entry
				for _, e := range models[i] {
					if bytes.HasPrefix(e.key, p) {
						want = append(want, e)
					}
				}
				sameEntries(t, "Prefix", collect(trees[i].Prefix(p)), want)
			},
			"descend": func(t *rapid.T) {
				i := pick()
				from := rapid.OneOf(rapid.Just[[]byte](nil), genKey()).Draw(t, "from")
				var want []entry
				for _, e := range slices.Backward(models[i]) {
					if from == nil || bytes.Compare(e.key, from) <= 0 {
						want = append(want, e)
					}
				}
				sameEntries(t, "Descend", collect(trees[i].Descend(from)), want)
			},
			"stopEarly": func(t *rapid.T) {
				i, n := pick(), rapid.IntRange(0, 50).Draw(t, "n")
				var got []entry
				for k, v := range trees[i].All() {
					if len(got) == n {
						break
					}
					got = append(got, entry{k, v})
				}
				want := models[i][:min(n, len(models[i]))]
				sameEntries(t, "All+break", got, want)
			},
			"": func(t *rapid.T) {
				for i := range trees {
					check(t, trees[i])
					if trees[i].Len() != len(models[i]) {
						t.Fatalf("tree %d: Len %d, model %d", i, trees[i].Len(), len(models[i]))
					}
				}
			},
		})
	})
}

// TestManyKeys builds and tears down a tree of 50,000 keys in random order,
// checking the invariants along the way; it exercises every split, borrow and
// merge case at four levels, which random small tests reach only rarely.
func TestManyKeys(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	const n = 50000
	tr := New[int]()
	var snap *Tree[int]
	for i, p := range rng.Perm(n) {
		tr.Set(numKey(p), p)
		if i == n/2 {
			snap = tr.Clone()
		}
	}
	check(t, tr)
	check(t, snap)
	for i, p := range rng.Perm(n) {
		if v, ok := tr.Delete(numKey(p)); !ok || v != p {
			t.Fatalf("Delete(%d) = %d,%v", p, v, ok)
		}
		if i%5000 == 0 {
			check(t, tr)
		}
	}
	check(t, tr)
	if tr.Len() != 0 || tr.root != nil {
		t.Fatalf("tree not empty after deleting everything: %d", tr.Len())
	}
	// The clone taken halfway must still hold exactly the first n/2+1 keys.
	check(t, snap)
	if snap.Len() != n/2+1 {
		t.Fatalf("clone has %d keys, want %d", snap.Len(), n/2+1)
	}
	prev := -1
	for k, v := range snap.All() {
		if int(binary.BigEndian.Uint32(k)) != v || v <= prev {
			t.Fatalf("clone entry %x=%d after %d", k, v, prev)
		}
		prev = v
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{nil, nil},
		{[]byte("a"), []byte("b")},
		{[]byte("/demo/"), []byte("/demo0")},
		{[]byte{'a', 0xff}, []byte("b")},
		{[]byte{0xff, 0xff}, nil},
	} {
		if got := PrefixEnd(c.in); !bytes.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func ExampleTree() {
	tr := New[int]()
	for i, k := range []string{"/demo/b", "/demo/a", "/other", "/demo/c"} {
		tr.Set([]byte(k), i)
	}
	for k, v := range tr.Prefix([]byte("/demo/")) {
		fmt.Println(string(k), v)
	}
	// Output:
	// /demo/a 1
	// /demo/b 0
	// /demo/c 3
}
