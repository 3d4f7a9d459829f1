package main

import (
	"context"
	"fmt"
	"time"
)

// reset brings a cluster back to the same state before every run, as the
// baseline's reset.sh did for etcd: compact all history up to the current
// revision (physically), defragment every member, then let it settle.
//
// Without it every put run leaves 20000 more revisions behind, and the
// baseline saw etcd slow down run after run as its db grew (c1: 1375 →
// 1144 → 1055 ops/s over three runs); a later run would then pay for the
// earlier ones, and the interleaving of systems and rows would not cancel
// that out.
//
// The settle pause lets the members finish what the reset started before
// the clock of the next run starts: a physical compaction waits only for
// the member that took the call, the followers compact on their own time,
// and a defragmentation leaves garbage for the Go collector.
//
// It returns the leader's status after the reset, whose revision and db
// size go into the raw data: they show the reset did its work, and that
// the two systems start every run from comparable states.
func reset(ctx context.Context, c *cluster, lead *member, settle time.Duration) (memberStatus, error) {
	st, err := status(ctx, lead)
	if err != nil {
		return st, fmt.Errorf("reset %s: %w", c.sys.name, err)
	}
	// A range run writes nothing, so the revision may still be the one
	// the previous reset compacted to; compact then answers "already
	// compacted", which is success here.
	if err := compact(ctx, lead, st.Header.Revision); err != nil {
		return st, fmt.Errorf("reset %s: compact to %s: %w", c.sys.name, st.Header.Revision, err)
	}
	for _, m := range c.members {
		if err := defragment(ctx, m); err != nil {
			return st, fmt.Errorf("reset %s: defragment %s: %w", c.sys.name, m.name, err)
		}
	}
	select {
	case <-ctx.Done():
		return st, ctx.Err()
	case <-time.After(settle):
	}
	if st, err = status(ctx, lead); err != nil {
		return st, fmt.Errorf("reset %s: %w", c.sys.name, err)
	}
	return st, nil
}
