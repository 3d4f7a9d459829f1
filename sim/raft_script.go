package sim

import (
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// A script drives a run step by step instead of at random, to stage a
// particular story — Figure 8, say. Each step waits for its condition (a
// leader elected, some time passed), then acts (isolate the leader, crash
// it, reconnect a node) and says so in the trace. Nodes are named by roles
// they played earlier in the story ("A" = the first leader), since who wins
// an election depends on the seed.
type ScriptStep struct {
	// Say is the step's line in the trace.
	Say string
	// After is the least time since the previous step.
	After Time
	// Until, if set, must hold before the step acts.
	Until func(sc *ScriptState) bool
	// Do acts.
	Do func(sc *ScriptState)
}

// ScriptState is what a step sees and changes.
type ScriptState struct {
	s      *raftSim
	labels map[string]int
	// cut holds the nodes a script has isolated; other links stay up.
	cut map[int]bool
	i   int
	at  Time // when the previous step acted
}

// Leader returns the node that leads now (-1 if none).
func (sc *ScriptState) Leader() int { return sc.s.leaderIndex() }

// Label names a node for later steps.
func (sc *ScriptState) Label(name string, node int) { sc.labels[name] = node }

// Node returns a labelled node (-1 if unknown).
func (sc *ScriptState) Node(name string) int {
	if n, ok := sc.labels[name]; ok {
		return n
	}
	return -1
}

// Isolate cuts a node off from every other node.
func (sc *ScriptState) Isolate(node int) {
	sc.cut[node] = true
	sc.applyCuts()
}

// Reconnect restores a node's links (to nodes that are not isolated).
func (sc *ScriptState) Reconnect(node int) {
	delete(sc.cut, node)
	sc.applyCuts()
}

func (sc *ScriptState) applyCuts() {
	n := sc.s.net
	n.heal()
	for node := range sc.cut {
		for other := range n.nodes {
			if other != node {
				n.cut(node, other)
			}
		}
	}
}

// Crash and Restart a node.
func (sc *ScriptState) Crash(node int)   { sc.s.crash(sc.s.nodes[node]) }
func (sc *ScriptState) Restart(node int) { sc.s.restart(sc.s.nodes[node]) }

// Role returns a node's current role.
func (sc *ScriptState) Role(node int) raft.StateType {
	n := sc.s.nodes[node]
	if !n.up {
		return raft.StateFollower
	}
	return n.node.Status().State
}

// LastGrant returns the newest vote granted: voter, candidate (node
// indexes) and term; term 0 if none yet.
func (sc *ScriptState) LastGrant() (voter, candidate int, term uint64) {
	g := sc.s.lastGrant
	if g.term == 0 {
		return -1, -1, 0
	}
	v, c := sc.s.nodeByID(g.voter), sc.s.nodeByID(g.candidate)
	if v == nil || c == nil {
		return -1, -1, 0
	}
	return v.idx, c.idx, g.term
}

// Term returns a node's current term (0 if it is down).
func (sc *ScriptState) Term(node int) uint64 {
	n := sc.s.nodes[node]
	if !n.up {
		return 0
	}
	return n.node.Status().Term
}

// Fail reports a violation the script itself checks.
func (sc *ScriptState) Fail(format string, args ...any) {
	sc.s.check.fail(format, args...)
}

// Name is a node's name in the trace.
func (sc *ScriptState) Name(node int) string { return fmt.Sprintf("n%d", node+1) }

// scriptEvery is how often a script looks at the run.
const scriptEvery = 20 * Millisecond

// scriptTick runs every few milliseconds of virtual time.
func (s *raftSim) scriptTick() {
	sc := s.script
	for sc.i < len(s.cfg.Script) {
		st := s.cfg.Script[sc.i]
		if s.now-sc.at < st.After || (st.Until != nil && !st.Until(sc)) {
			return
		}
		if st.Do != nil {
			st.Do(sc)
		}
		if st.Say != "" {
			s.tracef("script: %s", expandLabels(st.Say, sc))
		}
		sc.at = s.now
		sc.i++
	}
}

// expandLabels replaces {A} with the name of the node labelled A.
func expandLabels(text string, sc *ScriptState) string {
	out := []byte{}
	for i := 0; i < len(text); i++ {
		if text[i] == '{' {
			if j := indexByteFrom(text, '}', i); j > i {
				if n := sc.Node(text[i+1 : j]); n >= 0 {
					out = append(out, sc.Name(n)...)
					i = j
					continue
				}
			}
		}
		out = append(out, text[i])
	}
	return string(out)
}

func indexByteFrom(s string, c byte, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
