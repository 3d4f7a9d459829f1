package docs_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A quoted simulator run is there to show something — a leader cut off
// while another is elected, a torn WAL tail cut and the member catching
// up — and its quoted lines alone do not keep it showing that: when the
// code changes, a seed's story changes with it, and whoever re-quotes the
// new lines may not notice that the story is gone. So a page states what
// its run must show, in an HTML comment on the line before the code block
// (it does not appear on the rendered page):
//
//	<!-- shows: isolated-leader, two-leaders -->
//
// Each name is one of the situations below; the test runs the block's
// simulator command and checks, on everything it printed (not only the
// quoted lines), that the run tells that story, whatever its times and
// numbers. A name the test does not know, or a comment on a block with no
// simulator command, fails the page.
var situations = map[string]situation{
	"isolated-leader": {
		about: "a leader is cut off while it leads; another member is elected in a later term; the cut-off leader steps down before the network heals (CheckQuorum)",
		check: isolatedLeader(true),
	},
	"isolated-leader-until-heal": {
		about: "a leader is cut off while it leads; another member is elected in a later term; the cut-off leader steps down only once the network heals (no CheckQuorum)",
		check: isolatedLeader(false),
	},
	"two-leaders": {
		about: "a status line shows two members leading at once: the cut-off leader in its old term, the new one in a later term",
		check: twoLeaders,
	},
	"torn-tail": {
		about: "a member's disk fails in the middle of a write; its WAL ends in a torn write; it restarts, catches up with the leader, and is elected when the leader crashes",
		check: tornTail,
	},
	"snapshot-catch-up": {
		about: "a member is down while the leader compacts its log past the member's; restarted, it gets the leader's snapshot, restores it, and catches up",
		check: snapshotCatchUp,
	},
	"leader-crash-loses-write": {
		about: "the leader crashes with a disk write in flight, which is lost; another member is elected",
		check: leaderCrashLosesWrite,
	},
}

// checkShows: a step's situations are ones the test knows, on a
// simulator command.
func checkShows(st step) error {
	if len(st.shows) == 0 {
		return nil
	}
	if runnerFor(st.cmd) != runnerSim {
		return fmt.Errorf("\"<!-- shows: %s -->\" is for simulator runs", strings.Join(st.shows, ", "))
	}
	for _, name := range st.shows {
		if _, ok := situations[name]; !ok {
			known := slices.Sorted(maps.Keys(situations))
			return fmt.Errorf("the page says the run shows %q, a situation the docs test does not know (it knows %s)", name, strings.Join(known, ", "))
		}
	}
	return nil
}

type situation struct {
	about string
	// check returns what the run does not show of the story.
	check func(r simRun) []string
}

// showsComment is the comment that names what a block's run must show.
var showsComment = regexp.MustCompile(`^<!--\s*shows:\s*(.*?)\s*-->\s*$`)

// simRun is a simulator run's output, as lines with their virtual times.
type simRun struct {
	lines []runLine
}

type runLine struct {
	at   float64 // seconds; -1 for lines without a time (the summary)
	text string  // after the time
	log  bool    // a member's or raft's own log line (-v 2), indented
}

var timedLine = regexp.MustCompile(`^\s*(\d+\.\d{3})s  (.*)$`)

func parseRun(out string) simRun {
	var r simRun
	for _, l := range strings.Split(out, "\n") {
		m := timedLine.FindStringSubmatch(l)
		if m == nil {
			r.lines = append(r.lines, runLine{at: -1, text: strings.TrimSpace(l)})
			continue
		}
		at, _ := strconv.ParseFloat(m[1], 64)
		r.lines = append(r.lines, runLine{at: at, text: strings.TrimLeft(m[2], " "), log: strings.HasPrefix(m[2], "  ")})
	}
	return r
}

// find returns the index of the first trace line at or after from whose
// text matches re, and its submatches (-1 if none).
func (r simRun) find(from int, re *regexp.Regexp) (int, []string) {
	for i := max(from, 0); i < len(r.lines); i++ {
		if r.lines[i].log {
			continue
		}
		if m := re.FindStringSubmatch(r.lines[i].text); m != nil {
			return i, m
		}
	}
	return -1, nil
}

// findLog is find for the members' (or raft's) own log lines.
func (r simRun) findLog(from int, re *regexp.Regexp) (int, []string) {
	for i := max(from, 0); i < len(r.lines); i++ {
		if !r.lines[i].log {
			continue
		}
		if m := re.FindStringSubmatch(r.lines[i].text); m != nil {
			return i, m
		}
	}
	return -1, nil
}

func (r simRun) at(i int) string { return fmt.Sprintf("%.3fs", r.lines[i].at) }

// nodeStatus is one node's (member's) part of a status line:
// n1:L/t3/c44/a44 (raft level) or m2:L/t3/a145/r96 (member level).
type nodeStatus struct {
	role    string // L, F, C, P, l, Z, or down
	term    int
	applied int
}

