package raft

import "errors"

// Linearizable reads without writing to the log: ReadIndex (thesis §6.4).
//
//  1. The leader must have committed an entry of its current term, so that
//     its commit index is at least every index committed by any earlier
//     leader. (A new leader's commit index can lag; answering before this
//     returns stale data — etcd #7331.)
//  2. It records its commit index as the read index.
//  3. It confirms it is still the leader by a heartbeat round acknowledged
//     by a majority: no newer leader could have committed anything without
//     one of those voters noticing a newer term.
//  4. Once the state machine has applied up to the read index, the read
//     may be answered from local state. (That last step is the caller's:
//     raft hands out ReadIndexResult{Index, RequestCtx}.)
//
// Rounds. Every confirmation round gets its own number, carried in the
// heartbeats and echoed in the answers. A follower's answer for round n
// proves leadership at a moment after every round <= n began, so the newest
// round a majority has acknowledged releases every pending read up to it.
// Matching answers by the caller's request context instead is a real bug:
// a retried request reuses its context, and a late answer from an earlier
// round then releases the retry without a fresh confirmation (etcd #20418).
//
// Followers forward ReadIndex requests to the leader (thesis §6.4: "followers
// could also help"), then wait for their own state machine to catch up.

// ErrReadIndexNotReady is returned when a read cannot be started now
// because no leader is known.
var ErrReadIndexNotReady = errors.New("raft: read index: no leader")

// ReadIndexResult is the answer to a ReadIndex request: once the local state
// machine has applied Index, a read issued when RequestCtx was submitted
// may be served linearizably. Dropped means the request was lost (leadership
// changed before it was confirmed); the caller should retry or fail it.
type ReadIndexResult struct {
	Index      uint64
	RequestCtx []byte
	Dropped    bool
}

type readRequest struct {
	ctx   []byte
	from  uint64 // the follower that forwarded it, or our own id
	index uint64
	round uint64
}

// pendingReads are the ReadIndex requests this node is still tracking, so
// that each one resolves exactly once: on a leader, those waiting for its
// term's first commit or for a majority to confirm their round; on a
// follower, those it forwarded and the leader has not answered yet. A change
// of role or term resolves all of them as dropped (dropPendingReads).
type pendingReads struct {
	// round is the newest confirmation round started in this term.
	round uint64
	// awaitingConfirmation holds reads recorded at a read index, waiting
	// for a majority to acknowledge their round (step 3 above), in round
	// order.
	awaitingConfirmation []readRequest
	// awaitingTermCommit holds reads that arrived before this leader
	// committed an entry of its term (step 1 above).
	awaitingTermCommit []readRequest
	// forwarded are request contexts a follower sent to the leader and has
	// not had answered yet.
	forwarded [][]byte
}

// handleReadIndexRequest runs on the leader, for its own caller's requests
// (From == our id) and for those followers forward.
func (r *raft) handleReadIndexRequest(m Message) {
	req := readRequest{ctx: m.Context, from: m.From}
	if req.from == None {
		req.from = r.id
	}
	if !r.committedEntryInCurrentTerm() && !r.unsafe.ReadIndexBeforeTermCommit {
		r.reads.awaitingTermCommit = append(r.reads.awaitingTermCommit, req)
		return
	}
	r.startReadRound([]readRequest{req})
}

// startReadRound records reqs at the current commit index under a new
// round and asks for confirmation.
func (r *raft) startReadRound(reqs []readRequest) {
	r.reads.round++
	for _, req := range reqs {
		req.index = r.log.committed
		req.round = r.reads.round
		r.reads.awaitingConfirmation = append(r.reads.awaitingConfirmation, req)
	}
	if len(r.voters) == 1 {
		// We are the only voter: nobody else can be leader.
		r.releaseConfirmedReads()
		return
	}
	r.bcastHeartbeat()
}

