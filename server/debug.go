package server

import (
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// A member keeps a little extra state so that a learner can watch Raft
// work (GET /debug/raft, the /ui page): counts of messages by type, the last
// few messages with their times, and two switches the learner's controls
// flip — a paused clock and an isolated network. None of it affects raft's
// decisions unless a control is used.

const recentMessages = 64

type debugState struct {
	sent, received [32]uint64 // by raft.MessageType
	recent         [recentMessages]DebugMessage
	next           int // where the next message record goes
	// paused stops the member's clock: no ticks, so no heartbeats (as a
	// leader) and no election timeouts (as a follower).
	paused bool
	// isolated drops every message to and from peers, as a partition would.
	isolated bool
}

// DebugMessage is one message as the learner's view shows it.
type DebugMessage struct {
	At      int64  `json:"at"` // Unix milliseconds
	From    string `json:"from"`
	To      string `json:"to"`
	Type    string `json:"type"`
	Term    uint64 `json:"term"`
	Index   uint64 `json:"index,omitempty"`
	Entries int    `json:"entries,omitempty"`
	Reject  bool   `json:"reject,omitempty"`
}

func (m *Member) noteMessage(msg raft.Message, sent bool) {
	if int(msg.Type) < len(m.debug.sent) {
		if sent {
			m.debug.sent[msg.Type]++
		} else {
			m.debug.received[msg.Type]++
		}
	}
	m.debug.recent[m.debug.next%recentMessages] = DebugMessage{
		At: m.env.Clock.Now().UnixMilli(), From: hexID(msg.From), To: hexID(msg.To), Type: msg.Type.String(),
		Term: msg.Term, Index: msg.Index, Entries: len(msg.Entries), Reject: msg.Reject,
	}
	m.debug.next++
}

// send passes messages to the transport, unless the member is isolated.
func (m *Member) send(msgs []raft.Message) {
	if len(msgs) == 0 || m.debug.isolated {
		return
	}
	for _, msg := range msgs {
		m.noteMessage(msg, true)
	}
	m.noteHeartbeatsSent(msgs)
	m.env.Transport.Send(msgs)
}

func hexID(id uint64) string { return fmt.Sprintf("%x", id) }

// DebugView is everything GET /debug/raft shows about one member.
type DebugView struct {
	ID               string                   `json:"id"`
	Name             string                   `json:"name"`
	ClusterID        string                   `json:"cluster_id"`
	Role             string                   `json:"role"`
	Term             uint64                   `json:"term"`
	Vote             string                   `json:"vote,omitempty"`
	Leader           string                   `json:"leader,omitempty"`
	Commit           uint64                   `json:"commit"`
	Applied          uint64                   `json:"applied"`
	SnapshotIndex    uint64                   `json:"snapshot_index"`
	FirstIndex       uint64                   `json:"first_index"`
	LastIndex        uint64                   `json:"last_index"`
	Log              []DebugEntry             `json:"log"`
	Progress         map[string]DebugProgress `json:"progress,omitempty"`
	ElectionElapsed  int                      `json:"election_elapsed"`
	ElectionTimeout  int                      `json:"election_timeout"` // this term's randomized timeout, in ticks
	HeartbeatTimeout int                      `json:"heartbeat_timeout"`
	TickMillis       int64                    `json:"tick_ms"`
	Sent             map[string]uint64        `json:"sent"`
	Received         map[string]uint64        `json:"received"`
	Recent           []DebugMessage           `json:"recent"`
	Members          []DebugMember            `json:"members"`
	Paused           bool                     `json:"paused,omitempty"`
	Isolated         bool                     `json:"isolated,omitempty"`
	Controls         bool                     `json:"controls,omitempty"`
	Revision         int64                    `json:"revision"`
	Now              int64                    `json:"now"`
}

// DebugEntry is one log entry.
type DebugEntry struct {
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
	Kind  string `json:"kind"` // "write", "noop", "config", "member"
}

// DebugProgress is the leader's view of one follower (raft.Progress).
type DebugProgress struct {
	Match        uint64 `json:"match"`
	Next         uint64 `json:"next"`
	State        string `json:"state"`
	RecentActive bool   `json:"recent_active"`
	IsLearner    bool   `json:"is_learner,omitempty"`
}

// DebugMember is one member of the cluster.
type DebugMember struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	ClientURLs []string `json:"client_urls,omitempty"`
	IsLearner  bool     `json:"is_learner,omitempty"`
}

