package kv

import (
	"errors"
	"hash/crc32"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// TestHashKVMatchesEtcd replays the writes of the etcdctl transcript in
// /work/shared/reference/etcdctl.md (up to `etcdctl endpoint hashkv`) and
// expects the hash etcd 3.7.3 printed there: raftkv hashes the very bytes
// etcd does.
func TestHashKVMatchesEtcd(t *testing.T) {
	s := New(Config{})
	put(t, s, "/testdir/testkey", "Hello world")    // 2
	put(t, s, "/testdir/testkey2", "Hello again")   // 3
	put(t, s, "/testdir/sub/key3", "nested")        // 4
	put(t, s, "/testdir/testkey", "Hello world v2") // 5
	// `del /test --prefix`: three deletes at revision 6, in key order.
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("/test"), RangeEnd: b("/tesu")}})
	put(t, s, "k1", "v1")                                                   // 7
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("k1")}})   // 8
	put(t, s, "key1", "value1")                                             // 9 (watch)
	put(t, s, "key1", "value2")                                             // 10
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("key1")}}) // 11
	put(t, s, "/testw/a", "1")                                              // 12 (watch --prev-kv)
	put(t, s, "/testw/a", "2")                                              // 13

	h, cur, err := s.HashKV(0)
	if err != nil {
		t.Fatal(err)
	}
	// etcd reports compact_revision -1 for a store never compacted.
	want(t, "HashKV(0)", h, KeyValueHash{Hash: 3967981376, CompactRevision: -1, Revision: 13})
	if cur != 13 {
		t.Fatalf("current revision %d, want 13", cur)
	}
	if again, _, _ := s.HashKV(13); again != h {
		t.Fatalf("HashKV(13) = %+v, HashKV(0) = %+v", again, h)
	}
}

// The hash at an old revision is the hash of the store as it was then, not
// of the store now; and compaction changes what an old revision hashes to
// only through CompactRevision, which a caller compares first.
func TestHashKV_AsOfARevision(t *testing.T) {
	s, then := New(Config{}), New(Config{})
	for _, st := range []*Store{s, then} {
		put(t, st, "a", "1")
		put(t, st, "b", "1")
	}
	want3, _, _ := then.HashKV(0)
	put(t, s, "a", "2")
	apply(t, s, &Request{DeleteRange: &DeleteRangeRequest{Key: b("b")}})
	got3, cur, err := s.HashKV(3)
	if err != nil || cur != 5 {
		t.Fatalf("HashKV(3): revision %d, %v", cur, err)
	}
	want(t, "HashKV(3) after more writes", got3, want3)
	if now, _, _ := s.HashKV(0); now.Hash == got3.Hash || now.Revision != 5 {
		t.Fatalf("HashKV(0) = %+v: the newer writes must change the hash", now)
	}
}

func TestHashKV_Revisions(t *testing.T) {
	s := New(Config{})
	for range 5 {
		put(t, s, "k", "v") // revisions 2..6
	}
	apply(t, s, &Request{Compaction: &CompactionRequest{Revision: 4}})
	empty := crc32.Checksum([]byte("key"), castagnoli())
	for _, tc := range []struct {
		rev     int64
		err     error
		hashRev int64
	}{
		{rev: 3, err: ErrCompacted},
		{rev: 1, err: ErrCompacted},
		{rev: 7, err: ErrFutureRev},
		{rev: 4, hashRev: 4}, // the compaction revision itself is still readable
		{rev: 6, hashRev: 6},
		{rev: 0, hashRev: 6},
		{rev: -1, hashRev: -1}, // etcd's answer: nothing is at or before -1
	} {
		h, cur, err := s.HashKV(tc.rev)
		if !errors.Is(err, tc.err) || cur != 6 {
			t.Errorf("HashKV(%d): error %v, current revision %d; want %v, 6", tc.rev, err, cur, tc.err)
			continue
		}
		if err == nil && (h.Revision != tc.hashRev || h.CompactRevision != 4) {
			t.Errorf("HashKV(%d) = %+v, want revision %d, compact revision 4", tc.rev, h, tc.hashRev)
		}
		if tc.rev < 0 && h.Hash != empty {
			t.Errorf("HashKV(%d) = %d, want the hash of nothing (%d)", tc.rev, h.Hash, empty)
		}
	}
	if _, _, err := s.HashKV(3); err.Error() != "mvcc: required revision has been compacted" {
		t.Errorf("compacted: %q", err)
	}
}

