package raft

import "bytes"

// Leader election (§5.2), PreVote (thesis §9.6) and CheckQuorum (thesis §6.2).

type campaignType uint8

const (
	campaignPreElection campaignType = iota // PreVote round; term unchanged
	campaignElection                        // real election; term + 1
	campaignTransfer                        // real election asked for by the leader (thesis §3.10)
)

// transferContext marks vote requests of a leadership transfer, which
// voters honour even while they believe a leader is alive.
var transferContext = []byte("raft:transfer")

func isTransferCampaign(ctx []byte) bool { return bytes.Equal(ctx, transferContext) }

// tickElection is a follower's or candidate's clock: §5.2 "if a follower
// receives no communication over a period of time called the election
// timeout, then it assumes there is no viable leader and begins an election".
func (r *raft) tickElection() {
	r.electionElapsed++
	if r.promotable() && r.electionElapsed >= r.randomizedElectionTimeout {
		r.electionElapsed = 0
		r.hup(false)
	}
}

// promotable reports whether this node may become leader: only voters may.
// Learners and nodes not (yet, or any more) in the configuration never
// campaign.
func (r *raft) promotable() bool {
	return r.isVoter(r.id)
}

// hup starts an election if this node may.
func (r *raft) hup(transfer bool) {
	if r.state == StateLeader {
		return
	}
	if !r.promotable() {
		return
	}
	if r.hasUnappliedConfChange() {
		// A committed configuration change we have not applied yet may
		// change who votes; campaigning under the old one could count the
		// wrong quorum. It will be applied in the next Ready.
		if transfer {
			// The leader told us to take over, typically a leader that has
			// just removed itself, whose TimeoutNow travels with the append
			// that commits the removal. Dropping it would leave the cluster
			// leaderless for an election timeout: campaign once applied.
			r.transferAfterApply = true
			r.logf("%x will campaign at term %d once it has applied the committed configuration change", r.id, r.Term)
			return
		}
		r.logf("%x cannot campaign at term %d: a committed configuration change is not applied yet", r.id, r.Term)
		return
	}
	switch {
	case transfer:
		r.campaign(campaignTransfer)
	case r.preVote:
		r.campaign(campaignPreElection)
	default:
		r.campaign(campaignElection)
	}
}

func (r *raft) hasUnappliedConfChange() bool {
	if r.log.committed <= r.log.applied {
		return false
	}
	ents, err := r.log.slice(r.log.applied+1, r.log.committed+1, noLimit)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Type == EntryConfChange {
			return true
		}
	}
	return false
}

const noLimit = ^uint64(0)

func (r *raft) campaign(t campaignType) {
	var term uint64
	var voteMsg MessageType
	if t == campaignPreElection {
		r.becomePreCandidate()
		voteMsg = MsgPreVote
		// Ask about the term we would move to, without moving there.
		term = r.Term + 1
	} else {
		r.becomeCandidate()
		voteMsg = MsgVote
		term = r.Term
	}
	// Our own vote counts at once (it is in the HardState of this Ready,
	// which is persisted before our MsgVote requests leave).
	if r.poll(r.id, voteRespType(voteMsg), true) == VoteWon {
		// A single-voter cluster wins immediately.
		if t == campaignPreElection {
			r.campaign(campaignElection)
		} else {
			r.becomeLeader()
		}
		return
	}
	var ctx []byte
	if t == campaignTransfer {
		ctx = transferContext
	}
	lastIndex, lastTerm := r.log.lastIndex(), r.log.lastTerm()
	for _, id := range r.voters {
		if id == r.id {
			continue
		}
		r.logf("%x [last %d/%d] sent %s to %x at term %d", r.id, lastIndex, lastTerm, voteMsg, id, term)
		r.send(Message{To: id, Term: term, Type: voteMsg, Index: lastIndex, LogTerm: lastTerm, Context: ctx})
	}
}

func voteRespType(t MessageType) MessageType {
	if t == MsgPreVote {
		return MsgPreVoteResp
	}
	return MsgVoteResp
}

// poll records one vote and returns the election's outcome so far.
func (r *raft) poll(id uint64, t MessageType, granted bool) VoteResult {
	if _, seen := r.votes[id]; !seen {
		r.votes[id] = granted
	}
	res := voteResult(r.voters, r.votes)
	if id != r.id {
		verdict := "rejection"
		if granted {
			verdict = "grant"
		}
		r.logf("%x received %s %s from %x at term %d", r.id, t, verdict, id, r.Term)
	}
	return res
}

// handleVoteRequest answers RequestVote and PreVote (Figure 2, RequestVote RPC
// receiver rules). Term updates have already happened in Step.
func (r *raft) handleVoteRequest(m Message) {
	// We may grant if we already voted for this candidate in this term (a
	// retransmission), or have voted for no one and know no leader, or — for a
	// pre-vote — the asker proposes a term beyond ours (we are not bound by a
	// vote in a term it is not in yet).
	canVote := r.Vote == m.From ||
		(r.Vote == None && r.lead == None) ||
		(m.Type == MsgPreVote && m.Term > r.Term)
	// §5.4.1: only for a candidate whose log is at least as up-to-date as ours.
	upToDate := r.unsafe.SkipUpToDateCheck || r.log.isUpToDate(m.Index, m.LogTerm)
	resp := voteRespType(m.Type)
	if canVote && upToDate {
		r.logf("%x [term %d, last %d/%d] granted %s for %x [last %d/%d] at term %d",
			r.id, r.Term, r.log.lastIndex(), r.log.lastTerm(), m.Type, m.From, m.Index, m.LogTerm, m.Term)
		// The grant carries the asker's term so that it recognizes the answer
		// (for a pre-vote that term is one we are not in).
		r.send(Message{To: m.From, Term: m.Term, Type: resp})
		if m.Type == MsgVote {
			r.electionElapsed = 0
			r.Vote = m.From
		}
		return
	}
	r.logf("%x [term %d, vote %x, last %d/%d] rejected %s from %x [last %d/%d] at term %d",
		r.id, r.Term, r.Vote, r.log.lastIndex(), r.log.lastTerm(), m.Type, m.From, m.Index, m.LogTerm, m.Term)
	r.send(Message{To: m.From, Term: r.Term, Type: resp, Reject: true})
}

// checkQuorumActive is CheckQuorum (thesis §6.2): a leader that has not
// heard from a majority within an election timeout steps down, so that an
// isolated leader stops accepting requests it can never commit and clients
// go looking for the real leader. It reports whether we are still leader.
func (r *raft) checkQuorumActive() bool {
	active := 0
	for _, id := range r.voters {
		if id == r.id {
			active++
			continue
		}
		if pr := r.progress[id]; pr != nil && pr.RecentActive {
			active++
		}
	}
	for id, pr := range r.progress {
		if id != r.id {
			pr.RecentActive = false
		}
	}
	if active >= quorumSize(len(r.voters)) {
		return true
	}
	r.logf("%x stepped down at term %d: heard from only %d of %d voters in an election timeout (CheckQuorum)",
		r.id, r.Term, active, len(r.voters))
	r.becomeFollower(r.Term, None)
	return false
}
