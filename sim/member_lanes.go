package sim

import (
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// Timeline is what the lanes of the HTML trace (ui/lanes.mjs) draw: one lane per
// member with its role and term over time, faults as spans, client
// operations as bars, and the messages of a chosen window as arrows.
// Times are virtual microseconds.
type Timeline struct {
	Seed        uint64      `json:"seed"`
	Members     []string    `json:"members"`
	Clients     int         `json:"clients"`
	Duration    Time        `json:"duration"`
	WindowStart Time        `json:"windowStart"`
	WindowEnd   Time        `json:"windowEnd"`
	HealAt      Time        `json:"healAt"`
	Roles       []RoleSpan  `json:"roles"`
	Faults      []FaultSpan `json:"faults"`
	Ops         []OpSpan    `json:"ops"`
	Msgs        []MsgArrow  `json:"msgs"`
	MsgsCut     int         `json:"msgsCut"`
	Violation   string      `json:"violation"`

	open      []int          // per member, index in Roles of its open span (-1: none)
	openFault map[string]int // by kind and lane, index in Faults
}

// RoleSpan is a stretch of time a member spent in one role and term (or
// down: Role "crashed", "removed" or "stopped").
type RoleSpan struct {
	Member int    `json:"m"`
	From   Time   `json:"from"`
	To     Time   `json:"to"`
	Role   string `json:"role"`
	Term   uint64 `json:"term"`
	ID     string `json:"id"`
}

// FaultSpan is a fault in force: on the network (Member -1) or one member.
type FaultSpan struct {
	Member int    `json:"m"`
	Kind   string `json:"kind"`
	From   Time   `json:"from"`
	To     Time   `json:"to"`
	Label  string `json:"label"`
}

// OpSpan is one client operation.
type OpSpan struct {
	Client  int    `json:"c"`
	From    Time   `json:"from"`
	To      Time   `json:"to"`
	Label   string `json:"label"`
	Outcome string `json:"outcome"`
}

// MsgArrow is one raft message, from sending to arrival.
type MsgArrow struct {
	From int    `json:"f"`
	To   int    `json:"t"`
	Sent Time   `json:"s"`
	Recv Time   `json:"r"`
	Type string `json:"type"`
}

// maxArrows bounds the arrows kept, so that a wide window stays drawable.
const maxArrows = 20000

func newTimeline(cfg MemberConfig) *Timeline {
	t := &Timeline{Seed: cfg.Seed, Duration: cfg.Duration, WindowStart: cfg.WindowStart, WindowEnd: cfg.WindowEnd,
		Clients: cfg.Clients + cfg.Leasers, openFault: map[string]int{}}
	for i := range cfg.Members {
		t.Members = append(t.Members, fmt.Sprintf("m%d", i+1))
		t.open = append(t.open, -1)
	}
	return t
}

func (t *Timeline) closeRole(i int, at Time) {
	if k := t.open[i]; k >= 0 {
		t.Roles[k].To = at
		t.open[i] = -1
	}
}

func (t *Timeline) setRole(s *memberSim, sl *slot, role string, term uint64) {
	if k := t.open[sl.idx]; k >= 0 && t.Roles[k].Role == role && t.Roles[k].Term == term {
		return
	}
	t.closeRole(sl.idx, s.now)
	t.Roles = append(t.Roles, RoleSpan{Member: sl.idx, From: s.now, To: -1, Role: role, Term: term, ID: fmt.Sprintf("%x", sl.id)})
	t.open[sl.idx] = len(t.Roles) - 1
}

func (t *Timeline) up(s *memberSim, sl *slot) { t.setRole(s, sl, "starting", 0) }
func (t *Timeline) down(s *memberSim, sl *slot, why string) {
	t.setRole(s, sl, why, 0)
}
func (t *Timeline) role(s *memberSim, sl *slot, role string, term uint64) {
	if sl.paused {
		role = "paused"
	}
	t.setRole(s, sl, role, term)
}

func (t *Timeline) faultStart(s *memberSim, kind, label string, lane int) {
	t.faultEnd(s, kind, lane)
	t.Faults = append(t.Faults, FaultSpan{Member: lane, Kind: kind, From: s.now, To: -1, Label: label})
	t.openFault[fmt.Sprint(kind, lane)] = len(t.Faults) - 1
}

func (t *Timeline) faultEnd(s *memberSim, kind string, lane int) {
	key := fmt.Sprint(kind, lane)
	if k, ok := t.openFault[key]; ok {
		t.Faults[k].To = s.now
		delete(t.openFault, key)
	}
}

// point records an instantaneous fault (a crash, a bit flip).
func (t *Timeline) point(s *memberSim, kind, label string, lane int) {
	t.Faults = append(t.Faults, FaultSpan{Member: lane, Kind: kind, From: s.now, To: s.now, Label: label})
}

func (t *Timeline) message(from, to *slot, m raft.Message, sent, recv Time) {
	if t.WindowEnd <= t.WindowStart || recv < t.WindowStart || sent > t.WindowEnd {
		return
	}
	if len(t.Msgs) >= maxArrows {
		t.MsgsCut++
		return
	}
	t.Msgs = append(t.Msgs, MsgArrow{From: from.idx, To: to.idx, Sent: sent, Recv: recv, Type: m.Type.String()})
}

// op records a client operation, drawn from its call to gaveUp: its
// answer, or when the client stopped waiting for one.
func (t *Timeline) op(r *opRecord, gaveUp Time) {
	o := map[outcome]string{outcomeOK: "ok", outcomeFailed: "failed", outcomeUnknown: "unknown"}[r.outcome]
	t.Ops = append(t.Ops, OpSpan{Client: r.client, From: r.call, To: gaveUp, Label: r.String(), Outcome: o})
}

func (t *Timeline) finish(s *memberSim) {
	for i := range t.open {
		t.closeRole(i, s.now)
	}
	for i := range t.Faults {
		if t.Faults[i].To < 0 {
			t.Faults[i].To = s.now
		}
	}
	t.HealAt = s.healAt
	t.Violation = s.violation
	t.open, t.openFault = nil, nil
}
