package sim

import (
	"container/heap"
	"fmt"
)

// Time is virtual time since the start of a run. Nothing in a simulation
// reads the wall clock: time moves only when the next event is taken from
// the queue, which is what makes a run repeatable from its seed.
type Time int64

// Durations in virtual time.
const (
	Microsecond Time = 1
	Millisecond      = 1000 * Microsecond
	Second           = 1000 * Millisecond
)

// String prints seconds to the millisecond, rounded as Millis rounds, so
// that a trace line and the timeline page show the same instant.
func (t Time) String() string {
	ms := t.Millis()
	return fmt.Sprintf("%4d.%03ds", ms/1000, ms%1000)
}

// Millis is t in whole milliseconds, rounded half up.
func (t Time) Millis() int64 { return int64((t + Millisecond/2) / Millisecond) }

// event is something scheduled to happen at a virtual time. seq breaks ties
// in scheduling order, so two events at the same instant always run in the
// same order.
type event struct {
	at   Time
	seq  uint64
	kind eventKind
	// node is the node an event concerns; incarnation lets a crashed and
	// restarted node ignore events scheduled for its previous life.
	node        int
	incarnation int
	msgIndex    int // index into the message arena, for deliveries
	fault       int // index into the fault schedule
	// call is what a member-level event does (member_*.go); the
	// raft-level simulation dispatches on kind and leaves it nil.
	call func()
}

type eventKind uint8

const (
	evTick eventKind = iota
	evDeliver
	evPersistDone
	evPropose
	evRead
	evFault
	evReport     // tell a sender whether its snapshot arrived
	evSample     // periodic trace line
	evMembership // the membership driver's next step
	evScript     // the script's next look at the run
)

type eventQueue struct {
	items []event
	seq   uint64
}

func (q *eventQueue) Len() int { return len(q.items) }
func (q *eventQueue) Less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}
func (q *eventQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *eventQueue) Push(x any)    { q.items = append(q.items, x.(event)) }
func (q *eventQueue) Pop() any {
	n := len(q.items)
	e := q.items[n-1]
	q.items = q.items[:n-1]
	return e
}

func (q *eventQueue) schedule(e event) {
	q.seq++
	e.seq = q.seq
	heap.Push(q, e)
}

func (q *eventQueue) next() event { return heap.Pop(q).(event) }

// tickInterval is how often a node's (a member's) raft ticks in both
// simulations: --heartbeat-interval's default.
const tickInterval = 100 * Millisecond
