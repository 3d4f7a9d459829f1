package raft

import "fmt"

// None is the zero node ID: "no leader known", "voted for nobody".
const None uint64 = 0

// EntryType says how the state machine must interpret an entry's Data.
type EntryType uint8

const (
	// EntryNormal carries an opaque command for the state machine (or nothing:
	// the no-op a new leader appends, §5.4.2 / thesis §6.4).
	EntryNormal EntryType = 0
	// EntryConfChange carries an encoded ConfChange (thesis §4.1).
	EntryConfChange EntryType = 1
)

func (t EntryType) String() string {
	switch t {
	case EntryNormal:
		return "Normal"
	case EntryConfChange:
		return "ConfChange"
	}
	return fmt.Sprintf("EntryType(%d)", uint8(t))
}

// Entry is one slot of the replicated log (Figure 2: "log[]: each entry contains
// command for state machine, and term when entry was received by leader").
type Entry struct {
	Term  uint64
	Index uint64
	Type  EntryType
	Data  []byte
}

// HardState is the part of a node's state that must be on stable storage before
// the node answers any RPC (Figure 2, "Persistent state on all servers"):
// currentTerm and votedFor. Commit is stored too so that a restart need not
// rediscover it, but losing it is harmless (it is only ever recomputed upward).
type HardState struct {
	Term   uint64
	Vote   uint64
	Commit uint64
}

// IsEmpty reports whether h is the zero HardState (nothing to persist).
func (h HardState) IsEmpty() bool { return h == HardState{} }

// ConfState is a cluster configuration: who votes and who only listens.
// Both lists are kept sorted so that two equal configurations encode equally.
type ConfState struct {
	Voters   []uint64
	Learners []uint64
}

// SnapshotMeta names the point of the log a snapshot covers (§7: "last included
// index" and "last included term") and the configuration in force at that point.
type SnapshotMeta struct {
	Index     uint64
	Term      uint64
	ConfState ConfState
}

// Snapshot is a state machine image. Its Data is opaque to raft: the state
// machine makes it and the state machine restores it.
type Snapshot struct {
	Meta SnapshotMeta
	Data []byte
}

// IsEmpty reports whether s holds no snapshot.
func (s Snapshot) IsEmpty() bool { return s.Meta.Index == 0 }

// ConfChangeType is one single-server membership change (thesis §4.1).
type ConfChangeType uint8

const (
	// ConfChangeAddVoter adds a voting member, or promotes a learner to voter.
	ConfChangeAddVoter ConfChangeType = 0
	// ConfChangeAddLearner adds a non-voting member that receives the log
	// (thesis §4.2.1: new servers catch up before they count toward quorum).
	ConfChangeAddLearner ConfChangeType = 1
	// ConfChangeRemove removes a voter or a learner.
	ConfChangeRemove ConfChangeType = 2
)

func (t ConfChangeType) String() string {
	switch t {
	case ConfChangeAddVoter:
		return "AddVoter"
	case ConfChangeAddLearner:
		return "AddLearner"
	case ConfChangeRemove:
		return "Remove"
	}
	return fmt.Sprintf("ConfChangeType(%d)", uint8(t))
}

// ConfChange is the payload of an EntryConfChange entry. Context is opaque to
// raft; a server uses it to carry the new member's name and addresses.
type ConfChange struct {
	Type    ConfChangeType
	NodeID  uint64
	Context []byte
}

// MessageType enumerates every message raft exchanges with its peers, plus a
// few "local" ones that the caller uses to poke its own node through Step.
type MessageType uint8

const (
	MsgHup            MessageType = iota // local: start an election now
	MsgBeat                              // local: leader, send heartbeats now
	MsgProp                              // propose entries (local, or forwarded by a follower)
	MsgApp                               // AppendEntries RPC (§5.3)
	MsgAppResp                           // AppendEntries result
	MsgVote                              // RequestVote RPC (§5.2)
	MsgVoteResp                          // RequestVote result
	MsgPreVote                           // PreVote RPC (thesis §9.6): "would you vote for me?"
	MsgPreVoteResp                       // PreVote result
	MsgSnap                              // InstallSnapshot RPC (§7)
	MsgHeartbeat                         // empty AppendEntries, carries commit and a read round
	MsgHeartbeatResp                     // heartbeat result, echoes the read round
	MsgTransferLeader                    // ask the leader to hand leadership to From (thesis §3.10)
	MsgTimeoutNow                        // leader to transfer target: campaign now
	MsgReadIndex                         // follower to leader: give me a read index (thesis §6.4)
	MsgReadIndexResp                     // leader to follower: here it is
	MsgSnapStatus                        // local: the caller reports whether a snapshot was delivered
	MsgUnreachable                       // local: the caller reports a peer it could not reach
	numMessageTypes
)

