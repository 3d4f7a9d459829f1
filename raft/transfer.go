package raft

// Leadership transfer (thesis §3.10): the leader stops accepting new
// proposals, brings the target's log up to date, and sends it TimeoutNow;
// the target starts an election at once (skipping PreVote) and, having the
// most up-to-date log, wins it. If the target does not take over within an
// election timeout, the leader gives up and resumes normal operation.

func (r *raft) handleTransferLeader(m Message) {
	target := m.From
	pr := r.progress[target]
	if pr == nil || pr.IsLearner {
		r.logf("%x ignored leadership transfer to %x: not a voter", r.id, target)
		return
	}
	if r.leadTransferee != None {
		if r.leadTransferee == target {
			return // already under way
		}
		r.abortLeaderTransfer()
	}
	if target == r.id {
		return
	}
	r.logf("%x starts leadership transfer to %x at term %d", r.id, target, r.Term)
	// The transfer must finish within one election timeout.
	r.electionElapsed = 0
	r.leadTransferee = target
	if pr.Match == r.log.lastIndex() {
		r.sendTimeoutNow(target)
		return
	}
	r.maybeSendAppend(target, pr, true)
}

func (r *raft) sendTimeoutNow(to uint64) {
	r.send(Message{To: to, Type: MsgTimeoutNow})
}

func (r *raft) abortLeaderTransfer() {
	r.leadTransferee = None
}
