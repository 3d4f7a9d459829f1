package btree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	gbtree "github.com/google/btree"
	"github.com/raftkv/raftkv/kv/btree"
)

const numKeys = 1_000_000

// keys returns n distinct 16-byte keys in random order (fixed seed, so every
// run and both trees see the same keys).
func keys(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := make(map[uint64]bool, n)
	out := make([][]byte, 0, n)
	for len(out) < n {
		v := rng.Uint64()
		if seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, fmt.Appendf(nil, "%016x", v))
	}
	return out
}

// item is what google/btree stores: its generic tree wants one value type with
// a less function, so the key and value travel together.
type item struct {
	key []byte
	val int
}

func itemLess(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 }

// googleDegrees are the google/btree degrees compared (max 2*degree-1 items per node): 16
// matches raftkv's node size; the sub-benchmarks also try google's favourite, 32.
var googleDegrees = []int{16, 32}

func buildOurs(ks [][]byte) *btree.Tree[int] {
	tr := btree.New[int]()
	for i, k := range ks {
		tr.Set(k, i)
	}
	return tr
}

func buildGoogle(ks [][]byte, degree int) *gbtree.BTreeG[item] {
	tr := gbtree.NewG(degree, itemLess)
	for i, k := range ks {
		tr.ReplaceOrInsert(item{k, i})
	}
	return tr
}

// BenchmarkInsert measures one insert, averaged over building a tree of one
// million keys from empty (so it covers every size up to 1M, splits included).
func BenchmarkInsert(b *testing.B) {
	ks := keys(numKeys)
	b.Run("raftkv", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; {
			tr := btree.New[int]()
			for j, k := range ks {
				if i == b.N {
					break
				}
				tr.Set(k, j)
				i++
			}
		}
	})
	for _, d := range googleDegrees {
		b.Run(fmt.Sprintf("google-degree%d", d), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; {
				tr := gbtree.NewG(d, itemLess)
				for j, k := range ks {
					if i == b.N {
						break
					}
					tr.ReplaceOrInsert(item{k, j})
					i++
				}
			}
		})
	}
}

// BenchmarkGet measures a lookup of a present key in a tree of one million keys.
func BenchmarkGet(b *testing.B) {
	ks := keys(numKeys)
	probe := keys(numKeys) // the same keys in new slices: no pointer-equality shortcuts
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(probe), func(i, j int) { probe[i], probe[j] = probe[j], probe[i] })
	b.Run("raftkv", func(b *testing.B) {
		tr := buildOurs(ks)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, ok := tr.Get(probe[i%numKeys]); !ok {
				b.Fatal("missing key")
			}
		}
	})
	for _, d := range googleDegrees {
		b.Run(fmt.Sprintf("google-degree%d", d), func(b *testing.B) {
			tr := buildGoogle(ks, d)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := tr.Get(item{key: probe[i%numKeys]}); !ok {
					b.Fatal("missing key")
				}
			}
		})
	}
}

// BenchmarkRange100 measures an ascending scan of 100 keys starting at a random
// present key in a tree of one million keys.
func BenchmarkRange100(b *testing.B) {
	ks := keys(numKeys)
	probe := keys(numKeys)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(probe), func(i, j int) { probe[i], probe[j] = probe[j], probe[i] })
	b.Run("raftkv", func(b *testing.B) {
		tr := buildOurs(ks)
		b.ResetTimer()
		sum := 0
		for i := 0; i < b.N; i++ {
			n := 0
			for _, v := range tr.Ascend(probe[i%numKeys]) {
				sum += v
				if n++; n == 100 {
					break
				}
			}
		}
		_ = sum
	})
	for _, d := range googleDegrees {
		b.Run(fmt.Sprintf("google-degree%d", d), func(b *testing.B) {
			tr := buildGoogle(ks, d)
			b.ResetTimer()
			sum := 0
			for i := 0; i < b.N; i++ {
				n := 0
				tr.AscendGreaterOrEqual(item{key: probe[i%numKeys]}, func(it item) bool {
					sum += it.val
					n++
					return n < 100
				})
			}
			_ = sum
		})
	}
}
