package wal

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/raftkv/raftkv/internal/vfs"
)

// A segment file is named "%016x-%016x.wal" after its sequence number and
// the raft index the log had reached when it was started, plus one: every
// entry still in the log that a segment before it holds has a smaller index.
// (A later overwrite of the log's suffix goes into a later segment, and the
// log only grows back from there.) So to replay from index i it is enough
// to read from the last segment whose name index is <= i, and every segment
// before that one can be deleted once a snapshot covers i.
type segment struct {
	seq   uint64
	index uint64
}

const segmentExt = ".wal"

func (s segment) name() string { return fmt.Sprintf("%016x-%016x%s", s.seq, s.index, segmentExt) }

func parseSegmentName(name string) (segment, bool) {
	base, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(base) != 33 || base[16] != '-' {
		return segment{}, false
	}
	seq, err1 := strconv.ParseUint(base[:16], 16, 64)
	index, err2 := strconv.ParseUint(base[17:], 16, 64)
	if err1 != nil || err2 != nil || base != (segment{seq, index}).name()[:33] {
		return segment{}, false // not in canonical form: someone else's file
	}
	return segment{seq, index}, true
}

// listSegments returns dir's segments in sequence order.
func listSegments(fsys vfs.FS, dir string) ([]segment, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var segs []segment
	for _, n := range names {
		if s, ok := parseSegmentName(n); ok {
			segs = append(segs, s) // names sort by sequence: fixed-width hex
		}
	}
	return segs, nil
}

// searchIndex returns the position of the last segment whose name index is
// <= index: where a replay after index starts. -1 if there is none.
func searchIndex(segs []segment, index uint64) int {
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].index <= index {
			return i
		}
	}
	return -1
}

// checkSequence fails if segs skips a sequence number: a missing file in
// the middle of the log is lost data.
func checkSequence(dir string, segs []segment) error {
	for i := 1; i < len(segs); i++ {
		if segs[i].seq != segs[i-1].seq+1 {
			return corrupt(filepath.Join(dir, segs[i].name()), 0,
				"segment sequence jumps from %d to %d: a segment file is missing", segs[i-1].seq, segs[i].seq)
		}
	}
	return nil
}

// contiguousSuffix drops segments before the last gap in the sequence. A
// gap there can only be the trace of a release that a crash interrupted
// (old segments whose removal was not yet durable), never needed data:
// what is read is always a suffix, and checkSequence guards it.
func contiguousSuffix(segs []segment) []segment {
	for i := len(segs) - 1; i > 0; i-- {
		if segs[i].seq != segs[i-1].seq+1 {
			return segs[i:]
		}
	}
	return segs
}
