package kv

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// The MVCC benchmarks use etcd-like data: 16-byte keys and 256-byte values,
// one million keys.
const (
	benchKeys      = 1_000_000
	benchValueSize = 256
)

func benchKeySet(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := make(map[uint64]bool, n)
	keys := make([][]byte, 0, n)
	for len(keys) < n {
		if v := rng.Uint64(); !seen[v] {
			seen[v] = true
			keys = append(keys, fmt.Appendf(nil, "%016x", v))
		}
	}
	return keys
}

func benchValue() []byte {
	v := make([]byte, benchValueSize)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}

// BenchmarkPut measures one put of a new key, averaged over filling a store
// with one million keys (Apply, no encoding), and reports puts per second.
func BenchmarkPut(b *testing.B) {
	keys, value := benchKeySet(benchKeys), benchValue()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		s := New(Config{})
		for _, k := range keys {
			if i == b.N {
				break
			}
			if _, err := s.Apply(&Request{Put: &PutRequest{Key: k, Value: value}}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkApplyBytesPut is BenchmarkPut through the encoding, as a member
// applies a committed raft entry: decode, then apply.
func BenchmarkApplyBytesPut(b *testing.B) {
	keys, value := benchKeySet(benchKeys), benchValue()
	entries := make([][]byte, len(keys))
	for i, k := range keys {
		entries[i], _ = (&Request{Put: &PutRequest{Key: k, Value: value}}).Marshal()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		s := New(Config{})
		for _, e := range entries {
			if i == b.N {
				break
			}
			if _, err := s.ApplyBytes(e); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkUpdate measures a put that overwrites a key in a store of one
// million keys (adding a version to its history).
func BenchmarkUpdate(b *testing.B) {
	keys, value := benchKeySet(benchKeys), benchValue()
	s := New(Config{})
	for _, k := range keys {
		s.Apply(&Request{Put: &PutRequest{Key: k, Value: value}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Apply(&Request{Put: &PutRequest{Key: keys[(i*7919)%benchKeys], Value: value}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkRange measures reads in a store of one million keys: one key, and
// 100 keys from a random start.
func BenchmarkRange(b *testing.B) {
	keys, value := benchKeySet(benchKeys), benchValue()
	s := New(Config{})
	for _, k := range keys {
		s.Apply(&Request{Put: &PutRequest{Key: k, Value: value}})
	}
	b.Run("one key", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if r, err := s.Range(&RangeRequest{Key: keys[(i*7919)%benchKeys]}); err != nil || r.Count != 1 {
				b.Fatal(r, err)
			}
		}
	})
	// A range of exactly 100 keys: etcd semantics count every key in the
	// range, so an open-ended range with a limit would scan to the end.
	sorted := slices.SortedFunc(slices.Values(keys), bytes.Compare)
	b.Run("100 keys", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			j := (i * 7919) % (benchKeys - 100)
			r, err := s.Range(&RangeRequest{Key: sorted[j], RangeEnd: sorted[j+100]})
			if err != nil || len(r.Kvs) != 100 {
				b.Fatal(r, err)
			}
		}
	})
}

// BenchmarkMemoryPerKey fills a store with one million keys and reports the
// live heap per key beside the raw size of a key and its value.
func BenchmarkMemoryPerKey(b *testing.B) {
	keys, value := benchKeySet(benchKeys), benchValue()
	raw := len(keys[0]) + benchValueSize
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := New(Config{})
		for _, k := range keys {
			s.Apply(&Request{Put: &PutRequest{Key: k, Value: value}})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/benchKeys, "B/key")
		b.ReportMetric(float64(raw), "raw-B/key")
		runtime.KeepAlive(s)
	}
}

// BenchmarkHashKV hashes a store of one million keys (what the corruption
// check does on every member once per --corrupt-check-time), and reports
// how long a put waits behind it: HashKV holds the write lock only to
// freeze a copy-on-write view.
func BenchmarkHashKV(b *testing.B) {
	keys, value := benchKeySet(benchKeys), benchValue()
	s := New(Config{})
	for _, k := range keys {
		s.Apply(&Request{Put: &PutRequest{Key: k, Value: value}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.HashKV(0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "versions/s")
}
