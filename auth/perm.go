package auth

import (
	"bytes"
	"slices"
)

// PermType is what a permission allows, with etcd's numbers.
type PermType int32

// The permission types.
const (
	Read      PermType = 0
	Write     PermType = 1
	ReadWrite PermType = 2
)

func (t PermType) String() string {
	switch t {
	case Read:
		return "READ"
	case Write:
		return "WRITE"
	case ReadWrite:
		return "READWRITE"
	}
	return "UNKNOWN"
}

// allows reports whether t grants need (Read or Write).
func (t PermType) allows(need PermType) bool { return t == ReadWrite || t == need }

// Permission is one interval of keys a role may read, write, or both.
type Permission struct {
	Type     PermType `json:"type"`
	Key      []byte   `json:"key"`
	RangeEnd []byte   `json:"range_end,omitempty"`
}

// interval is a half-open interval of keys [begin, end); a nil end is
// the end of the key space.
type interval struct {
	begin, end []byte
}

// isOpenEnded reports whether a range end means "every key from the
// start on": etcd's "\x00".
func isOpenEnded(end []byte) bool { return len(end) == 1 && end[0] == 0 }

// keyInterval is the interval a permission or a request names: one key
// (an empty end) is [key, key+"\x00"), the smallest interval holding key
// and nothing else; "\x00" is open-ended.
func keyInterval(key, end []byte) interval {
	switch {
	case len(end) == 0:
		return interval{begin: key, end: append(slices.Clip(key), 0)}
	case isOpenEnded(end):
		return interval{begin: key}
	}
	return interval{begin: key, end: end}
}

// before reports whether key a sorts before end b (nil: the end of the
// key space, after everything).
func before(a, b []byte) bool { return b == nil || (a != nil && bytes.Compare(a, b) < 0) }

// validPermission reports whether a permission names a non-empty interval
// (etcd refuses the others as invalid auth management).
func validPermission(key, end []byte) bool {
	if len(key) == 0 {
		return false
	}
	if len(end) == 0 || isOpenEnded(end) {
		return true
	}
	return bytes.Compare(key, end) < 0
}

// unionOf is a user's intervals of one kind, merged: sorted by begin,
// disjoint and not touching, so that a key or a range is checked against
// them in one pass.
type unionOf []interval

func merge(ivs []interval) unionOf {
	slices.SortFunc(ivs, func(a, b interval) int { return bytes.Compare(a.begin, b.begin) })
	var out unionOf
	for _, iv := range ivs {
		if n := len(out); n > 0 && !before(out[n-1].end, iv.begin) {
			// Overlapping or touching the previous one: extend it.
			if before(out[n-1].end, iv.end) {
				out[n-1].end = iv.end
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// holds reports whether key lies in one of the intervals.
func (u unionOf) holds(key []byte) bool {
	// The last interval beginning at or before key is the only candidate.
	i, found := slices.BinarySearchFunc(u, key, func(iv interval, k []byte) int { return bytes.Compare(iv.begin, k) })
	if !found {
		i--
	}
	return i >= 0 && before(key, u[i].end)
}

// covers reports whether the intervals cover want entirely. The merged
// intervals do not touch, so want is covered only if one of them holds it
// whole.
func (u unionOf) covers(want interval) bool {
	if want.end != nil && bytes.Compare(want.begin, want.end) >= 0 {
		// An empty range (end at or before its start) asks for no key;
		// etcd's checker treats it as the point at its start.
		return u.holds(want.begin)
	}
	i, found := slices.BinarySearchFunc(u, want.begin, func(iv interval, k []byte) int { return bytes.Compare(iv.begin, k) })
	if !found {
		i--
	}
	if i < 0 {
		return false
	}
	iv := u[i]
	if !before(want.begin, iv.end) {
		return false
	}
	// want ends no later than iv does.
	return iv.end == nil || (want.end != nil && bytes.Compare(want.end, iv.end) <= 0)
}
