package snapshot

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A snapshot file is named "%016x-%016x.snap" after the term and index of
// the last entry it covers, as etcd names them.
const snapExt = ".snap"

func fileName(term, index uint64) string { return fmt.Sprintf("%016x-%016x%s", term, index, snapExt) }

type snapName struct {
	name        string
	term, index uint64
}

func parseName(name string) (snapName, bool) {
	base, ok := strings.CutSuffix(name, snapExt)
	if !ok || len(base) != 33 || base[16] != '-' {
		return snapName{}, false
	}
	term, err1 := strconv.ParseUint(base[:16], 16, 64)
	index, err2 := strconv.ParseUint(base[17:], 16, 64)
	if err1 != nil || err2 != nil || fileName(term, index) != name {
		return snapName{}, false
	}
	return snapName{name: name, term: term, index: index}, true
}

// newestFirst keeps the snapshot files among names, newest (highest index,
// then term) first.
func newestFirst(names []string) []snapName {
	var out []snapName
	for _, n := range names {
		if s, ok := parseName(n); ok {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b snapName) int {
		return cmp.Or(cmp.Compare(b.index, a.index), cmp.Compare(b.term, a.term))
	})
	return out
}
