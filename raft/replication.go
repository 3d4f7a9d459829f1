package raft

import "fmt"

// Log replication (§5.3): the leader appends client commands to its log and
// sends them to followers in AppendEntries (MsgApp); followers accept them
// only if their log matches the leader's at the preceding entry (the
// consistency check that yields the Log Matching Property).

// handlePropose appends proposed entries to the leader's log.
func (r *raft) handlePropose(m Message) error {
	if len(m.Entries) == 0 {
		return nil
	}
	if !r.isMember(r.id) {
		// We were removed; the cluster goes on without us.
		return ErrProposalDropped
	}
	if r.leadTransferee != None {
		// Thesis §3.10: "the prior leader stops accepting new client
		// requests" during a transfer, or the target could never catch up.
		return ErrProposalDropped
	}
	for i := range m.Entries {
		if m.Entries[i].Type != EntryConfChange {
			continue
		}
		if err := r.checkConfChangeProposal(m.Entries[i]); err != nil {
			return err
		}
		r.pendingConfIndex = r.log.lastIndex() + uint64(i) + 1
	}
	r.appendEntries(m.Entries...)
	// Don't send yet: every proposal made before the caller next asks for
	// a Ready goes out in the same append message (batching), and the
	// caller's one fsync covers them all (group commit).
	r.pendingBcast = true
	return nil
}

// flushProposals sends the appends that proposals made since the last
// Ready are waiting for.
func (r *raft) flushProposals() {
	if r.pendingBcast {
		r.pendingBcast = false
		if r.state == StateLeader {
			r.bcastAppend()
		}
	}
}

// appendEntries stamps entries with the leader's term and the next indexes
// and adds them to the (unstable) log. The leader's own Match does not move
// until the caller reports them durable (Advance), so an entry is never
// counted as stored on the leader before it is.
func (r *raft) appendEntries(es ...Entry) {
	li := r.log.lastIndex()
	for i := range es {
		es[i].Term = r.Term
		es[i].Index = li + 1 + uint64(i)
	}
	r.log.append(es...)
}

// bcastAppend sends whatever each peer is missing (or at least the commit
// index, so followers learn about commitment promptly).
func (r *raft) bcastAppend() {
	r.forEachPeer(func(id uint64, pr *Progress) {
		r.sendAppendLoop(id, pr, true)
	})
}

// sendAppendLoop sends appends to one peer until it is caught up or paused
// by flow control.
func (r *raft) sendAppendLoop(to uint64, pr *Progress, sendIfEmpty bool) {
	for r.maybeSendAppend(to, pr, sendIfEmpty) {
		sendIfEmpty = false
	}
}

// maybeSendAppend sends one MsgApp (or a snapshot if the entries the peer
// needs were compacted away, §7). It reports whether a message was sent.
func (r *raft) maybeSendAppend(to uint64, pr *Progress, sendIfEmpty bool) bool {
	if pr.isPaused() {
		return false
	}
	prevIndex := pr.Next - 1
	prevTerm, errTerm := r.log.term(prevIndex)
	ents, errEnts := r.log.entries(pr.Next, r.maxMsgSize)
	if errTerm != nil || errEnts != nil {
		return r.sendSnapshot(to, pr)
	}
	if len(ents) == 0 && !sendIfEmpty {
		return false
	}
	r.send(Message{
		To:      to,
		Type:    MsgApp,
		Index:   prevIndex,
		LogTerm: prevTerm,
		Entries: ents,
		Commit:  r.log.committed,
	})
	if n := len(ents); n > 0 {
		pr.sentEntries(ents[n-1].Index)
	} else if pr.State == ProgressProbe {
		pr.ProbeSent = true
	}
	return true
}

// bcastHeartbeat sends heartbeats (§5.2: "leaders send periodic heartbeats
// (AppendEntries RPCs that carry no log entries) to all followers in order
// to maintain their authority"). Each carries the newest read-index round,
// so a heartbeat round also confirms pending linearizable reads.
func (r *raft) bcastHeartbeat() {
	r.forEachPeer(func(id uint64, pr *Progress) {
		r.send(Message{
			To:   id,
			Type: MsgHeartbeat,
			// Never tell a follower to commit past what it is known to hold:
			// a heartbeat carries no consistency check, so its log beyond
			// Match may still differ from ours.
			Commit:    min(pr.Match, r.log.committed),
			ReadRound: r.reads.round,
		})
	})
}

// handleAppendEntries is the AppendEntries receiver of Figure 2.
func (r *raft) handleAppendEntries(m Message) error {
	if m.Index < r.log.committed {
		// Everything up to our commit index is known to match the leader
		// (Leader Completeness); tell it where we are.
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
		return nil
	}
	lastNew, ok, err := r.log.maybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries)
	if err != nil {
		return fmt.Errorf("raft: %x rejected %s: %w", r.id, m, err)
	}
	if ok {
		r.send(Message{To: m.From, Type: MsgAppResp, Index: lastNew})
		return nil
	}
	// Figure 2 rule 2: "reply false if log doesn't contain an entry at
	// prevLogIndex whose term matches prevLogTerm", plus the hint of §5.3's
	// closing paragraph so the leader can skip a whole conflicting term per
	// round trip instead of one entry.
	hintIndex, hintTerm := r.conflictHint(m.Index)
	r.logf("%x [last %d/%d] rejected MsgApp [prev %d/%d] from %x: hint %d/%d",
		r.id, r.log.lastIndex(), r.log.lastTerm(), m.Index, m.LogTerm, m.From, hintIndex, hintTerm)
	r.send(Message{To: m.From, Type: MsgAppResp, Index: m.Index, Reject: true, RejectHint: hintIndex, LogTerm: hintTerm})
	return nil
}

