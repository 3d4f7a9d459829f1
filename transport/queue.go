package transport

import (
	"sync"

	"github.com/raftkv/raftkv/raft"
)

// queue is the bounded mailbox between Send (called by the member loop) and
// one peer's writer goroutine.
//
// It is bounded because the member loop must never wait for the network:
// when a peer is slow or gone, its queue fills and further messages are
// dropped on the spot. Raft does not mind (the leader resends whatever a
// follower did not acknowledge), whereas an unbounded queue would grow
// without limit behind a dead peer and then deliver a pile of stale
// messages when it came back.
//
// It is a mutex-guarded slice rather than a channel so that the writer can
// take everything queued in one step (swap) and encode it as one batch,
// with one lock round-trip for the whole batch instead of one per message.
type queue struct {
	mu    sync.Mutex
	msgs  []raft.Message
	limit int
	// ready holds a token while msgs is non-empty and the writer has not
	// been told yet; its capacity of one makes repeated wake-ups free.
	ready chan struct{}
}

func newQueue(limit int) *queue {
	return &queue{limit: limit, ready: make(chan struct{}, 1)}
}

// push queues m and reports whether there was room. It never blocks.
func (q *queue) push(m raft.Message) bool {
	q.mu.Lock()
	if len(q.msgs) >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.msgs = append(q.msgs, m)
	first := len(q.msgs) == 1
	q.mu.Unlock()
	if first {
		// Only the push that makes the queue non-empty needs to wake the
		// writer: it drains everything once awake.
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return true
}

// swap returns everything queued and installs empty (a slice the writer has
// finished with) as the new queue, so the same two backing arrays alternate
// between the member and the writer and neither is ever reallocated.
func (q *queue) swap(empty []raft.Message) []raft.Message {
	q.mu.Lock()
	out := q.msgs
	q.msgs = empty[:0]
	q.mu.Unlock()
	return out
}

// recycle clears msgs so that the entries they point to can be collected,
// and returns the slice ready to be handed back to swap.
func recycle(msgs []raft.Message) []raft.Message {
	clear(msgs)
	return msgs[:0]
}