var messageTypeNames = [...]string{
	MsgHup: "MsgHup", MsgBeat: "MsgBeat", MsgProp: "MsgProp", MsgApp: "MsgApp",
	MsgAppResp: "MsgAppResp", MsgVote: "MsgVote", MsgVoteResp: "MsgVoteResp",
	MsgPreVote: "MsgPreVote", MsgPreVoteResp: "MsgPreVoteResp", MsgSnap: "MsgSnap",
	MsgHeartbeat: "MsgHeartbeat", MsgHeartbeatResp: "MsgHeartbeatResp",
	MsgTransferLeader: "MsgTransferLeader", MsgTimeoutNow: "MsgTimeoutNow",
	MsgReadIndex: "MsgReadIndex", MsgReadIndexResp: "MsgReadIndexResp",
	MsgSnapStatus: "MsgSnapStatus", MsgUnreachable: "MsgUnreachable",
}

func (t MessageType) String() string {
	if t < numMessageTypes {
		return messageTypeNames[t]
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// IsLocal reports whether t is only ever stepped into a node by its own
// caller and must never arrive from the network.
func (t MessageType) IsLocal() bool {
	switch t {
	case MsgHup, MsgBeat, MsgSnapStatus, MsgUnreachable:
		return true
	}
	return false
}

// IsResponse reports whether t answers a request of a peer.
func (t MessageType) IsResponse() bool {
	switch t {
	case MsgAppResp, MsgVoteResp, MsgPreVoteResp, MsgHeartbeatResp, MsgReadIndexResp:
		return true
	}
	return false
}

// Message is the one envelope for every RPC. Fields a type does not use stay
// zero and cost one byte each on the wire.
//
// Field use by type:
//   - MsgApp: Index/LogTerm = the entry preceding Entries (prevLogIndex/prevLogTerm),
//     Commit = leaderCommit.
//   - MsgAppResp: Index = the last index now known to match; on Reject,
//     RejectHint/LogTerm = the follower's conflict hint (see replication.go).
//   - MsgVote/MsgPreVote: Index/LogTerm = the candidate's last entry (§5.4.1).
//   - MsgHeartbeat/MsgHeartbeatResp: Commit, and ReadRound = the read-index round.
//   - MsgReadIndex/MsgReadIndexResp: Context = the caller's request id, Index = read index.
//   - MsgSnap: Snapshot.
type Message struct {
	Type       MessageType
	From       uint64
	To         uint64
	Term       uint64
	LogTerm    uint64
	Index      uint64
	Commit     uint64
	Reject     bool
	RejectHint uint64
	ReadRound  uint64
	Entries    []Entry
	Context    []byte
	Snapshot   *Snapshot
}

func (m Message) String() string {
	s := fmt.Sprintf("%s %d->%d term=%d", m.Type, m.From, m.To, m.Term)
	switch m.Type {
	case MsgApp:
		s += fmt.Sprintf(" prev=%d/%d entries=%d commit=%d", m.Index, m.LogTerm, len(m.Entries), m.Commit)
	case MsgAppResp:
		if m.Reject {
			s += fmt.Sprintf(" reject hint=%d/%d", m.RejectHint, m.LogTerm)
		} else {
			s += fmt.Sprintf(" index=%d", m.Index)
		}
	case MsgVote, MsgPreVote:
		s += fmt.Sprintf(" last=%d/%d", m.Index, m.LogTerm)
	case MsgVoteResp, MsgPreVoteResp:
		if m.Reject {
			s += " reject"
		} else {
			s += " grant"
		}
	case MsgHeartbeat, MsgHeartbeatResp:
		s += fmt.Sprintf(" commit=%d round=%d", m.Commit, m.ReadRound)
	case MsgSnap:
		if m.Snapshot != nil {
			s += fmt.Sprintf(" snap=%d/%d", m.Snapshot.Meta.Index, m.Snapshot.Meta.Term)
		}
	case MsgReadIndexResp:
		s += fmt.Sprintf(" index=%d", m.Index)
	}
	return s
}
