package raft

import (
	"fmt"
	"slices"
	"strings"
)

// How the transcripts in testdata/ write down what happened, chosen to be
// read next to Figure 2 of the paper:
//
//   - a log position is index/term, as in raft's own log lines ("last 5/1"),
//     so "PrevLog:7/2" is Figure 2's prevLogIndex 7, prevLogTerm 2;
//   - a message is "from->to Type Term:t" followed by the fields its type
//     uses (the table in types.go), named after Figure 2 where it has a
//     name: PrevLog, Commit (leaderCommit), Entries, LastLog (lastLogIndex
//     and lastLogTerm), Grant/Reject (voteGranted, success);
//   - an entry is index/term and what it carries: "no-op" (a new leader's
//     empty entry), a quoted command, or a configuration change.
//
// Everything here is for reading; nothing in raft depends on it.

// describeEntry writes e as "index/term payload".
func describeEntry(e Entry) string {
	return fmt.Sprintf("%d/%d %s", e.Index, e.Term, describePayload(e))
}

func describePayload(e Entry) string {
	switch e.Type {
	case EntryNormal:
		if len(e.Data) == 0 {
			return "no-op"
		}
		return fmt.Sprintf("%q", e.Data)
	case EntryConfChange:
		var cc ConfChange
		if err := cc.UnmarshalBinary(e.Data); err != nil {
			return fmt.Sprintf("undecodable ConfChange (%v)", err)
		}
		return fmt.Sprintf("%s %d", cc.Type, cc.NodeID)
	}
	return e.Type.String()
}