func (r *raft) releaseReadsWaitingForTermCommit() {
	if len(r.reads.awaitingTermCommit) == 0 {
		return
	}
	reqs := r.reads.awaitingTermCommit
	r.reads.awaitingTermCommit = nil
	r.startReadRound(reqs)
}

// handleReadRoundAck records a follower's acknowledgement of a round.
func (r *raft) handleReadRoundAck(from uint64, pr *Progress, round uint64) {
	if round <= pr.AckedReadRound {
		return
	}
	pr.AckedReadRound = round
	if !pr.IsLearner {
		r.releaseConfirmedReads()
	}
}

// releaseConfirmedReads answers every pending read whose round a majority
// of voters has acknowledged (we acknowledge every round we start).
func (r *raft) releaseConfirmedReads() {
	if len(r.reads.awaitingConfirmation) == 0 {
		return
	}
	confirmed := quorumIndex(r.voters, func(id uint64) uint64 {
		if id == r.id {
			return r.reads.round
		}
		if pr := r.progress[id]; pr != nil {
			return pr.AckedReadRound
		}
		return 0
	})
	n := 0
	for _, req := range r.reads.awaitingConfirmation {
		if req.round > confirmed {
			break
		}
		r.answerRead(req)
		n++
	}
	r.reads.awaitingConfirmation = r.reads.awaitingConfirmation[n:]
}

func (r *raft) answerRead(req readRequest) {
	if req.from == r.id {
		r.readResults = append(r.readResults, ReadIndexResult{Index: req.index, RequestCtx: req.ctx})
		return
	}
	r.send(Message{To: req.from, Type: MsgReadIndexResp, Index: req.index, Context: req.ctx})
}

// dropPendingReads fails every read this node was tracking, because its role
// or term changed: a leader can no longer confirm them, and a follower's
// forwarded requests went to a leader that is no longer the one it follows.
// Every read resolves — with an index, or as dropped — never hangs in raft.
func (r *raft) dropPendingReads() {
	for _, req := range append(r.reads.awaitingConfirmation, r.reads.awaitingTermCommit...) {
		r.rejectRead(req.from, req.ctx)
	}
	for _, ctx := range r.reads.forwarded {
		r.readResults = append(r.readResults, ReadIndexResult{RequestCtx: ctx, Dropped: true})
	}
	r.reads = pendingReads{}
}

func (r *raft) rejectRead(from uint64, ctx []byte) {
	if from == r.id || from == None {
		r.readResults = append(r.readResults, ReadIndexResult{RequestCtx: ctx, Dropped: true})
		return
	}
	r.send(Message{To: from, Type: MsgReadIndexResp, Context: ctx, Reject: true})
}

// dropRead refuses a read that arrives while no leader is known.
func (r *raft) dropRead(m Message) error {
	if m.From == None || m.From == r.id {
		return ErrReadIndexNotReady
	}
	r.rejectRead(m.From, m.Context)
	return nil
}

// forwardRead sends a follower's read request to the leader.
func (r *raft) forwardRead(m Message) error {
	if m.From != None && m.From != r.id {
		// A request forwarded to us by another follower that thinks we lead.
		r.rejectRead(m.From, m.Context)
		return nil
	}
	if r.lead == None {
		return ErrReadIndexNotReady
	}
	r.reads.forwarded = append(r.reads.forwarded, m.Context)
	r.send(Message{To: r.lead, Type: MsgReadIndex, Context: m.Context})
	return nil
}

// handleReadIndexResponse delivers the leader's answer to a forwarded read.
func (r *raft) handleReadIndexResponse(m Message) {
	for i, ctx := range r.reads.forwarded {
		if string(ctx) == string(m.Context) {
			r.reads.forwarded = append(r.reads.forwarded[:i], r.reads.forwarded[i+1:]...)
			r.readResults = append(r.readResults, ReadIndexResult{Index: m.Index, RequestCtx: m.Context, Dropped: m.Reject})
			return
		}
	}
	// Not one of ours (a duplicate, or from before a reset): ignore it.
}