// Debug returns the learner's view of this member, with up to logTail of
// its newest log entries.
func (m *Member) Debug(logTail int) DebugView {
	st := m.node.Status()
	v := DebugView{
		ID: hexID(m.id), Name: m.cfg.Name, ClusterID: hexID(m.clusterID), Role: st.State.String(), Term: st.Term,
		Commit: st.Commit, Applied: m.applied, SnapshotIndex: m.snapshotIndex, FirstIndex: st.FirstIndex, LastIndex: st.LastIndex,
		ElectionElapsed: st.ElectionElapsed, ElectionTimeout: st.RandomizedElectionTimeout, HeartbeatTimeout: st.HeartbeatTimeout,
		TickMillis: m.cfg.HeartbeatInterval.Milliseconds(), Sent: map[string]uint64{}, Received: map[string]uint64{},
		Paused: m.debug.paused, Isolated: m.debug.isolated, Controls: m.cfg.ExperimentalDebugControls,
		Revision: m.store.Rev(), Now: m.env.Clock.Now().UnixMilli(),
	}
	if st.Vote != 0 {
		v.Vote = hexID(st.Vote)
	}
	if st.Lead != 0 {
		v.Leader = hexID(st.Lead)
	}
	lo := st.FirstIndex
	if tail := uint64(max(logTail, 1)); st.LastIndex >= tail && st.LastIndex+1-tail > lo {
		lo = st.LastIndex + 1 - tail
	}
	if ents, err := m.storage.Entries(lo, st.LastIndex+1, 1<<30); err == nil {
		for _, e := range ents {
			v.Log = append(v.Log, DebugEntry{Index: e.Index, Term: e.Term, Kind: entryKindName(e)})
		}
	}
	if st.Progress != nil {
		v.Progress = map[string]DebugProgress{}
		for id, pr := range st.Progress {
			v.Progress[hexID(id)] = DebugProgress{Match: pr.Match, Next: pr.Next, State: pr.State.String(), RecentActive: pr.RecentActive, IsLearner: pr.IsLearner}
		}
	}
	for t := range m.debug.sent {
		name := raft.MessageType(t).String()
		if n := m.debug.sent[t]; n > 0 {
			v.Sent[name] = n
		}
		if n := m.debug.received[t]; n > 0 {
			v.Received[name] = n
		}
	}
	for i := max(0, m.debug.next-recentMessages); i < m.debug.next; i++ {
		v.Recent = append(v.Recent, m.debug.recent[i%recentMessages])
	}
	for _, info := range m.cluster.list() {
		v.Members = append(v.Members, DebugMember{ID: hexID(info.ID), Name: info.Name, ClientURLs: info.ClientURLs, IsLearner: info.IsLearner})
	}
	return v
}

func entryKindName(e raft.Entry) string {
	switch {
	case e.Type == raft.EntryConfChange:
		return "config"
	case len(e.Data) == 0:
		return "noop"
	}
	kind, _, _, err := decodeEnvelope(e.Data)
	switch {
	case err != nil:
		return "write"
	case kind == kindMemberAttributes || kind == kindMemberPeerURLs:
		return "member"
	case kind == kindAlarm:
		return "alarm"
	}
	return "write"
}

// SetClockPaused stops (or restarts) the member's clock: a learner's
// control, and the simulator's "clock pause" fault.
func (m *Member) SetClockPaused(paused bool) {
	if m.debug.paused != paused {
		m.logf("debug control: clock %s", map[bool]string{true: "paused", false: "resumed"}[paused])
	}
	m.debug.paused = paused
}

// SetIsolated cuts the member off from its peers (or heals it).
func (m *Member) SetIsolated(isolated bool) {
	if m.debug.isolated != isolated {
		m.logf("debug control: %s", map[bool]string{true: "isolated from all peers", false: "reconnected to peers"}[isolated])
	}
	m.debug.isolated = isolated
}