// conflictHint returns, for a failed consistency check at prevIndex, the term
// of our conflicting entry there and the first index we hold of that term —
// or, if our log is too short, term 0 and our last index + 1.
func (r *raft) conflictHint(prevIndex uint64) (index, term uint64) {
	last := r.log.lastIndex()
	if prevIndex > last {
		return last + 1, 0
	}
	term = r.log.zeroTermOnOutOfBounds(r.log.term(prevIndex))
	index = prevIndex
	// Entries up to the commit index are known to match any leader, so the
	// scan never needs to go below it.
	for index-1 > r.log.committed {
		t, err := r.log.term(index - 1)
		if err != nil || t != term {
			break
		}
		index--
	}
	return index, term
}

// nextFromHint is the leader's side of the hint: if we hold entries of the
// follower's conflicting term, resume right after our last one of them (our
// entries of that term up to there match the follower's, by Log Matching);
// otherwise skip the follower's whole term.
func (r *raft) nextFromHint(pr *Progress, rejected, hintIndex, hintTerm uint64) uint64 {
	if hintTerm == 0 {
		return hintIndex
	}
	for i := min(rejected, r.log.lastIndex()); i > pr.Match; i-- {
		t, err := r.log.term(i)
		if err != nil || t < hintTerm {
			break
		}
		if t == hintTerm {
			return i + 1
		}
	}
	return hintIndex
}

func (r *raft) handleAppendResponse(m Message, pr *Progress) {
	if m.Reject {
		r.handleAppendRejection(m, pr)
		return
	}
	wasPaused := pr.isPaused()
	if !pr.maybeUpdate(m.Index) {
		return
	}
	switch {
	case pr.State == ProgressProbe:
		pr.becomeReplicate()
	case pr.State == ProgressSnapshot && pr.Match >= pr.PendingSnapshot:
		// The snapshot arrived; the follower continues from its end.
		pr.becomeProbe()
		pr.becomeReplicate()
	case pr.State == ProgressReplicate:
		pr.inflights.freeLE(m.Index)
	}
	if r.maybeCommit() {
		// Tell everyone about the new commit index right away, so followers
		// apply (and can serve reads) without waiting for a heartbeat.
		r.bcastAppend()
	} else if wasPaused {
		r.maybeSendAppend(m.From, pr, true)
	}
	r.sendAppendLoop(m.From, pr, false)
	if m.From == r.leadTransferee && pr.Match == r.log.lastIndex() {
		r.logf("%x sent MsgTimeoutNow to %x: it has caught up", r.id, m.From)
		r.sendTimeoutNow(m.From)
	}
}

func (r *raft) handleAppendRejection(m Message, pr *Progress) {
	rejected := m.Index
	switch pr.State {
	case ProgressReplicate:
		if rejected <= pr.Match {
			return // a stale answer to an append we have since superseded
		}
		pr.becomeProbe()
	case ProgressProbe:
		if pr.Next-1 != rejected {
			return // not the probe we are waiting for
		}
	default:
		return
	}
	next := r.nextFromHint(pr, rejected, m.RejectHint, m.LogTerm)
	pr.Next = max(min(next, rejected), pr.Match+1)
	pr.ProbeSent = false
	r.maybeSendAppend(m.From, pr, true)
}

// handleHeartbeat: a follower learns the commit index and acknowledges,
// echoing the read round so the leader can confirm pending reads.
func (r *raft) handleHeartbeat(m Message) {
	r.log.commitTo(m.Commit)
	r.send(Message{To: m.From, Type: MsgHeartbeatResp, ReadRound: m.ReadRound})
}

func (r *raft) handleHeartbeatResponse(m Message, pr *Progress) {
	pr.ProbeSent = false
	if pr.State == ProgressReplicate && pr.inflights.full() {
		// The follower is alive but we have had no acknowledgement for a
		// full window: maybe one was lost. Free a slot so replication
		// cannot stall for good.
		pr.inflights.freeFirst()
	}
	if pr.Match < r.log.lastIndex() {
		r.maybeSendAppend(m.From, pr, true)
	}
	r.handleReadRoundAck(m.From, pr, m.ReadRound)
}

// forEachPeer calls f for every member but ourselves, in ID order so that a
// run is reproducible message for message.
func (r *raft) forEachPeer(f func(id uint64, pr *Progress)) {
	for _, id := range r.members() {
		if id != r.id {
			f(id, r.progress[id])
		}
	}
}
