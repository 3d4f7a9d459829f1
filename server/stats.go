package server

import "time"

// Stats counts what a member has done, for /metrics.
type Stats struct {
	LeaderChanges    int
	Committed        uint64
	Applied          uint64
	ProposalsPending int
	ProposalsFailed  int
	Snapshots        int
	// FsyncBuckets counts WAL fsync durations by upper bound (FsyncBounds).
	FsyncBuckets [len(FsyncBounds) + 1]uint64
	FsyncSum     time.Duration
	FsyncCount   uint64
}

// FsyncBounds are the histogram's bucket upper bounds (etcd's: 1 ms doubling to 8 s).
var FsyncBounds = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond,
	16 * time.Millisecond, 32 * time.Millisecond, 64 * time.Millisecond, 128 * time.Millisecond,
	256 * time.Millisecond, 512 * time.Millisecond, 1024 * time.Millisecond, 2048 * time.Millisecond,
	4096 * time.Millisecond, 8192 * time.Millisecond,
}

func (s *Stats) observeFsync(d time.Duration) {
	i := 0
	for i < len(FsyncBounds) && d > FsyncBounds[i] {
		i++
	}
	s.FsyncBuckets[i]++
	s.FsyncSum += d
	s.FsyncCount++
}

// Stats returns a copy of the member's counters.
func (m *Member) Stats() Stats { return m.stats }
