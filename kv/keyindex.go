package kv

import "sort"

// version is one write of one key: a put, or a delete (a "tombstone").
type version struct {
	mod    int64 // the revision of the write
	create int64 // the revision that created this generation of the key (0 for a tombstone)
	ver    int64 // 1 for the put that created the key, +1 for each later put; 0 marks a tombstone
	lease  int64
	value  []byte
	sub    int32 // the write's position among all the changes of its revision
}

func (v *version) tombstone() bool { return v.ver == 0 }

// keyValue returns v as etcd's KeyValue. The key and value are shared with the
// store, which never modifies them.
func (v *version) keyValue(key []byte) KeyValue {
	if v.tombstone() {
		// etcd's delete events carry only the key and the revision.
		return KeyValue{Key: key, ModRevision: v.mod}
	}
	return KeyValue{Key: key, CreateRevision: v.create, ModRevision: v.mod, Version: v.ver, Value: v.value, Lease: v.lease}
}

// keyIndex is the history of one key: every version written since the last
// compaction, oldest first, ordered by (mod, sub). It plays the part of both
// etcd's keyIndex (key → revisions) and its boltdb bucket (revision → value):
// in memory there is no reason to split them, and keeping a key's versions
// together makes "the key as of revision R" one binary search.
type keyIndex struct {
	key      []byte
	versions []version
	// gen is the store generation that may modify this keyIndex in place. A
	// frozen view of the store (a snapshot being written, a hash being
	// computed) shares keyIndexes with the live store; the live store bumps its
	// generation when it freezes a view, and copies a keyIndex of an older
	// generation before changing it — the same copy-on-write rule the B-tree
	// applies to its nodes.
	gen *generation
}

// generation is a copy-on-write token (compared by address; not zero-size,
// because Go may give all zero-size values one address).
type generation struct{ _ byte }

// copyFor returns a copy of ki that generation gen may modify. Values are not
// copied: versions are immutable once written.
func (ki *keyIndex) copyFor(gen *generation) *keyIndex {
	vs := make([]version, len(ki.versions), len(ki.versions)+1)
	copy(vs, ki.versions)
	return &keyIndex{key: ki.key, versions: vs, gen: gen}
}

// at returns the version visible at rev — the newest one written at or before
// rev — or nil if the key did not exist then (no version yet, or a tombstone).
func (ki *keyIndex) at(rev int64) *version {
	vs := ki.versions
	i := len(vs) - 1
	if i >= 0 && vs[i].mod > rev {
		// Reads of the latest state are the common case; only older reads search.
		i = sort.Search(len(vs), func(j int) bool { return vs[j].mod > rev }) - 1
	}
	if i < 0 || vs[i].tombstone() {
		return nil
	}
	return &vs[i]
}

// latest returns the newest version, or nil if the key is deleted.
func (ki *keyIndex) latest() *version {
	if n := len(ki.versions); n > 0 && !ki.versions[n-1].tombstone() {
		return &ki.versions[n-1]
	}
	return nil
}

// find returns the version written at (rev, sub), or nil if it is not in the
// history any more.
func (ki *keyIndex) find(rev int64, sub int32) *version {
	vs := ki.versions
	i := sort.Search(len(vs), func(j int) bool {
		return vs[j].mod > rev || (vs[j].mod == rev && vs[j].sub >= sub)
	})
	if i < len(vs) && vs[i].mod == rev && vs[i].sub == sub {
		return &vs[i]
	}
	return nil
}

// compact drops the versions that no read at or after revision c can see and
// no watch starting at or after c needs: every version older than c, except
// the one that is the key's state at c when no version was written at c
// itself — and that one only if it is not a tombstone (a deleted key needs no
// history). Versions written at c are all kept, so that a watcher may resume
// from c and still see every event of revision c.
//
// It returns the estimated bytes it freed (versionCost of each dropped one).
func (ki *keyIndex) compact(c int64) (freed int64) {
	vs := ki.versions
	i := sort.Search(len(vs), func(j int) bool { return vs[j].mod >= c })
	if (i == len(vs) || vs[i].mod != c) && i > 0 && !vs[i-1].tombstone() {
		i--
	}
	if i == 0 {
		return 0
	}
	for j := range i {
		freed += versionCost(&vs[j])
	}
	kept := len(vs) - i
	if cap(vs) > 8 && kept*4 < cap(vs) {
		// A hot key can have had thousands of versions; give the memory back.
		ki.versions = append(make([]version, 0, kept+1), vs[i:]...)
		return freed
	}
	copy(vs, vs[i:])
	clear(vs[kept:]) // let the dropped values be collected
	ki.versions = vs[:kept]
	return freed
}
