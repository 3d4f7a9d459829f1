package sim

import (
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// RaftStep is one step of a raft-level script (script.go).
type RaftStep = Step[*RaftScript]

// RaftScript is what a raft-level script's step sees and changes. Nodes
// are numbered from 0, as in fault schedules.
type RaftScript struct {
	labels
	s *raftSim
	// cut holds the nodes a script has isolated; other links stay up.
	cut map[int]bool
	stepper[*RaftScript]
}

func newRaftScript(s *raftSim) *RaftScript {
	sc := &RaftScript{s: s, cut: map[int]bool{}, stepper: stepper[*RaftScript]{steps: s.cfg.Script}}
	sc.labels = newLabels(sc.Name)
	return sc
}

// Leader returns the node that leads now (-1 if none).
func (sc *RaftScript) Leader() int { return sc.s.leaderIndex() }

// Isolate cuts a node off from every other node.
func (sc *RaftScript) Isolate(node int) {
	sc.cut[node] = true
	sc.applyCuts()
}

// Reconnect restores a node's links (to nodes that are not isolated).
func (sc *RaftScript) Reconnect(node int) {
	delete(sc.cut, node)
	sc.applyCuts()
}

func (sc *RaftScript) applyCuts() {
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
func (sc *RaftScript) Crash(node int)   { sc.s.crash(sc.s.nodes[node]) }
func (sc *RaftScript) Restart(node int) { sc.s.restart(sc.s.nodes[node]) }

// Role returns a node's current role.
func (sc *RaftScript) Role(node int) raft.StateType {
	n := sc.s.nodes[node]
	if !n.up {
		return raft.StateFollower
	}
	return n.node.Status().State
}

// LastGrant returns the newest vote granted: voter, candidate (node
// indexes) and term; term 0 if none yet.
func (sc *RaftScript) LastGrant() (voter, candidate int, term uint64) {
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
func (sc *RaftScript) Term(node int) uint64 {
	n := sc.s.nodes[node]
	if !n.up {
		return 0
	}
	return n.node.Status().Term
}

// Fail reports a violation the script itself checks.
func (sc *RaftScript) Fail(format string, args ...any) {
	sc.s.check.fail(format, args...)
}

// Name is a node's name in the trace.
func (sc *RaftScript) Name(node int) string { return fmt.Sprintf("n%d", node+1) }

// scriptTick runs every few milliseconds of virtual time.
func (s *raftSim) scriptTick() {
	sc := s.script
	sc.tick(s.now, sc, scriptHost{
		say:    func(line string) { s.tracef("script: %s", sc.expand(line)) },
		fail:   func(why string) { s.check.fail("%s", sc.expand(why)) },
		failed: func() bool { return s.check.violation != "" },
	})
}
