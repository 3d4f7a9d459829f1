package compat

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The walkthrough of the book's chapter on authentication (docs/auth.md)
// is written for raftkvctl and run by the docs test against `make
// cluster`; here its raftkvctl commands run with etcd's etcdctl instead,
// against a new cluster of the harness's own, and must print what the page
// quotes — read by the docs test's rules (docs/steps_test.go): the
// non-blank lines under a "$ " command are output it must print, in that
// order, "…" standing for any text within a line; a command fails exactly
// when its quoted output shows "Error:". What the page shows that does not
// concern etcdctl (curl on the JSON gateway, go test) is not run here.
//
// etcdctl prints every line the page quotes (and the same lines against
// etcd 3.7.3, COMPAT_SERVER): nothing of the walkthrough needs telling
// apart. If a line ever does, the way is an explicit replacement for that
// one command, with the reason — never a looser match.
func TestDocs_AuthWalkthroughWithEtcdctl(t *testing.T) {
	steps := readPageSteps(t, filepath.Join(progs.repo, "docs", "auth.md"))
	c := startClusterWith(t, 3, clusterOptions{flags: fastBcrypt})
	e := etcdctl(t)
	env := c.etcdctlEnv()
	ran := 0
	for _, st := range steps {
		line, ok := strings.CutPrefix(st.cmd, "bin/raftkvctl ")
		if !ok {
			continue
		}
		ran++
		want := st.want
		r := e.run(t, "etcdctl "+line, env...)
		out := r.stdout + withoutLogs(r.stderr)
		failed := r.code != 0
		if shows := showsError(want); failed != shows {
			t.Errorf("%s: exit code %d, but the page shows it %s\n%s", st, r.code, map[bool]string{true: "failing", false: "succeeding"}[shows], out)
			continue
		}
		if missing := missingInOrder(out, want); len(missing) > 0 {
			t.Errorf("%s: etcdctl does not print %q (in the order quoted)\nit printed:\n%s", st, missing, out)
		}
	}
	require.GreaterOrEqual(t, ran, 20, "the walkthrough's raftkvctl commands")
}

// pageStep is one "$ " command of a page and the output lines it quotes.
type pageStep struct {
	line int
	cmd  string
	want []string
}

func (s pageStep) String() string { return "docs/auth.md:" + strconv.Itoa(s.line) + ": " + s.cmd }

// readPageSteps reads a page's commands as docs/steps_test.go does: in a
// fenced block, "$ " starts a command (continued by a trailing
// backslash), and the non-blank lines under it up to the next command or
// the block's end are its quoted output.
func readPageSteps(t *testing.T, path string) []pageStep {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var steps []pageStep
	inBlock := false
	current := -1
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock, current = !inBlock, -1
			continue
		}
		if !inBlock {
			continue
		}
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, pageStep{line: n, cmd: cmd})
			current = len(steps) - 1
			continue
		}
		if current < 0 {
			continue
		}
		if st := &steps[current]; len(st.want) == 0 && strings.HasSuffix(st.cmd, "\\") {
			st.cmd = strings.TrimSpace(strings.TrimSuffix(st.cmd, "\\")) + " " + strings.TrimSpace(line)
			continue
		}
		if strings.TrimSpace(line) != "" {
			steps[current].want = append(steps[current].want, strings.TrimSpace(line))
		}
	}
	require.NoError(t, sc.Err())
	return steps
}

// showsError reports whether quoted output shows the command failing, in
// etcdctl's "Error: ..." form.
func showsError(want []string) bool {
	for _, w := range want {
		if strings.HasPrefix(w, "Error:") {
			return true
		}
	}
	return false
}

// missingInOrder returns the wanted lines that out does not contain in
// the order given, each after the one before; "…" in a line matches any
// text within one line of out.
func missingInOrder(out string, want []string) []string {
	var missing []string
	from := 0
	for _, w := range want {
		parts := strings.Split(w, "…")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		loc := regexp.MustCompile(strings.Join(parts, `[^\n]*?`)).FindStringIndex(out[from:])
		if loc == nil {
			missing = append(missing, w)
			continue
		}
		from += loc[1]
	}
	return missing
}
