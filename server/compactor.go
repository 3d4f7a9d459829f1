package server

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/raftkv/raftkv/kv"
)

// Auto compaction (etcd's --auto-compaction-mode and -retention). Every
// write keeps history (MVCC), and raftkv keeps its store in memory: without
// compaction, memory grows with every write for ever. A compaction is an
// ordinary replicated request, so every member drops the same history at
// the same point of the log; only the leader decides to send one, from
// revisions every member samples locally.
//
//   - periodic: keep the history of the last <retention> (a duration, or a
//     number of hours). Every member notes its revision every tenth of the
//     compaction interval (the retention, at most an hour); the leader, once
//     per interval, compacts to the newest revision noted at least
//     <retention> ago.
//   - revision: keep the last <retention> revisions; every five minutes the
//     leader compacts to the current revision minus <retention>.

const (
	CompactorModePeriodic = "periodic"
	CompactorModeRevision = "revision"
)

// revisionCompactEvery is how often revision mode compacts (etcd's).
const revisionCompactEvery = 5 * time.Minute

// parseCompactionRetention reads --auto-compaction-retention as etcd does:
// an integer is hours (periodic) or revisions (revision); otherwise a Go
// duration such as "30m" (periodic). 0 disables auto compaction.
func parseCompactionRetention(mode, retention string) (time.Duration, int64, error) {
	switch mode {
	case CompactorModePeriodic, CompactorModeRevision:
	default:
		return 0, 0, fmt.Errorf("unknown auto-compaction-mode %q", mode)
	}
	if n, err := strconv.ParseInt(retention, 10, 64); err == nil && n >= 0 {
		if mode == CompactorModeRevision {
			return 0, n, nil
		}
		return time.Duration(n) * time.Hour, 0, nil
	}
	if mode == CompactorModeRevision {
		return 0, 0, fmt.Errorf("invalid auto-compaction-retention %q for revision mode: want a number of revisions", retention)
	}
	d, err := time.ParseDuration(retention)
	if err != nil || d < 0 {
		return 0, 0, fmt.Errorf("error parsing CompactionRetention: invalid auto-compaction-retention %q (a duration such as 30m, or a number of hours)", retention)
	}
	return d, 0, nil
}

type revisionSample struct {
	at  time.Time
	rev int64
}

// compactorState is the auto compactor's memory (members.go holds one).
type compactorState struct {
	period    time.Duration // periodic mode: the retention
	keepRevs  int64         // revision mode: revisions kept
	samples   []revisionSample
	nextCheck time.Time
	// pending is set while a compaction this member proposed is on its way.
	pending bool
}

func (c *compactorState) init(cfg Config) {
	c.period, c.keepRevs, _ = parseCompactionRetention(cfg.AutoCompactionMode, cfg.AutoCompactionRetention) // Validate checked it
}

func (c *compactorState) enabled() bool { return c.period > 0 || c.keepRevs > 0 }

// interval is how often the leader considers compacting.
func (c *compactorState) interval() time.Duration {
	if c.keepRevs > 0 {
		return revisionCompactEvery
	}
	return min(c.period, time.Hour)
}

// autoCompact runs on every tick: sample, and on the leader, compact when due.
func (m *Member) autoCompact(now time.Time) {
	c := &m.compactor
	if !c.enabled() {
		return
	}
	rev := m.store.Rev()
	if c.period > 0 {
		sampleEvery := c.interval() / 10
		if n := len(c.samples); n == 0 || now.Sub(c.samples[n-1].at) >= sampleEvery {
			c.samples = append(c.samples, revisionSample{at: now, rev: rev})
			c.samples = c.samples[c.newestOldEnough(now):] // followers sample too: keep it bounded
		}
	}
	if c.nextCheck.IsZero() {
		c.nextCheck = now.Add(c.interval())
	}
	if now.Before(c.nextCheck) || !m.IsLeader() || c.pending {
		return
	}
	c.nextCheck = now.Add(c.interval())
	target := c.target(now, rev)
	if target <= max(m.store.CompactRevision(), 1) { // revision 1 is the empty store: nothing before it
		return
	}
	c.pending = true
	m.logf("starting auto compaction at revision %d (%s)", target, c.describe())
	req := &kv.Request{Compaction: &kv.CompactionRequest{Revision: target}}
	m.writeSystem(req, now.Add(5*time.Second), func(r Result) {
		c.pending = false
		switch {
		case r.Err == nil:
			m.logf("finished auto compaction at revision %d", target)
		case errors.Is(r.Err, kv.ErrCompacted):
			// Someone compacted further meanwhile: nothing to do.
		default:
			m.logf("auto compaction at revision %d failed: %v (tried again in %v)", target, r.Err, c.interval())
		}
	})
}

// target is the revision to compact to now (0: none yet).
func (c *compactorState) target(now time.Time, rev int64) int64 {
	if c.keepRevs > 0 {
		return rev - c.keepRevs
	}
	c.samples = c.samples[c.newestOldEnough(now):]
	if len(c.samples) == 0 || c.samples[0].at.After(now.Add(-c.period)) {
		return 0 // no sample is a retention old yet
	}
	return c.samples[0].rev
}

// newestOldEnough is the index of the newest sample taken at least one
// retention before now (0 if none is): the samples before it can never be
// a target again.
func (c *compactorState) newestOldEnough(now time.Time) int {
	cut := now.Add(-c.period)
	best := 0
	for i, s := range c.samples {
		if !s.at.After(cut) {
			best = i
		}
	}
	return best
}

func (c *compactorState) describe() string {
	if c.keepRevs > 0 {
		return fmt.Sprintf("keeping the last %d revisions", c.keepRevs)
	}
	return fmt.Sprintf("keeping %v of history", c.period)
}
