package raft

// maybeCommit advances the commit index to the highest index stored on a
// majority of voters — but only if that entry is from the leader's current
// term. §5.4.2: "Raft never commits log entries from previous terms by
// counting replicas. Only log entries from the leader's current term are
// committed by counting replicas; once an entry from the current term has
// been committed in this way, then all prior entries are committed
// indirectly." Figure 8 shows the log that would otherwise be lost.
//
// It reports whether the commit index moved.
func (r *raft) maybeCommit() bool {
	mci := quorumIndex(r.voters, func(id uint64) uint64 {
		if pr := r.progress[id]; pr != nil {
			return pr.Match
		}
		return 0
	})
	if mci <= r.log.committed {
		return false
	}
	if t := r.log.zeroTermOnOutOfBounds(r.log.term(mci)); t != r.Term && !r.unsafe.CommitOldTermByCounting {
		return false
	}
	r.log.commitTo(mci)
	r.onCommitAdvanced()
	return true
}

// committedEntryInCurrentTerm reports whether this leader has committed an
// entry of its own term yet, which is when it learns the true commit index
// of the cluster (thesis §6.4 step 1).
func (r *raft) committedEntryInCurrentTerm() bool {
	return r.log.zeroTermOnOutOfBounds(r.log.term(r.log.committed)) == r.Term
}

// onCommitAdvanced runs after a leader's commit index moves.
func (r *raft) onCommitAdvanced() {
	if r.committedEntryInCurrentTerm() {
		r.releaseReadsWaitingForTermCommit()
	}
}
