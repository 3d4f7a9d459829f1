// Package docs_test runs the commands of the README and the book, so the
// text cannot drift from the code.
//
// The convention the pages follow: inside a fenced code block, a line that
// starts with "$ " is a command, and the non-blank lines under it, up to the
// next command or the end of the block, are output it must print (each
// line must appear in what it prints, in the order quoted; see anyOrder
// for the exceptions). Blocks without
// "$ " lines — config files, directory layouts, commands that need root —
// are illustrations and are not run. A "<!-- shows: ... -->" line right
// before a block names what its simulator run must show beyond the quoted
// lines (situations_test.go).
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// step is one "$ command" of a page, with the output lines quoted under it,
// and the situations its run must show (situations_test.go).
type step struct {
	file  string
	line  int
	cmd   string
	want  []string
	shows []string
}

func (s step) String() string { return fmt.Sprintf("%s:%d: %s", filepath.Base(s.file), s.line, s.cmd) }

// readSteps returns the commands of one page, in order.
func readSteps(t *testing.T, path string) []step {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	inBlock := false
	// current is the step whose output the next lines quote; output
	// belongs to a command only within the same code block.
	current := -1
	// shows is what the runs of the next block (or the current one) must
	// show, from a "<!-- shows: ... -->" line right before it.
	var shows, nextShows []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			current = -1
			shows, nextShows = nextShows, nil
			if !inBlock {
				shows = nil
			}
			continue
		}
		if !inBlock {
			nextShows = nil
			if m := showsComment.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				for _, name := range strings.Split(m[1], ",") {
					nextShows = append(nextShows, strings.TrimSpace(name))
				}
			}
			continue
		}
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, step{file: path, line: n, cmd: cmd, shows: shows})
			current = len(steps) - 1
			continue
		}
		// A command continued with a trailing backslash, as in a shell.
		if current >= 0 && len(steps[current].want) == 0 && strings.HasSuffix(steps[current].cmd, "\\") {
			steps[current].cmd = strings.TrimSpace(strings.TrimSuffix(steps[current].cmd, "\\")) + " " + strings.TrimSpace(line)
			continue
		}
		if current >= 0 && strings.TrimSpace(line) != "" {
			steps[current].want = append(steps[current].want, strings.TrimSpace(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// pages is README.md and every page of the book.
func pages(t *testing.T) []string {
	t.Helper()
	book, err := filepath.Glob("*.md")
	if err != nil || len(book) == 0 {
		t.Fatalf("no pages found in docs/: %v", err)
	}
	sort.Strings(book)
	return append([]string{"../README.md"}, book...)
}

// A quoted line may hold values that differ from run to run. Two kinds are
// understood: "…" stands for any text within the line, and a 16-digit hex
// number (a lease or member ID, as etcdctl prints them) stands for whatever
// ID is printed there — and then for that same ID wherever the page uses it
// again, in later commands and quoted lines.
//
// etcdctl prints member IDs with %x or %16x, not %016x, so an ID whose first
// hex digits are zeros comes out shorter, or padded with spaces ("Member
// 59cded6edeb2e8a added", "Member  59cded6edeb2e8a added"); the ID in the
// page matches those too (printedID).
var hexID = regexp.MustCompile(`\b[0-9a-f]{16}\b`)

// printedID is what a page's ID matches in the output: up to 16 hex digits,
// after any padding.
const printedID = ` *([0-9a-f]{1,16})`

// ids maps the IDs a page shows to the ones this run printed.
type ids map[string]string

// apply rewrites the page's IDs in a command into this run's.
func (m ids) apply(cmd string) string {
	return hexID.ReplaceAllStringFunc(cmd, func(id string) string {
		if got, ok := m[id]; ok {
			return got
		}
		return id
	})
}

// missingFrom returns the lines a step quotes that its output out lacks:
// in the order quoted, but for the commands whose lines come in an order
// no page can quote (anyOrder).
func (m ids) missingFrom(st step, out string) []string {
	if statusTable.MatchString(st.cmd) {
		return missingRows(out, st.want)
	}
	if !anyOrder.MatchString(st.cmd) {
		return m.missing(out, st.want)
	}
	var missing []string
	for _, w := range st.want {
		missing = append(missing, m.missing(out, []string{w})...)
	}
	return missing
}

// anyOrder matches the commands whose output lines come in an order that
// changes from run to run: member and lease lists are sorted by IDs drawn
// anew for each run, and endpoint health prints the answers as they come.
var anyOrder = regexp.MustCompile(`\b(member list|lease list|endpoint health)\b`)

// statusTable matches the commands that print a table of the members'
// figures — terms, commit and applied indexes — which a page quotes from
// one run and no other run repeats (another election, another write).
var statusTable = regexp.MustCompile(`^make status$`)

// missingRows returns the rows of a table that out lacks, where a figure in
// the page (a column of digits) stands for any figure, and columns may be
// as wide as their contents make them. The words — names, roles, URLs,
// "down" — must be as quoted. The header comes first; the rows, one per
// member in the members' order, in any order: a run whose members play
// other parts than the page's lists them in another (see cluster.perm).
func missingRows(out string, want []string) []string {
	var missing []string
	from := 0 // where the header ends
	for i, w := range want {
		var cols []string
		for _, f := range strings.Fields(w) {
			if strings.Trim(f, "0123456789") == "" {
				cols = append(cols, `[0-9]+`)
			} else {
				cols = append(cols, literal(f))
			}
		}
		loc := regexp.MustCompile(`(?m)^` + strings.Join(cols, ` +`) + ` *$`).FindStringIndex(out[from:])
		if loc == nil {
			missing = append(missing, w)
			continue
		}
		if i == 0 {
			from = loc[1]
		}
	}
	return missing
}

// missing returns the wanted lines that out does not contain in the order
// the page quotes them (each after the one before), binding the IDs of
// those it does.
func (m ids) missing(out string, want []string) []string {
	var missing []string
	from := 0 // where the next wanted line is looked for
	for _, w := range want {
		var pattern strings.Builder
		var unbound []string
		last := 0
		for _, loc := range hexID.FindAllStringIndex(w, -1) {
			pattern.WriteString(literal(w[last:loc[0]]))
			id := w[loc[0]:loc[1]]
			if got, ok := m[id]; ok {
				pattern.WriteString(` *` + regexp.QuoteMeta(got))
			} else {
				pattern.WriteString(printedID)
				unbound = append(unbound, id)
			}
			last = loc[1]
		}
		pattern.WriteString(literal(w[last:]))
		loc := regexp.MustCompile(pattern.String()).FindStringSubmatchIndex(out[from:])
		if loc == nil {
			missing = append(missing, w)
			continue
		}
		for i, id := range unbound {
			m[id] = out[from+loc[2*i+2] : from+loc[2*i+3]]
		}
		from += loc[1]
	}
	return missing
}

// literal quotes text for a regexp, with "…" matching any text on a line.
func literal(text string) string {
	parts := strings.Split(text, "…")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return strings.Join(parts, `[^\n]*?`)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
