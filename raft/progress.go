package raft

import "fmt"

// ProgressState is how a leader is currently replicating to one follower.
// This is flow control, which the paper leaves to implementations: §5.3 only
// says the leader "retries AppendEntries indefinitely" and decrements
// nextIndex on rejection.
type ProgressState uint8

const (
	// ProgressProbe: the leader does not know where the follower's log
	// matches. It sends one AppendEntries at a time and waits for the answer
	// (or the next heartbeat) before sending another, so a follower far
	// behind is not flooded with messages that will all be rejected.
	ProgressProbe ProgressState = iota
	// ProgressReplicate: the follower's log is known to match up to Match.
	// The leader streams entries optimistically, advancing Next as soon as it
	// sends, with up to MaxInflightMsgs messages in flight.
	ProgressReplicate
	// ProgressSnapshot: the follower needs entries the leader has compacted
	// away; an InstallSnapshot is in flight and appends are paused until it
	// is acknowledged or reported failed.
	ProgressSnapshot
)

func (s ProgressState) String() string {
	switch s {
	case ProgressProbe:
		return "probe"
	case ProgressReplicate:
		return "replicate"
	case ProgressSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("ProgressState(%d)", uint8(s))
}

// Progress is the leader's view of one peer: Figure 2's nextIndex[] and
// matchIndex[], plus flow-control state.
type Progress struct {
	// Match is the highest index known to be replicated on the peer.
	Match uint64
	// Next is the index of the next entry to send.
	Next uint64
	// State is the flow-control state (see ProgressState).
	State ProgressState
	// PendingSnapshot is the index of the snapshot being sent, in ProgressSnapshot.
	PendingSnapshot uint64
	// RecentActive records whether the peer answered since the last
	// CheckQuorum round (thesis §6.2).
	RecentActive bool
	// ProbeSent pauses a probing leader until the outstanding probe is
	// answered or the next heartbeat round begins.
	ProbeSent bool
	// IsLearner marks a non-voting member.
	IsLearner bool
	// AckedReadRound is the highest read-index round this peer has
	// acknowledged in the current term (see readindex.go).
	AckedReadRound uint64

	inflights *inflights
}

func newProgress(next uint64, maxInflight int, isLearner bool) *Progress {
	return &Progress{Next: next, inflights: newInflights(maxInflight), IsLearner: isLearner}
}

func (pr *Progress) String() string {
	inflight := 0
	if pr.inflights != nil {
		inflight = pr.inflights.count
	}
	return fmt.Sprintf("%s match=%d next=%d inflight=%d", pr.State, pr.Match, pr.Next, inflight)
}

func (pr *Progress) resetState(s ProgressState) {
	pr.ProbeSent = false
	pr.PendingSnapshot = 0
	pr.State = s
	pr.inflights.reset()
}

// becomeProbe drops back to probing, e.g. after a rejection or an unreachable peer.
func (pr *Progress) becomeProbe() {
	if pr.State == ProgressSnapshot {
		// Resume right after the snapshot if it arrived, else from Match.
		pending := pr.PendingSnapshot
		pr.resetState(ProgressProbe)
		pr.Next = max(pr.Match+1, pending+1)
		return
	}
	pr.resetState(ProgressProbe)
	pr.Next = pr.Match + 1
}

func (pr *Progress) becomeReplicate() {
	pr.resetState(ProgressReplicate)
	pr.Next = pr.Match + 1
}

func (pr *Progress) becomeSnapshot(snapIndex uint64) {
	pr.resetState(ProgressSnapshot)
	pr.PendingSnapshot = snapIndex
}

// maybeUpdate records a successful append up to n. It reports whether Match moved.
func (pr *Progress) maybeUpdate(n uint64) bool {
	updated := false
	if pr.Match < n {
		pr.Match = n
		updated = true
		pr.ProbeSent = false
	}
	pr.Next = max(pr.Next, n+1)
	return updated
}

// sentEntries updates Next after sending entries up to last, in the
// optimistic replicate mode.
func (pr *Progress) sentEntries(last uint64) {
	switch pr.State {
	case ProgressReplicate:
		pr.Next = last + 1
		pr.inflights.add(last)
	case ProgressProbe:
		pr.ProbeSent = true
	}
}

// isPaused reports whether the leader must hold back appends to this peer.
func (pr *Progress) isPaused() bool {
	switch pr.State {
	case ProgressProbe:
		return pr.ProbeSent
	case ProgressReplicate:
		return pr.inflights.full()
	case ProgressSnapshot:
		return true
	}
	return false
}

// inflights is a ring buffer of the last index of each append in flight to
// one follower. It bounds how far ahead of a follower's acknowledgements the
// leader may run, which bounds both memory and wasted work when a follower
// is slow or a message is lost.
type inflights struct {
	start  int
	count  int
	buffer []uint64
}

func newInflights(size int) *inflights {
	return &inflights{buffer: make([]uint64, size)}
}

func (in *inflights) full() bool { return in.count == len(in.buffer) }

func (in *inflights) add(last uint64) {
	if in.full() {
		return
	}
	in.buffer[(in.start+in.count)%len(in.buffer)] = last
	in.count++
}

// freeLE frees every in-flight append whose last index is <= to: the follower
// acknowledged up to to, so they have all arrived.
func (in *inflights) freeLE(to uint64) {
	for in.count > 0 && in.buffer[in.start] <= to {
		in.start = (in.start + 1) % len(in.buffer)
		in.count--
	}
	if in.count == 0 {
		in.start = 0
	}
}

// freeFirst frees one slot: used when a heartbeat response shows the
// follower is alive but the window is full, so a lost message cannot stall
// replication forever.
func (in *inflights) freeFirst() {
	if in.count > 0 {
		in.freeLE(in.buffer[in.start])
	}
}

func (in *inflights) reset() {
	in.start, in.count = 0, 0
}