// TestHashKV_FollowsEtcd checks HashKV on random histories (puts,
// deletes, transactions, leases, compactions) against three things:
//
//   - etcd's own algorithm (etcdHashKV, below), run over the model's
//     history: what etcd's bolt bucket would hold after the same
//     compaction, filtered as etcd's hasher filters it;
//   - a second store that applied only the requests up to revision r, then
//     compacted straight to the same revision: HashKV(r) now is the hash of
//     the store as it was at r, and does not depend on how compaction got
//     where it is;
//   - the same store after a snapshot and restore.
func TestHashKV_FollowsEtcd(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, m := New(Config{}), newModel()
		var reqs []*Request
		var revAfter []int64 // the store's revision after each request
		for range rapid.IntRange(1, 40).Draw(t, "requests") {
			var req *Request
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0, 1, 2:
				req = &Request{Put: genPut().Draw(t, "put")}
			case 3, 4:
				req = &Request{DeleteRange: genDelete().Draw(t, "delete")}
			case 5:
				req = &Request{Txn: &TxnRequest{
					Compare: rapid.SliceOfN(genCompare(m.rev), 0, 1).Draw(t, "compare"),
					Success: genOps(m.rev).Draw(t, "success"),
					Failure: genOps(m.rev).Draw(t, "failure"),
				}}
			case 6, 7:
				req = &Request{Compaction: &CompactionRequest{Revision: rapid.Int64Range(0, m.rev).Draw(t, "compact")}}
			case 8:
				req = &Request{LeaseGrant: &LeaseGrantRequest{ID: rapid.Int64Range(1, 3).Draw(t, "id"), TTL: 10}}
			default:
				req = &Request{LeaseRevoke: &LeaseRevokeRequest{ID: rapid.Int64Range(1, 3).Draw(t, "id")}}
			}
			_, err := s.Apply(req)
			if _, merr := m.apply(req); err != merr {
				t.Fatalf("Apply(%s): %v, model %v", describe(req), err, merr)
			}
			reqs = append(reqs, req)
			revAfter = append(revAfter, s.Rev())
		}
		restored := snapshotRoundTrip(t, s)
		for r := max(m.compactRev, 1); r <= m.rev; r++ {
			got, cur, err := s.HashKV(r)
			if err != nil || cur != m.rev {
				t.Fatalf("HashKV(%d): %v (current revision %d, model %d)", r, err, cur, m.rev)
			}
			if wantHash := etcdHashKV(m.events, m.compactRev, r); got != (KeyValueHash{Hash: wantHash, CompactRevision: m.compactRev, Revision: r}) {
				t.Fatalf("HashKV(%d) = %+v; etcd's algorithm gives hash %d (compact revision %d)", r, got, wantHash, m.compactRev)
			}
			if h, _, _ := restored.HashKV(r); h != got {
				t.Fatalf("HashKV(%d) after a snapshot and restore = %+v, before %+v", r, h, got)
			}
			then := replayUpTo(t, reqs, revAfter, r)
			if m.compactRev > then.compactRev {
				if _, err := then.Apply(&Request{Compaction: &CompactionRequest{Revision: m.compactRev}}); err != nil {
					t.Fatalf("compacting the replay at %d: %v", m.compactRev, err)
				}
			}
			if h, _, _ := then.HashKV(0); h != got {
				t.Fatalf("HashKV(%d) = %+v, but a store that stopped at %d hashes to %+v", r, got, r, h)
			}
		}
		if m.compactRev > 1 {
			if _, _, err := s.HashKV(m.compactRev - 1); err != ErrCompacted {
				t.Fatalf("HashKV below the compaction: %v", err)
			}
		}
		if _, _, err := s.HashKV(m.rev + 1); err != ErrFutureRev {
			t.Fatalf("HashKV(current+1): %v", err)
		}
	})
}