func describeEntries(ents []Entry) string {
	parts := make([]string, len(ents))
	for i, e := range ents {
		parts[i] = describeEntry(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// describeMessage writes m with the fields its type uses and no others, so
// that a zero that means nothing is never shown as if it meant something.
func describeMessage(m Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d->%d %s Term:%d", m.From, m.To, m.Type, m.Term)
	switch m.Type {
	case MsgApp:
		fmt.Fprintf(&b, " PrevLog:%d/%d Commit:%d Entries:%s", m.Index, m.LogTerm, m.Commit, describeEntries(m.Entries))
	case MsgAppResp:
		if m.Reject {
			// The follower refused the append whose PrevLog index was
			// Index; the hint says where its log of that term begins (or,
			// with term 0, where its log ends).
			fmt.Fprintf(&b, " Reject Index:%d Hint:%d/%d", m.Index, m.RejectHint, m.LogTerm)
		} else {
			fmt.Fprintf(&b, " Index:%d", m.Index)
		}
	case MsgVote, MsgPreVote:
		fmt.Fprintf(&b, " LastLog:%d/%d", m.Index, m.LogTerm)
		if isTransferCampaign(m.Context) {
			b.WriteString(" (leadership transfer)")
		}
	case MsgVoteResp, MsgPreVoteResp:
		b.WriteString(grantOrReject(m.Reject))
	case MsgHeartbeat:
		fmt.Fprintf(&b, " Commit:%d ReadRound:%d", m.Commit, m.ReadRound)
	case MsgHeartbeatResp:
		fmt.Fprintf(&b, " ReadRound:%d", m.ReadRound)
	case MsgSnap:
		if s := m.Snapshot; s != nil {
			fmt.Fprintf(&b, " Snapshot:%d/%d Voters:%v Learners:%v", s.Meta.Index, s.Meta.Term, s.Meta.ConfState.Voters, s.Meta.ConfState.Learners)
		}
	case MsgProp:
		// A forwarded proposal has no place in the log yet: the leader
		// gives it one when it appends it.
		parts := make([]string, len(m.Entries))
		for i, e := range m.Entries {
			parts[i] = describePayload(e)
		}
		fmt.Fprintf(&b, " Entries:[%s]", strings.Join(parts, ", "))
	case MsgReadIndex:
		fmt.Fprintf(&b, " Ctx:%q", m.Context)
	case MsgReadIndexResp:
		if m.Reject {
			fmt.Fprintf(&b, " Reject Ctx:%q", m.Context)
		} else {
			fmt.Fprintf(&b, " Index:%d Ctx:%q", m.Index, m.Context)
		}
	}
	return b.String()
}

func grantOrReject(reject bool) string {
	if reject {
		return " Reject"
	}
	return " Grant"
}

func describeHardState(hs HardState) string {
	return fmt.Sprintf("Term:%d Vote:%d Commit:%d", hs.Term, hs.Vote, hs.Commit)
}

func describeLead(lead uint64) string {
	if lead == None {
		return "no leader"
	}
	return fmt.Sprintf("leader %d", lead)
}

// describeReady writes rd in the order the caller carries it out (see
// Ready): what is sent at once, what is made durable, what is sent only
// once that is durable, what is applied. Reading a transcript top to bottom
// is then reading what a member does, step by step.
func describeReady(id uint64, rd Ready) string {
	var b strings.Builder
	sync := ""
	if rd.MustSync {
		sync = " (must sync)"
	}
	fmt.Fprintf(&b, "> %d handles a Ready%s\n", id, sync)
	if rd.SoftState != nil {
		fmt.Fprintf(&b, "  SoftState: State:%s Lead:%d\n", rd.SoftState.State, rd.SoftState.Lead)
	}
	writeMessages(&b, "Messages (sent at once)", rd.Messages)
	if !rd.HardState.IsEmpty() {
		fmt.Fprintf(&b, "  HardState: %s\n", describeHardState(rd.HardState))
	}
	if !rd.Snapshot.IsEmpty() {
		m := rd.Snapshot.Meta
		fmt.Fprintf(&b, "  Snapshot: %d/%d Voters:%v Learners:%v\n", m.Index, m.Term, m.ConfState.Voters, m.ConfState.Learners)
	}
	writeEntries(&b, "Entries", rd.Entries)
	writeMessages(&b, "MessagesAfterPersist (sent once the above is on disk)", rd.MessagesAfterPersist)
	writeEntries(&b, "CommittedEntries (applied)", rd.CommittedEntries)
	if len(rd.ReadIndexResults) > 0 {
		b.WriteString("  ReadIndexResults:\n")
		for _, rs := range rd.ReadIndexResults {
			if rs.Dropped {
				fmt.Fprintf(&b, "    Ctx:%q dropped\n", rs.RequestCtx)
			} else {
				fmt.Fprintf(&b, "    Ctx:%q Index:%d\n", rs.RequestCtx, rs.Index)
			}
		}
	}
	return b.String()
}

func writeMessages(b *strings.Builder, title string, msgs []Message) {
	if len(msgs) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s:\n", title)
	for _, m := range msgs {
		fmt.Fprintf(b, "    %s\n", describeMessage(m))
	}
}

func writeEntries(b *strings.Builder, title string, ents []Entry) {
	if len(ents) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s:\n", title)
	for _, e := range ents {
		fmt.Fprintf(b, "    %s\n", describeEntry(e))
	}
}

// describeStatus writes a node's state as Figure 2 names it (currentTerm,
// votedFor, commitIndex, lastApplied, the log's last entry) and, on a
// leader, its nextIndex[] and matchIndex[] per peer. A leader's status also
// says how far a majority of voters hold its log, next to what it has
// committed: where the two differ, the transcript shows §5.4.2 at work (an
// entry on a majority is committed by counting only if it is of the
// leader's term). termAt gives the term of an entry of the node's log.
func describeStatus(st Status, termAt func(index uint64) uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d: %s, term %d, vote %d, %s, commit %d, applied %d, last %d/%d, voters %v",
		st.ID, st.State, st.Term, st.Vote, describeLead(st.Lead), st.Commit, st.Applied, st.LastIndex, st.LastTerm, st.Config.Voters)
	if len(st.Config.Learners) > 0 {
		fmt.Fprintf(&b, ", learners %v", st.Config.Learners)
	}
	if st.FirstIndex > 1 {
		fmt.Fprintf(&b, ", log from %d on (before it: a snapshot)", st.FirstIndex)
	}
	if st.State != StateLeader {
		// The randomized timeout (§5.2) is what decides who runs first.
		fmt.Fprintf(&b, ", election timer %d of %d ticks\n", st.ElectionElapsed, st.RandomizedElectionTimeout)
		return b.String()
	}
	b.WriteString("\n")
	for _, id := range append(slices.Clone(st.Config.Voters), st.Config.Learners...) {
		if id == st.ID {
			// A leader's own entry only tracks what its disk holds.
			fmt.Fprintf(&b, "  progress of %d (itself): match %d\n", id, st.Progress[id].Match)
			continue
		}
		writeProgress(&b, id, st.Progress[id])
	}
	majority := quorumIndex(st.Config.Voters, func(id uint64) uint64 { return st.Progress[id].Match })
	fmt.Fprintf(&b, "  a majority of voters hold the log up to %d/%d", majority, termAt(majority))
	if majority > st.Commit && termAt(majority) != st.Term {
		fmt.Fprintf(&b, ", yet commit stays at %d: that entry is not of the leader's term %d, so counting its copies does not commit it (§5.4.2)",
			st.Commit, st.Term)
	}
	b.WriteString("\n")
	return b.String()
}

func writeProgress(b *strings.Builder, id uint64, pr Progress) {
	fmt.Fprintf(b, "  progress of %d: match %d, next %d, %s", id, pr.Match, pr.Next, pr.State)
	if pr.IsLearner {
		b.WriteString(", learner")
	}
	if pr.State == ProgressSnapshot {
		fmt.Fprintf(b, ", snapshot %d in flight", pr.PendingSnapshot)
	}
	b.WriteString("\n")
}
