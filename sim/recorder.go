package sim

import (
	"encoding/json"

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
	// Lanes, for a member-level run, is the whole run as lanes (roles,
	// faults, client operations) drawn under the picture.
	Lanes *Timeline `json:"lanes,omitempty"`
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

// recorder collects a timeline while a run goes. The raft-level and the
// member-level simulations both feed it; name says how a node's ID is
// written (it must match the IDs of the servers in the frames).
type recorder struct {
	tl        timeline
	lastFrame Time
	lastKey   string
	maxMsgs   int
	name      func(id uint64) string
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
		From: r.name(m.From), To: r.name(m.To), Type: m.Type.String(), Term: m.Term,
		At: now.Millis(), Entries: len(m.Entries), Reject: m.Reject,
	})
}

func (r *recorder) event(now Time, text string) {
	r.tl.Events = append(r.tl.Events, timelineEvent{T: now.Millis(), Text: text})
}

// due says whether a frame is worth recording: at once if key (what is
// visible at a glance: roles, terms, crashes, partitions) changed, and
// otherwise every frameEvery, which is smooth enough to scrub through.
func (r *recorder) due(now Time, key string) bool {
	return key != r.lastKey || now-r.lastFrame >= frameEvery
}

func (r *recorder) add(now Time, key string, servers []timelineServer) {
	r.lastKey, r.lastFrame = key, now
	r.tl.Frames = append(r.tl.Frames, timelineFrame{T: now.Millis(), Servers: servers})
}

func (r *recorder) json(title string, duration Time) []byte {
	r.tl.Title, r.tl.Duration = title, duration.Millis()
	b, _ := json.Marshal(r.tl)
	return b
}