// replayUpTo applies, to a fresh store, the requests that were applied
// while the revision had not passed r — every outcome the same as the first
// time, since the same requests meet the same state.
func replayUpTo(t fataler, reqs []*Request, revAfter []int64, r int64) *Store {
	t.Helper()
	s := New(Config{})
	for i, req := range reqs {
		if revAfter[i] > r {
			break
		}
		_, _ = s.Apply(req) // errors are part of the history, as the first time
	}
	if s.Rev() != r {
		t.Fatalf("replay reached revision %d, want %d", s.Rev(), r)
	}
	return s
}

// boltEntry is one version as etcd's "key" bucket holds it.
type boltEntry struct {
	main, sub int64
	tombstone bool
	kv        KeyValue
}

// etcdBucket lists what etcd's bucket holds, in revision order, after
// every change in events and a compaction at compactRev (-1: none):
// compaction deletes the versions at or before compactRev except each key's
// newest one — and that one too if it is a delete before compactRev (etcd's
// keyIndex.compact).
func etcdBucket(events []Event, compactRev int64) []boltEntry {
	var all []boltEntry
	newestAtCompaction := map[string]int{} // key -> index in all
	for i, ev := range events {
		sub := int64(0)
		if i > 0 && events[i-1].Kv.ModRevision == ev.Kv.ModRevision {
			sub = all[i-1].sub + 1
		}
		all = append(all, boltEntry{main: ev.Kv.ModRevision, sub: sub, tombstone: ev.Type == EventDelete, kv: ev.Kv})
		if ev.Kv.ModRevision <= compactRev {
			newestAtCompaction[string(ev.Kv.Key)] = i
		}
	}
	var bucket []boltEntry
	for i, e := range all {
		if e.main > compactRev {
			bucket = append(bucket, e)
			continue
		}
		if newestAtCompaction[string(e.kv.Key)] == i && (!e.tombstone || e.main == compactRev) {
			bucket = append(bucket, e)
		}
	}
	return bucket
}

// etcdHashKV is etcd's unsafeHashByRev and kvHasher.WriteKeyValue,
// transcribed over etcdBucket. The byte encoding is hashkv.go's own (its
// exactness is what TestHashKVMatchesEtcd checks); what this checks is the
// choice of versions.
func etcdHashKV(events []Event, compactRev, rev int64) uint32 {
	bucket := etcdBucket(events, compactRev)
	// keep: each key's newest version at or before rev, unless a delete
	// (etcd's treeIndex.Keep).
	newest := map[string]boltEntry{}
	for _, e := range bucket {
		if e.main <= rev {
			newest[string(e.kv.Key)] = e
		}
	}
	keep := map[[2]int64]bool{}
	for _, e := range newest {
		if !e.tombstone {
			keep[[2]int64{e.main, e.sub}] = true
		}
	}
	crc := crc32.New(castagnoli())
	crc.Write([]byte("key"))
	for _, e := range bucket {
		if e.main > rev {
			continue
		}
		if e.main <= compactRev && len(keep) > 0 && !keep[[2]int64{e.main, e.sub}] {
			continue
		}
		if e.main == compactRev && e.tombstone {
			continue
		}
		v := &version{mod: e.main, sub: int32(e.sub), create: e.kv.CreateRevision, ver: e.kv.Version, lease: e.kv.Lease, value: e.kv.Value}
		crc.Write(appendBoltKey(nil, v))
		crc.Write(appendKeyValueProto(nil, e.kv.Key, v))
	}
	return crc.Sum32()
}

// HashKV reads a frozen view: writes may go on while it runs, and the hash
// of a past revision does not move (run with -race).
func TestHashKV_WhileWriting(t *testing.T) {
	s := New(Config{})
	workload(t, s, 7, 500)
	rev := s.Rev()
	before, _, err := s.HashKV(rev)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 500 {
			if _, err := s.Apply(&Request{Put: &PutRequest{Key: b("busy"), Value: []byte{byte('a' + i%26)}}}); err != nil {
				t.Errorf("put: %v", err)
				return
			}
		}
	}()
	for range 20 {
		if h, _, err := s.HashKV(rev); err != nil || h != before {
			t.Fatalf("HashKV(%d) while writing = %+v, %v; before %+v", rev, h, err, before)
		}
	}
	wg.Wait()
}
