package kv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"testing"
)

// workload applies n deterministic pseudo-random requests (puts, deletes,
// txns, leases, compactions) and returns the requests, so that a test can
// replay them elsewhere.
func workload(t testing.TB, s *Store, seed uint64, n int) []*Request {
	rng := rand.New(rand.NewPCG(seed, seed))
	key := func() []byte { return []byte{'k', byte('a' + rng.IntN(20))} }
	var reqs []*Request
	for range n {
		var req *Request
		switch r := rng.IntN(20); {
		case r < 12:
			req = &Request{Put: &PutRequest{Key: key(), Value: []byte{byte(rng.IntN(256))}, Lease: int64(rng.IntN(3))}}
		case r < 15:
			k := key()
			req = &Request{DeleteRange: &DeleteRangeRequest{Key: k, RangeEnd: append(k, 0xff)}}
		case r < 17:
			req = &Request{Txn: &TxnRequest{
				Compare: []Compare{{Key: key(), Target: CompareVersion, Result: CompareGreater}},
				Success: []RequestOp{{Put: &PutRequest{Key: b("t1"), Value: b("s")}}, {Put: &PutRequest{Key: b("t2"), Value: b("s")}}},
				Failure: []RequestOp{{DeleteRange: &DeleteRangeRequest{Key: b("t"), RangeEnd: b("u")}}},
			}}
		case r < 18:
			id := int64(1 + rng.IntN(2))
			if rng.IntN(2) == 0 {
				req = &Request{LeaseGrant: &LeaseGrantRequest{ID: id, TTL: 10}}
			} else {
				req = &Request{LeaseRevoke: &LeaseRevokeRequest{ID: id}}
			}
		default:
			req = &Request{Compaction: &CompactionRequest{Revision: s.Rev() - int64(rng.IntN(10))}}
		}
		reqs = append(reqs, req)
		_, _ = s.Apply(req) // errors (unknown lease, compacted) are part of the workload
	}
	return reqs
}

func TestSnapshotRestore(t *testing.T) {
	s := New(Config{})
	workload(t, s, 1, 3000)
	r := snapshotRoundTrip(t, s)
	// Reads at every revision since the compaction agree.
	for rev := s.CompactRevision(); rev <= s.Rev(); rev++ {
		q := &RangeRequest{Key: b("\x00"), RangeEnd: b("\x00"), Revision: rev}
		a, errA := s.Range(q)
		b, errB := r.Range(q)
		if errA != errB {
			t.Fatalf("rev %d: %v vs %v", rev, errA, errB)
		}
		want(t, "range", b, a)
	}
	// And they go on identically.
	for _, req := range workload(t, s, 2, 500) {
		_, _ = r.Apply(req)
	}
	if s.Hash() != r.Hash() {
		t.Fatal("the restored store diverged")
	}
}

// TestSnapshotWhileWriting streams a snapshot while writes go on (run with
// -race): the snapshot is exactly the state at the moment it was taken.
func TestSnapshotWhileWriting(t *testing.T) {
	s := New(Config{})
	first := workload(t, s, 3, 2000)
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Snapshot(&buf); err != nil {
			t.Error(err)
		}
	}()
	more := workload(t, s, 4, 2000)
	wg.Wait()
	r := New(Config{})
	if err := r.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	// Replay the same requests up to the snapshot's revision on a fresh store.
	replay := New(Config{})
	for _, req := range append(first, more...) {
		if replay.Rev() == r.Rev() && replay.Hash() == r.Hash() {
			break
		}
		_, _ = replay.Apply(req)
	}
	if d := diffStores(replay, r); d != "" {
		t.Fatalf("snapshot taken during writes is not a consistent state:\n%s", d)
	}
}

// TestRestoreRejectsDamage: any changed byte, truncation or extra byte is
// refused (the CRC), and a refused restore leaves the store as it was.
func TestRestoreRejectsDamage(t *testing.T) {
	src := New(Config{})
	workload(t, src, 5, 200)
	var buf bytes.Buffer
	if err := src.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	snap := buf.Bytes()
	dst := New(Config{})
	put(t, dst, "mine", "x")
	before := dst.Hash()
	rng := rand.New(rand.NewPCG(6, 6))
	for i := range 300 {
		bad := bytes.Clone(snap)
		switch i % 3 {
		case 0:
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		case 1:
			bad = bad[:rng.IntN(len(bad))]
		default:
			bad = append(bad, byte(rng.IntN(256)))
		}
		if err := dst.Restore(bytes.NewReader(bad)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("damaged snapshot (%d): %v", i%3, err)
		}
	}
	if dst.Hash() != before {
		t.Fatal("a failed restore changed the store")
	}
}

// withCRC appends the trailer, so that fuzzing reaches the checks behind it.
func withCRC(body []byte) []byte {
	return binary.BigEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli()))
}

// FuzzRestore feeds snapshot bodies with a valid checksum to Restore: it must
// never panic, and whatever it accepts must satisfy the store's invariants
// and snapshot back to the same bytes.
func FuzzRestore(f *testing.F) {
	for i, n := range []int{0, 5, 60} {
		s := New(Config{})
		workload(f, s, uint64(10+i), n)
		var buf bytes.Buffer
		if err := s.Snapshot(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes()[:buf.Len()-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := New(Config{})
		if err := s.Restore(bytes.NewReader(withCRC(body))); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		checkStore(t, s)
		var again bytes.Buffer
		if err := s.Snapshot(&again); err != nil {
			t.Fatal(err)
		}
		if r := New(Config{}); r.Restore(&again) != nil || diffStores(s, r) != "" {
			t.Fatal("an accepted snapshot does not round-trip")
		}
	})
}
