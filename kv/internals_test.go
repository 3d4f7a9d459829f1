package kv

import (
	"fmt"
	"maps"
	"slices"

	"github.com/google/go-cmp/cmp"
)

// fataler is what testing.T and rapid.T have in common.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// describe prints the operation a request holds, for failure messages.
func describe(req *Request) string {
	switch {
	case req.Put != nil:
		return fmt.Sprintf("put %+v", *req.Put)
	case req.DeleteRange != nil:
		return fmt.Sprintf("delete %+v", *req.DeleteRange)
	case req.Txn != nil:
		return fmt.Sprintf("txn %+v", *req.Txn)
	case req.Compaction != nil:
		return fmt.Sprintf("compaction %+v", *req.Compaction)
	case req.LeaseGrant != nil:
		return fmt.Sprintf("lease grant %+v", *req.LeaseGrant)
	case req.LeaseRevoke != nil:
		return fmt.Sprintf("lease revoke %+v", *req.LeaseRevoke)
	}
	return "empty request"
}

// dump is the whole replicated state of a store in a form go-cmp can compare,
// independent of the shape of the B-tree that holds it.
type dump struct {
	Rev, CompactRev int64
	Keys            []dumpKey
	Leases          []dumpLease
	LogFirst        int64
	Log             [][]string
}

type dumpKey struct {
	Key      string
	Versions []dumpVersion
}

type dumpVersion struct {
	Mod                int64
	Sub                int32
	Create, Ver, Lease int64
	Value              string
}

type dumpLease struct {
	ID, TTL int64
	Keys    []string
}

func dumpStore(s *Store) dump {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := dump{Rev: s.rev, CompactRev: s.compactRev, LogFirst: s.log.first}
	for k, ki := range s.index.All() {
		dk := dumpKey{Key: string(k)}
		for _, v := range ki.versions {
			dk.Versions = append(dk.Versions, dumpVersion{v.mod, v.sub, v.create, v.ver, v.lease, string(v.value)})
		}
		d.Keys = append(d.Keys, dk)
	}
	for _, id := range slices.Sorted(maps.Keys(s.leases)) {
		l := s.leases[id]
		d.Leases = append(d.Leases, dumpLease{ID: l.id, TTL: l.ttl, Keys: l.sortedKeys()})
	}
	for r := s.log.first; r <= s.log.last(); r++ {
		var keys []string
		for _, k := range s.log.changes(r) {
			keys = append(keys, string(k))
		}
		d.Log = append(d.Log, keys)
	}
	return d
}

func diffStores(a, b *Store) string { return cmp.Diff(dumpStore(a), dumpStore(b)) }

// checkStore verifies the store's internal invariants.
func checkStore(t fataler, s *Store) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if want := max(s.compactRev, firstWriteRev); s.log.first != want {
		t.Fatalf("log starts at %d, want %d", s.log.first, want)
	}
	if s.log.last() != max(s.rev, s.log.first-1) {
		t.Fatalf("log ends at %d, revision is %d", s.log.last(), s.rev)
	}
	attached := map[int64][]string{}
	inLog := 0
	for k, ki := range s.index.All() {
		if len(ki.versions) == 0 {
			t.Fatalf("key %q has no versions", k)
		}
		for i, v := range ki.versions {
			if v.mod > s.rev || (i > 0 && (v.mod < ki.versions[i-1].mod || (v.mod == ki.versions[i-1].mod && v.sub <= ki.versions[i-1].sub))) {
				t.Fatalf("key %q: versions out of order: %+v", k, ki.versions)
			}
			if v.mod >= s.log.first {
				inLog++
				if got := s.log.changes(v.mod); int(v.sub) >= len(got) || string(got[v.sub]) != string(k) {
					t.Fatalf("key %q version at %d.%d is not in the log (%q)", k, v.mod, v.sub, got)
				}
			}
			// Compaction leaves at most one version older than compactRev: the
			// key's state at compactRev, never a tombstone.
			if v.mod < s.compactRev && (i > 0 || v.tombstone() || (len(ki.versions) > 1 && ki.versions[1].mod == s.compactRev)) {
				t.Fatalf("key %q keeps compacted history: %+v (compacted at %d)", k, ki.versions, s.compactRev)
			}
		}
		if v := ki.latest(); v != nil && v.lease != 0 {
			attached[v.lease] = append(attached[v.lease], string(k))
		}
	}
	if inLog != len(s.log.keys) {
		t.Fatalf("log holds %d changes, the index %d", len(s.log.keys), inLog)
	}
	for id, l := range s.leases {
		if d := cmp.Diff(attached[id], l.sortedKeys()); d != "" && len(attached[id])+len(l.keys) > 0 {
			t.Fatalf("lease %d keys differ (-from versions +attached):\n%s", id, d)
		}
		delete(attached, id)
	}
	if len(attached) != 0 {
		t.Fatalf("keys attached to missing leases: %v", attached)
	}
}
