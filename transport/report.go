package transport

import (
	"context"
	"slices"
	"sync"
)

// reporter calls the Handler's report methods from one goroutine of its own.
//
// Reports arise inside Send (a full queue) and on the transport's
// goroutines. Calling the member back from inside Send could deadlock or
// re-enter it in the middle of handling a Ready; calling it from many
// goroutines would make it serialise them. So reports are noted here and
// delivered by this goroutine, and repeated "unreachable" reports for the
// same peer collapse into one while they wait: a full queue drops messages
// by the thousand, but raft needs to hear it only once per round.
type reporter struct {
	h    Handler
	wake chan struct{} // capacity 1: a token means "there is something to deliver"

	mu        sync.Mutex
	lost      []uint64 // peers to report unreachable, without duplicates
	snapshots []snapshotStatus
}

type snapshotStatus struct {
	id        uint64
	delivered bool
}

func newReporter(h Handler) *reporter {
	return &reporter{h: h, wake: make(chan struct{}, 1)}
}

// unreachable notes that messages to id were lost.
func (r *reporter) unreachable(id uint64) {
	r.mu.Lock()
	if slices.Contains(r.lost, id) {
		r.mu.Unlock()
		return
	}
	r.lost = append(r.lost, id)
	r.mu.Unlock()
	r.signal()
}

// snapshot notes the outcome of a snapshot sent to id.
func (r *reporter) snapshot(id uint64, delivered bool) {
	r.mu.Lock()
	r.snapshots = append(r.snapshots, snapshotStatus{id, delivered})
	r.mu.Unlock()
	r.signal()
}

func (r *reporter) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run delivers reports until ctx is cancelled (by Stop: reports still
// pending then are moot).
func (r *reporter) run(ctx context.Context) {
	var ids []uint64
	var snaps []snapshotStatus
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		r.mu.Lock()
		ids, r.lost = r.lost, ids[:0]
		snaps, r.snapshots = r.snapshots, snaps[:0]
		r.mu.Unlock()
		for _, id := range ids {
			r.h.ReportUnreachable(id)
		}
		for _, s := range snaps {
			r.h.ReportSnapshot(s.id, s.delivered)
		}
	}
}
