package kv

// The store's size, as a space quota needs it (etcd's --quota-backend-bytes
// measures its database file; raftkv's state lives in memory, so it
// measures that): every key and every version of it that history keeps,
// with a fixed overhead for the bookkeeping around each. It is kept up to
// date on every write and compaction, so that reading it costs nothing;
// the overheads are estimates of Go's memory use, not exact counts.

const (
	// keyOverhead: the keyIndex, its slot in the B-tree, the slice header.
	keyOverhead = 96
	// versionOverhead: a version struct and its revision-log entry.
	versionOverhead = 80
)

func keyCost(key []byte) int64 { return int64(len(key)) + keyOverhead }

func versionCost(v *version) int64 { return int64(len(v.value)) + versionOverhead }

// measure computes bytes from scratch (after a restore).
func (st *state) measure() int64 {
	var n int64
	for _, ki := range st.index.All() {
		n += keyCost(ki.key)
		for i := range ki.versions {
			n += versionCost(&ki.versions[i])
		}
	}
	return n
}

// Size estimates the memory the keys and their history take, in bytes.
func (s *Store) Size() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bytes
}
