package sim

import (
	"strconv"
	"strings"
)

// A script drives a run step by step instead of at random, to stage one
// particular story: Figure 8, a vote forgotten in a crash, the torn WAL
// tail a regression was about. Each step waits for its condition (a leader
// elected, a write torn, some time passed), then acts (isolate the leader,
// crash it, reconnect a node) and says so in the trace. Nodes are named by
// the roles they played earlier in the story ("A" = the first leader),
// since who wins an election depends on the seed.
//
// Both simulations run scripts: S is what a step sees and changes —
// *RaftScript (raft_script.go) or *MemberScript (member_script.go).
//
// A step with Within set is a situation the story needs: if its condition
// does not hold within that time, the run fails ("script: ... did not
// happen"), rather than passing without ever having staged what it is
// about. A regression script must fail that way when the run no longer
// builds its situation — a seed just stops reproducing, silently.
type Step[S any] struct {
	// Say is the step's line in the trace; {A} stands for the name of the
	// node labelled A.
	Say string
	// After is the least time since the previous step acted.
	After Time
	// Until, if set, must hold before the step acts.
	Until func(S) bool
	// Within, if set, is how long after the previous step (and After) the
	// condition may take; past it, the run fails.
	Within Time
	// Do acts.
	Do func(S)
}

// scriptEvery is how often a script looks at the run.
const scriptEvery = 20 * Millisecond

// stepper walks through a script as the run goes.
type stepper[S any] struct {
	steps []Step[S]
	i     int
	at    Time // when the previous step acted
}

// scriptHost is the run a script drives: it traces the steps' lines, and
// fails when a situation does not arise in time (or a step found something
// wrong: then the script stops).
type scriptHost struct {
	say    func(string)
	fail   func(string)
	failed func() bool
}

// tick runs the steps that are due at now.
func (p *stepper[S]) tick(now Time, state S, h scriptHost) {
	for p.i < len(p.steps) && !h.failed() {
		st := p.steps[p.i]
		if now-p.at < st.After {
			return
		}
		if st.Until != nil && !st.Until(state) {
			if st.Within > 0 && now-p.at > st.After+st.Within {
				h.fail(p.missed(st))
			}
			return
		}
		if st.Do != nil {
			st.Do(state)
		}
		if st.Say != "" {
			h.say(st.Say)
		}
		p.at = now
		p.i++
	}
}

// unfinished reports, at the end of a run, a situation step that never
// happened (a step without Within may wait for ever).
func (p *stepper[S]) unfinished() string {
	if p.i < len(p.steps) && p.steps[p.i].Within > 0 {
		return p.missed(p.steps[p.i])
	}
	return ""
}

func (p *stepper[S]) missed(st Step[S]) string {
	what := st.Say
	if what == "" {
		what = "step " + strconv.Itoa(p.i+1)
	}
	return "script: not within " + strings.TrimSpace(st.Within.String()) + ": " + what
}

// labels name nodes by the roles they played in a story.
type labels struct {
	byName map[string]int
	name   func(node int) string
}

func newLabels(name func(int) string) labels {
	return labels{byName: map[string]int{}, name: name}
}

// Label names a node for later steps.
func (l labels) Label(name string, node int) { l.byName[name] = node }

// Node returns a labelled node (-1 if unknown).
func (l labels) Node(name string) int {
	if n, ok := l.byName[name]; ok {
		return n
	}
	return -1
}

// expand replaces {A} with the name of the node labelled A.
func (l labels) expand(text string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		j := strings.IndexByte(text[max(i, 0):], '}') + max(i, 0)
		if i < 0 || j <= i {
			b.WriteString(text)
			return b.String()
		}
		if n := l.Node(text[i+1 : j]); n >= 0 {
			b.WriteString(text[:i])
			b.WriteString(l.name(n))
		} else {
			b.WriteString(text[:j+1])
		}
		text = text[j+1:]
	}
}