var (
	statusLine = regexp.MustCompile(`^(?:[mn]\d+:\S+)(?: [mn]\d+:\S+)*$`)
	statusPart = regexp.MustCompile(`^([mn]\d+):(down|(\w)/t(\d+)(?:/c\d+)?/a(\d+)(?:/r\d+)?)$`)
)

// status parses line i as a status line (nil if it is not one).
func (r simRun) status(i int) map[string]nodeStatus {
	if r.lines[i].log || !statusLine.MatchString(r.lines[i].text) {
		return nil
	}
	out := map[string]nodeStatus{}
	for _, part := range strings.Fields(r.lines[i].text) {
		m := statusPart.FindStringSubmatch(part)
		if m == nil {
			return nil
		}
		if m[2] == "down" {
			out[m[1]] = nodeStatus{role: "down"}
			continue
		}
		term, _ := strconv.Atoi(m[4])
		applied, _ := strconv.Atoi(m[5])
		out[m[1]] = nodeStatus{role: m[3], term: term, applied: applied}
	}
	return out
}

// caughtUp returns the first status line at or after from in which node
// runs and has applied within a few entries of what the leader has.
func (r simRun) caughtUp(from int, node string) int {
	for i := max(from, 0); i < len(r.lines); i++ {
		st := r.status(i)
		if st == nil {
			continue
		}
		lead, term := "", -1
		for n, s := range st {
			if s.role == "L" && s.term > term {
				lead, term = n, s.term
			}
		}
		if me, ok := st[node]; ok && lead != "" && me.role != "down" && me.applied+10 >= st[lead].applied {
			return i
		}
	}
	return -1
}

// ledAt returns the term node was leading in at line i (0 if it was not
// leading), from the lines before i: its elections, step-downs and
// crashes, and the status lines.
func (r simRun) ledAt(i int, node string) int {
	elected := regexp.MustCompile(`^` + regexp.QuoteMeta(node) + ` became leader at term (\d+)$`)
	gone := regexp.MustCompile(`^(` + regexp.QuoteMeta(node) + ` stepped down|fault: crash ` + regexp.QuoteMeta(node) + `\b|` + regexp.QuoteMeta(node) + ` crashed)`)
	term := 0
	for j := 0; j < i; j++ {
		if r.lines[j].log {
			continue
		}
		if m := elected.FindStringSubmatch(r.lines[j].text); m != nil {
			term, _ = strconv.Atoi(m[1])
		} else if gone.MatchString(r.lines[j].text) {
			term = 0
		} else if st := r.status(j); st != nil {
			if me := st[node]; me.role == "L" {
				term = me.term
			} else {
				term = 0
			}
		}
	}
	return term
}

var (
	isolateLeader = regexp.MustCompile(`^fault: isolate leader ([mn]\d+)$`)
	becameLeader  = regexp.MustCompile(`^([mn]\d+) became leader at term (\d+)$`)
	healed        = regexp.MustCompile(`^(fault: heal network|all faults healed)`)
)

// isolated finds the isolation of a leader and the election that follows:
// the cut-off leader x (leading term t0 when cut off), the new leader y,
// its term t1 and the line of its election.
func (r simRun) isolated() (x string, t0 int, y string, t1 int, elected int, problems []string) {
	i, m := r.find(0, isolateLeader)
	if i < 0 {
		return "", 0, "", 0, -1, []string{"no leader is cut off (no \"fault: isolate leader\")"}
	}
	x = m[1]
	if t0 = r.ledAt(i, x); t0 == 0 {
		return x, 0, "", 0, -1, []string{fmt.Sprintf("%s was not leading when it was cut off at %s", x, r.at(i))}
	}
	for j := i; ; j++ {
		k, m := r.find(j, becameLeader)
		if k < 0 {
			return x, t0, "", 0, -1, []string{fmt.Sprintf("no other member is elected after %s is cut off", x)}
		}
		term, _ := strconv.Atoi(m[2])
		if m[1] != x && term > t0 {
			return x, t0, m[1], term, k, nil
		}
		j = k
	}
}

// isolatedLeader: the story of a leader cut off by a partition; beforeHeal
// says whether it must step down while still cut off (CheckQuorum) or only
// once the network heals.
func isolatedLeader(beforeHeal bool) func(simRun) []string {
	return func(r simRun) []string {
		x, _, y, _, elected, problems := r.isolated()
		if problems != nil {
			return problems
		}
		down, _ := r.find(elected, regexp.MustCompile(`^`+regexp.QuoteMeta(x)+` stepped down`))
		if down < 0 {
			return []string{fmt.Sprintf("%s, cut off, never steps down after %s is elected", x, y)}
		}
		heal, _ := r.find(elected, healed)
		switch {
		case beforeHeal && heal >= 0 && heal < down:
			return []string{fmt.Sprintf("%s steps down at %s, after the network healed at %s: CheckQuorum did not make it", x, r.at(down), r.at(heal))}
		case !beforeHeal && (heal < 0 || heal > down):
			return []string{fmt.Sprintf("%s steps down at %s while still cut off: the text says it leads until the network heals", x, r.at(down))}
		}
		return nil
	}
}

