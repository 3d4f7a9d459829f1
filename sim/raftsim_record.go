package sim

import (
	"encoding/json"
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// Recording a run for the timeline page (ui.TimelinePage): the state of
// every node whenever it changes (throttled), every message with the time it
// was sent, and the trace's events. The page draws it with the same
// renderer as the live cluster's /ui.

// timeline is the JSON document the page reads.
type timeline struct {
	Title    string          `json:"title"`
	Duration int64           `json:"duration"` // ms
	Frames   []timelineFrame `json:"frames"`
	Messages []timelineMsg   `json:"messages"`
	Events   []timelineEvent `json:"events"`
}

type timelineFrame struct {
	T       int64            `json:"t"` // ms
	Servers []timelineServer `json:"servers"`
}

type timelineServer struct {
	ID              string                      `json:"id"`
	Name            string                      `json:"name"`
	Role            string                      `json:"role"`
	Term            uint64                      `json:"term"`
	Commit          uint64                      `json:"commit"`
	FirstIndex      uint64                      `json:"firstIndex"`
	LastIndex       uint64                      `json:"lastIndex"`
	Log             []timelineEntry             `json:"log"`
	ElectionElapsed int                         `json:"electionElapsed"`
	ElectionTimeout int                         `json:"electionTimeout"`
	Progress        map[string]timelineProgress `json:"progress,omitempty"`
	Isolated        bool                        `json:"isolated,omitempty"`
	Down            bool                        `json:"down,omitempty"`
}

type timelineEntry struct {
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
}

type timelineProgress struct {
	Match uint64 `json:"match"`
	Next  uint64 `json:"next"`
	State string `json:"state"`
}

type timelineMsg struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Type    string `json:"type"`
	Term    uint64 `json:"term"`
	At      int64  `json:"at"` // ms
	Entries int    `json:"entries,omitempty"`
	Reject  bool   `json:"reject,omitempty"`
}

type timelineEvent struct {
	T    int64  `json:"t"`
	Text string `json:"text"`
}

// recorder collects a timeline while a run goes.
type recorder struct {
	tl        timeline
	lastFrame Time
	lastKey   string
	maxMsgs   int
}

const (
	frameEvery  = 10 * Millisecond
	logTailSize = 20
)

func (r *recorder) message(now Time, m raft.Message) {
	if len(r.tl.Messages) >= r.maxMsgs {
		return
	}
	r.tl.Messages = append(r.tl.Messages, timelineMsg{
		From: nodeName(m.From), To: nodeName(m.To), Type: m.Type.String(), Term: m.Term,
		At: now.Millis(), Entries: len(m.Entries), Reject: m.Reject,
	})
}

func (r *recorder) event(now Time, text string) {
	r.tl.Events = append(r.tl.Events, timelineEvent{T: now.Millis(), Text: text})
}

func nodeName(id uint64) string { return fmt.Sprintf("n%d", id) }

// frame records the nodes' states if they changed visibly (a role or a
// term at once; other changes at most every frameEvery).
func (r *recorder) frame(s *raftSim) {
	var servers []timelineServer
	key := ""
	for _, n := range s.nodes {
		ts := timelineServer{ID: nodeName(n.id), Name: nodeName(n.id), Down: !n.up, Isolated: s.isolated(n.idx)}
		if n.up {
			st := n.node.Status()
			ts.Role, ts.Term, ts.Commit = st.State.String(), st.Term, st.Commit
			ts.FirstIndex, ts.LastIndex = st.FirstIndex, st.LastIndex
			ts.ElectionElapsed, ts.ElectionTimeout = st.ElectionElapsed, st.RandomizedElectionTimeout
			lo := max(st.FirstIndex, st.LastIndex+1-min(st.LastIndex, logTailSize))
			for i := lo; i <= st.LastIndex; i++ {
				t, err := n.storage.Term(i)
				if err != nil {
					continue // not durable yet: drawn once it is
				}
				ts.Log = append(ts.Log, timelineEntry{Index: i, Term: t})
			}
			if st.Progress != nil {
				ts.Progress = map[string]timelineProgress{}
				for id, pr := range st.Progress {
					ts.Progress[nodeName(id)] = timelineProgress{Match: pr.Match, Next: pr.Next, State: pr.State.String()}
				}
			}
		}
		key += fmt.Sprintf("%s/%d/%v/%v;", ts.Role, ts.Term, ts.Down, ts.Isolated)
		servers = append(servers, ts)
	}
	if key == r.lastKey && s.now-r.lastFrame < frameEvery {
		return
	}
	r.lastKey, r.lastFrame = key, s.now
	r.tl.Frames = append(r.tl.Frames, timelineFrame{T: s.now.Millis(), Servers: servers})
}

// isolated reports whether node i can reach no other node.
func (s *raftSim) isolated(i int) bool {
	for j := range s.nodes {
		if j != i && !s.net.blocked[i][j] {
			return false
		}
	}
	return len(s.nodes) > 1
}

func (r *recorder) json(title string, duration Time) []byte {
	r.tl.Title, r.tl.Duration = title, int64(duration/Millisecond)
	b, _ := json.Marshal(r.tl)
	return b
}
