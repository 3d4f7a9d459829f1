package kv

// revLog lists, for every revision still in the history, the keys it changed,
// in the order it changed them. A key's own history answers "what was this key
// at revision R"; the log answers "what changed at revision R", which is what
// a watcher catching up and compaction need. Every revision after the first
// (the empty store) changed at least one key, so the log is dense: revision r
// is entry r-first.
type revLog struct {
	first  int64    // the revision of starts[0]
	starts []int    // starts[i]: index in keys of the first change of revision first+i
	keys   [][]byte // the keys (shared with the index) of every change, revision after revision
}

// firstWriteRev is the revision of the first write: a fresh store is at 1.
const firstWriteRev = 2

func newRevLog(first int64) revLog { return revLog{first: max(first, firstWriteRev)} }

// last returns the newest revision in the log (first-1 when it is empty).
func (l *revLog) last() int64 { return l.first + int64(len(l.starts)) - 1 }

// startRevision opens the next revision; addKey then appends its changes in order.
func (l *revLog) startRevision() { l.starts = append(l.starts, len(l.keys)) }

func (l *revLog) addKey(k []byte) { l.keys = append(l.keys, k) }

// changes returns the keys changed at rev, in change order, or nil if rev is
// not in the log.
func (l *revLog) changes(rev int64) [][]byte {
	if rev < l.first || rev > l.last() {
		return nil
	}
	i := int(rev - l.first)
	end := len(l.keys)
	if i+1 < len(l.starts) {
		end = l.starts[i+1]
	}
	return l.keys[l.starts[i]:end]
}

// trim drops the revisions before first.
func (l *revLog) trim(first int64) {
	if first <= l.first {
		return
	}
	n := min(int(first-l.first), len(l.starts))
	off := len(l.keys)
	if n < len(l.starts) {
		off = l.starts[n]
	}
	starts, keys := l.starts[n:], l.keys[off:]
	for i := range starts {
		starts[i] -= off
	}
	if cap(l.keys) > 2*len(keys)+64 {
		// Copy into fresh arrays so the dropped prefix can be collected;
		// doing it only when most of the array is dead keeps trimming cheap.
		keys = append([][]byte(nil), keys...)
		starts = append([]int(nil), starts...)
	}
	l.first, l.starts, l.keys = first, starts, keys
}