// twoLeaders: a status line, after the new leader's election, shows the
// cut-off leader and the new one both leading, in their two terms.
func twoLeaders(r simRun) []string {
	x, t0, y, t1, elected, problems := r.isolated()
	if problems != nil {
		return problems
	}
	for i := elected; i < len(r.lines); i++ {
		st := r.status(i)
		if st == nil {
			continue
		}
		if st[x].role == "L" && st[x].term == t0 && st[y].role == "L" && st[y].term == t1 {
			return nil
		}
		if st[x].role != "L" {
			break // the cut-off leader no longer leads
		}
	}
	return []string{fmt.Sprintf("no status line shows %s leading term %d and %s leading term %d at once", x, t0, y, t1)}
}

var (
	diskWillFail = regexp.MustCompile(`^fault: (m\d+)'s disk will fail after`)
	memberDown   = regexp.MustCompile(`^(m\d+) crashed: `)
)

// tornTail: a member's WAL is torn by a crash in the middle of a write;
// the member restarts, catches up, and is elected when the leader crashes.
func tornTail(r simRun) []string {
	i, m := r.find(0, diskWillFail)
	if i < 0 {
		return []string{"no member's disk fails in the middle of a write"}
	}
	x := m[1]
	torn, _ := r.find(i, regexp.MustCompile(`^`+x+` crashed: its disk failed in the middle of a write$`))
	if torn < 0 {
		return []string{fmt.Sprintf("%s does not crash in the middle of a write", x)}
	}
	wal, _ := r.find(torn, regexp.MustCompile(`^`+x+`'s WAL now ends in a torn write`))
	if wal < 0 {
		return []string{fmt.Sprintf("%s's crash at %s leaves no torn write at the end of its WAL", x, r.at(torn))}
	}
	back, _ := r.find(wal, regexp.MustCompile(`^`+x+` restarted`))
	if back < 0 {
		return []string{fmt.Sprintf("%s does not restart after its WAL was torn", x)}
	}
	up := r.caughtUp(back, x)
	if up < 0 {
		return []string{fmt.Sprintf("no status line shows %s caught up with the leader after its restart at %s", x, r.at(back))}
	}
	for j := up; ; j++ {
		k, m := r.find(j, memberDown)
		if k < 0 {
			return []string{fmt.Sprintf("no leader crashes after %s caught up", x)}
		}
		if lead := m[1]; lead != x && r.ledAt(k, lead) > 0 {
			if e, n := r.find(k, becameLeader); e < 0 || n[1] != x {
				return []string{fmt.Sprintf("%s is not the member elected after the leader %s crashed at %s", x, lead, r.at(k))}
			}
			return nil
		}
		j = k
	}
}

// snapshotCatchUp: a member down while the log it needs is compacted away
// is brought back by the leader's snapshot, at either level.
func snapshotCatchUp(r simRun) []string {
	down, m := r.find(0, regexp.MustCompile(`^(?:fault: crash (n\d+)|(m\d+) crashed: )`))
	if down < 0 {
		return []string{"no member crashes"}
	}
	x := m[1] + m[2]
	back, _ := r.find(down, regexp.MustCompile(`^(?:fault: restart `+x+`|`+x+` restarted)\b`))
	if back < 0 {
		return []string{fmt.Sprintf("%s does not restart", x)}
	}
	// While it was down, the leader compacted its log into a snapshot.
	compacted := regexp.MustCompile(`^(?:([mn]\d+) compacted its log at \d+|([mn]\d+): saved snapshot at index \d+)`)
	found := false
	for i := down; i < back; i++ {
		if m := compacted.FindStringSubmatch(r.lines[i].text); m != nil && r.ledAt(i, m[1]+m[2]) > 0 {
			found = true
		}
	}
	if !found {
		return []string{fmt.Sprintf("the leader does not compact its log while %s is down", x)}
	}
	restored, _ := r.find(back, regexp.MustCompile(`^`+x+` restored snapshot`))
	if restored < 0 {
		restored, _ = r.findLog(back, regexp.MustCompile(`^`+x+`: restored snapshot at index \d+ \(term \d+\) from the leader`))
	}
	if restored < 0 {
		return []string{fmt.Sprintf("%s restores no snapshot from the leader after its restart at %s", x, r.at(back))}
	}
	if r.caughtUp(restored, x) < 0 {
		return []string{fmt.Sprintf("no status line shows %s caught up with the leader after it restored the snapshot", x)}
	}
	return nil
}

// leaderCrashLosesWrite: the leader crashes with a write in flight, lost;
// another node is elected.
func leaderCrashLosesWrite(r simRun) []string {
	for j := 0; ; j++ {
		i, m := r.find(j, regexp.MustCompile(`^fault: crash (n\d+) \(a write in flight was lost\)$`))
		if i < 0 {
			return []string{"no leader crashes with a write in flight"}
		}
		if r.ledAt(i, m[1]) > 0 {
			if e, n := r.find(i, becameLeader); e < 0 || n[1] == m[1] {
				return []string{fmt.Sprintf("no other node is elected after the leader %s crashed", m[1])}
			}
			return nil
		}
		j = i
	}
}
