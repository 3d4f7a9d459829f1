package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/server"
)

// MemberStep is one step of a member-level script (script.go).
type MemberStep = Step[*MemberScript]

// MemberScript is what a member-level script's step sees and changes: the
// members (by slot, numbered from 0), the network, the disks, the operator
// and the clients. A scripted run has no random faults unless its
// configuration asks for them; the clients still run, at random, so that
// the story happens under load and the end-of-run checks have a history to
// judge.
type MemberScript struct {
	labels
	s *memberSim
	// cut holds the slots a script has isolated; other links stay up.
	cut map[int]bool
	// oneWay holds the links a script has cut in one direction.
	oneWay map[[2]int]bool
	// logged is every line the members logged, for Logged.
	logged []loggedLine
	// watch, if set, sees every message a member sends, as it leaves.
	watch func(from int, m raft.Message)
	stepper[*MemberScript]
}

type loggedLine struct {
	slot int
	at   Time
	text string
}

func newMemberScript(s *memberSim) *MemberScript {
	sc := &MemberScript{s: s, cut: map[int]bool{}, oneWay: map[[2]int]bool{}, stepper: stepper[*MemberScript]{steps: s.cfg.Script}}
	sc.labels = newLabels(sc.Name)
	return sc
}

// scriptTick runs every few milliseconds of virtual time.
func (s *memberSim) scriptTick() {
	sc := s.script
	sc.tick(s.now, sc, scriptHost{
		say:    func(line string) { s.tracef("script: %s", sc.expand(line)) },
		fail:   func(why string) { s.fail("%s", sc.expand(why)) },
		failed: func() bool { return s.violation != "" },
	})
}

// Name is a member's name (its machine's): m1, m2, ...
func (sc *MemberScript) Name(i int) string { return sc.s.slots[i].name }

// Members is the number of slots (machines).
func (sc *MemberScript) Members() int { return len(sc.s.slots) }

// Member returns the member running on slot i, nil if it is down.
func (sc *MemberScript) Member(i int) *server.Member { return sc.s.slots[i].m }

// Up reports whether a member runs on slot i.
func (sc *MemberScript) Up(i int) bool { return sc.s.slots[i].m != nil }

// Leader returns the slot of the member that leads in the highest term (-1
// if none).
func (sc *MemberScript) Leader() int {
	if l := sc.s.leader(); l != nil {
		return l.idx
	}
	return -1
}

// Other returns the first slot, after i, that is none of except.
func (sc *MemberScript) Other(i int, except ...int) int {
	for k := 1; k <= len(sc.s.slots); k++ {
		j := (i + k) % len(sc.s.slots)
		if j != i && !slices.Contains(except, j) {
			return j
		}
	}
	return -1
}

// Isolate cuts slot i off from every other slot.
func (sc *MemberScript) Isolate(i int) {
	sc.cut[i] = true
	sc.applyCuts()
}

// Reconnect restores slot i's links (to slots that are not isolated).
func (sc *MemberScript) Reconnect(i int) {
	delete(sc.cut, i)
	sc.applyCuts()
}

// CutOneWay stops messages from slot from to slot to (not back).
func (sc *MemberScript) CutOneWay(from, to int) {
	sc.oneWay[[2]int{from, to}] = true
	sc.applyCuts()
}

// HealNetwork restores every link.
func (sc *MemberScript) HealNetwork() {
	clear(sc.cut)
	clear(sc.oneWay)
	sc.applyCuts()
}

func (sc *MemberScript) applyCuts() {
	n := sc.s.net
	n.heal()
	for i := range sc.cut {
		for j := range n.nodes {
			if j != i {
				n.cut(i, j)
			}
		}
	}
	for l := range sc.oneWay {
		n.blocked[l[0]][l[1]] = true
	}
}

// Crash stops the member on slot i: a power failure, its unsynced writes
// kept, lost or torn as the disk decides.
func (sc *MemberScript) Crash(i int) { sc.s.crash(sc.s.slots[i], "power failure", false) }

// FailDiskAfter makes slot i's disk fail after n more writes: the member
// stops in the middle of a write (its WAL's or a snapshot's), and the
// power goes — the way torn tails happen.
func (sc *MemberScript) FailDiskAfter(i, n int) { sc.s.slots[i].disk.FailAfter(n) }

// Restart starts slot i's member again from its disk.
func (sc *MemberScript) Restart(i int) {
	sl := sc.s.slots[i]
	sc.s.restart(sl, sl.corrupted)
}

// FsyncTakes makes every fsync of slot i's disk take d (0: as usual).
func (sc *MemberScript) FsyncTakes(i int, d Time) { sc.s.slots[i].fsyncTakes = d }

// Replace has the operator replace slot i's member (member remove, wipe,
// member add --learner, start, member promote), as it replaces a damaged
// one. It does nothing while another replacement is under way.
func (sc *MemberScript) Replace(i int) bool {
	s := sc.s
	if s.op.phase != opIdle {
		return false
	}
	sl := s.slots[i]
	s.op = operator{phase: opRemoving, sl: sl, oldID: sl.id, why: "the script asks for it"}
	s.res.Stats.Replacements++
	s.tracef("operator: replacing %s (member %x): %s", sl.name, sl.id, s.op.why)
	return true
}

// Replacing reports whether the operator is still replacing or moving a
// member.
func (sc *MemberScript) Replacing() bool { return sc.s.op.phase != opIdle }

// Logged reports whether the member on slot i logged a line containing
// text since the run began (in any of its lives).
func (sc *MemberScript) Logged(i int, text string) bool {
	for _, l := range sc.logged {
		if l.slot == i && strings.Contains(l.text, text) {
			return true
		}
	}
	return false
}

// Fail reports that what the script checks does not hold.
func (sc *MemberScript) Fail(format string, args ...any) { sc.s.fail(format, args...) }

// Note writes a line of the script's own in the trace.
func (sc *MemberScript) Note(format string, args ...any) {
	sc.s.tracef("script: %s", sc.expand(fmt.Sprintf(format, args...)))
}

// Now is the run's virtual time.
func (sc *MemberScript) Now() Time { return sc.s.now }
