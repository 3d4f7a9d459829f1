package compat

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// transcriptStep is one block of etcdctl's transcript against etcd
// (shared/reference/etcdctl.md): the command as the block's first line
// shows it, and what it printed, stdout and stderr together, with the
// transcript's annotations ("# ...", "[exit code N]").
type transcriptStep struct {
	cmd, out string
}

func readTranscript(t *testing.T) []transcriptStep {
	t.Helper()
	data, err := os.ReadFile(sharedFile(t, "reference/etcdctl.md"))
	require.NoError(t, err)
	var steps []transcriptStep
	for _, b := range strings.Split(string(data), "```\n$ ")[1:] {
		cmd, rest, _ := strings.Cut(b, "\n")
		body, _, _ := strings.Cut(rest, "```")
		steps = append(steps, transcriptStep{cmd, body})
	}
	return steps
}

// sideBySide reports whether a step ran with others at once (a watch and
// another shell's writes; two lock holders; a candidate and an observer):
// its block is annotated.
func (s transcriptStep) sideBySide() bool {
	return strings.HasPrefix(s.out, "# ") || strings.Contains(s.out, "\n# ")
}

// printed is what the step printed, without the annotations (and the
// commands run beside it), and the exit code the transcript gives (0 if
// none).
func (s transcriptStep) printed() (string, int) {
	code := 0
	var lines []string
	for _, l := range strings.SplitAfter(s.out, "\n") {
		if m := regexp.MustCompile(`^\[.*exit code (\d+)\]`).FindStringSubmatch(l); m != nil {
			fmt.Sscan(m[1], &code)
			continue
		}
		if held, ok := strings.CutPrefix(l, "# first holder printed: "); ok {
			// What the first lock holder printed, as an annotation.
			lines = append(lines, held)
			continue
		}
		if strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "$ ") || l == "" {
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, ""), code
}

// replayed is what one CLI printed for one step of the transcript.
type replayed struct {
	step transcriptStep
	out  string
	code int
}

// The transcript's endpoints.
var transcriptEndpoints = []string{"127.0.0.1:22379", "127.0.0.1:22389", "127.0.0.1:22399"}

// replayTranscript runs the transcript's steps, in its order, with c
// against a new cluster laid out as the transcript's was (three members,
// m1 leading, every endpoint in ETCDCTL_ENDPOINTS), so that every
// revision of the run is the transcript's.
func replayTranscript(t *testing.T, c cli, steps []transcriptStep) []replayed {
	t.Helper()
	cl := startCluster(t, 3)
	leader := cl.waitLeader()
	if leader != cl.members[0] {
		_, err := cl.client(leader.clientURL).MoveLeader(callCtx(t), cl.memberID(cl.members[0]))
		require.NoError(t, err, "make m1 the leader, as in the transcript")
		require.Equal(t, cl.members[0], cl.waitLeader())
	}
	var endpoints, urls []string
	replace := []string{}
	for i, m := range cl.members {
		ep := strings.TrimPrefix(m.clientURL, "http://")
		endpoints = append(endpoints, ep)
		urls = append(urls, m.clientURL)
		replace = append(replace, transcriptEndpoints[i], ep)
	}
	env := []string{c.envPrefix + "ENDPOINTS=" + strings.Join(endpoints, ",")}
	watcher := cl.client(cl.members[0].clientURL)

	var out []replayed
	for _, s := range steps {
		line := strings.NewReplacer(replace...).Replace(s.cmd)
		if !s.sideBySide() {
			r := c.run(t, line, env...)
			out = append(out, replayed{s, r.stdout + r.stderr, r.code})
			if s.cmd == "etcdctl lease grant 60" {
				// Later steps name the lease by the transcript's ID.
				if m := regexp.MustCompile(`^lease ([0-9a-f]+) granted`).FindStringSubmatch(r.stdout); m != nil {
					replace = append(replace, "535ba20c03067310", m[1])
				}
			}
			continue
		}
		out = append(out, replayed{s, runSideBySide(t, c, s, line, env, urls, watcher), 0})
	}
	return out
}

// runSideBySide runs a step the transcript ran beside others, and returns
// what it printed in the transcript's layout.
func runSideBySide(t *testing.T, c cli, s transcriptStep, line string, env, urls []string, kv *clientv3.Client) string {
	t.Helper()
	var others []string // the other shell's commands
	for _, l := range strings.Split(s.out, "\n") {
		if cmd, ok := strings.CutPrefix(l, "# (other shell) $ "); ok {
			cmd, _, _ = strings.Cut(cmd, "->")
			others = append(others, strings.TrimSpace(cmd))
		}
	}
	want, _ := s.printed()
	switch {
	case strings.Contains(s.cmd, " watch ") && len(others) > 0:
		// A watch, while another shell writes: once it is in place.
		before := watchers(t, urls)
		w := c.start(t, line, env...)
		waitWatchers(t, urls, before+1, w)
		for _, o := range others {
			if r := c.run(t, o, env...); r.code != 0 {
				t.Errorf("%s (beside %s): %+v", o, line, r)
			}
		}
		lines := strings.Count(want, "\n")
		require.Eventually(t, func() bool { return strings.Count(w.out.String(), "\n") >= lines || w.exited() },
			waitLimit, pollEvery, "%s to print as many lines as etcdctl printed against etcd", line)
		w.stop(t, syscall.SIGTERM) // as timeout(1) ended it
		return w.out.String() + w.errOut.String()
	case strings.HasPrefix(s.cmd, "etcdctl lock mylock   # first holder"):
		// A second client asks for the lock while the first holds it,
		// and gets it when the first ends.
		first := c.start(t, "etcdctl lock mylock", env...)
		require.Eventually(t, func() bool { return strings.HasSuffix(first.out.String(), "\n\n") || first.exited() },
			waitLimit, pollEvery, "the first holder of mylock to print its key")
		second := c.start(t, "etcdctl lock mylock echo got-it", env...)
		require.Eventually(t, func() bool {
			return countUnder(t, kv, "mylock/") == 2 || second.exited()
		}, waitLimit, pollEvery, "the second client to queue for mylock")
		assert.False(t, second.exited(), "the second client ended while the first held the lock: %q", second.out.String())
		first.stop(t, syscall.SIGTERM) // as timeout(1) ended it
		require.Eventually(t, second.exited, waitLimit, pollEvery, "the second client to take the lock and run its command")
		// The transcript shows the key the first printed, then the
		// second's output.
		return strings.TrimSpace(first.out.String()+first.errOut.String()) + "\n" + second.out.String() + second.errOut.String()
	case strings.HasPrefix(s.cmd, "etcdctl elect myelection p1"):
		// A candidate leads; an observer sees it.
		p1 := c.start(t, "etcdctl elect myelection p1", env...)
		require.Eventually(t, func() bool { return strings.HasSuffix(p1.out.String(), "\np1\n") || p1.exited() },
			waitLimit, pollEvery, "p1 to lead myelection")
		observer := c.start(t, "etcdctl elect -l myelection", env...)
		require.Eventually(t, func() bool { return strings.HasSuffix(observer.out.String(), "\np1\n") || observer.exited() },
			waitLimit, pollEvery, "the observer to see p1 lead")
		observer.stop(t, syscall.SIGTERM) // as timeout(1) ended them, the observer first
		p1.stop(t, syscall.SIGTERM)
		return p1.out.String() + p1.errOut.String() + observer.out.String() + observer.errOut.String()
	}
	t.Fatalf("%s: a step run beside others that this test does not know how to run", s.cmd)
	return ""
}

// comparable is a step's output made comparable across clusters: what
// must differ hidden, listings in the order of random IDs sorted.
func comparable(cmd, out string) string {
	switch cmd {
	case "etcdctl member list -w json":
		out = membersByName(out)
	case "etcdctl endpoint status --cluster -w table":
		// Listed in the order of the members' random IDs.
		out = sortedLines(normalize(out))
	}
	out = normalize(out)
	switch cmd {
	case "etcdctl member list", "etcdctl member list -w table":
		out = sortedLines(out)
	}
	return out
}

// The real etcdctl replays its own transcript against etcd — every step,
// in order, against a new raftkv cluster laid out as etcd's was — and must
// print what it printed against etcd, but for what must differ between two
// clusters (normalize): raftkv answers every call as etcd did, with the
// same revisions, counts, TTLs, errors (gRPC code and words) and hashes.
// raftkvctl replays it too, and must print what etcdctl printed against
// raftkv.
func TestTranscript_EtcdctlAgainstRaftkv(t *testing.T) {
	steps := readTranscript(t)
	require.GreaterOrEqual(t, len(steps), 50, "steps in etcdctl's transcript")
	got := replayTranscript(t, etcdctl(t), steps)
	for _, r := range got {
		want, wantCode := r.step.printed()
		if r.step.sideBySide() {
			// The transcript shows the side-by-side steps' output between
			// annotations; the exit codes are timeout's.
			r.code = wantCode
		}
		if r.code != wantCode {
			t.Errorf("%s: exit %d, etcdctl against etcd exited %d; output %q", r.step.cmd, r.code, wantCode, r.out)
		}
		if strings.Contains(want, "remaining(") {
			checkRemainingTTL(t, r.step.cmd, r.out)
		}
		if diff := cmp.Diff(comparable(r.step.cmd, want), comparable(r.step.cmd, r.out)); diff != "" {
			t.Errorf("%s (-against etcd +against raftkv, normalized):\n%s", r.step.cmd, diff)
		}
	}

	t.Run("raftkvctl", func(t *testing.T) {
		ours := replayTranscript(t, raftkvctl(), steps)
		for i, r := range ours {
			e := got[i]
			if r.code != e.code {
				t.Errorf("%s: raftkvctl exited %d, etcdctl %d; output %q", r.step.cmd, r.code, e.code, r.out)
			}
			if diff := cmp.Diff(asCLI(comparable(r.step.cmd, withoutClientLog(e.out))), asCLI(comparable(r.step.cmd, r.out))); diff != "" {
				t.Errorf("%s (-etcdctl +raftkvctl, both against raftkv, normalized):\n%s", r.step.cmd, diff)
			}
		}
	})
}

// withoutClientLog drops the log lines of etcdctl's gRPC client, which
// raftkvctl (a JSON client) has no cause to print.
func withoutClientLog(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, `{"level":"warn"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// checkRemainingTTL: where etcdctl printed a lease's remaining TTL, it
// lies between the granted TTL and a few seconds less (normalize hides
// the number).
func checkRemainingTTL(t *testing.T, cmd, got string) {
	t.Helper()
	m := regexp.MustCompile(`TTL\((\d+)s\), remaining\((\d+)s\)`).FindStringSubmatch(got)
	if m == nil {
		t.Errorf("%s: no granted and remaining TTL in %q", cmd, got)
		return
	}
	var granted, remaining int
	fmt.Sscan(m[1], &granted)
	fmt.Sscan(m[2], &remaining)
	if remaining > granted || remaining < granted-5 {
		t.Errorf("%s: remaining TTL %ds of %ds", cmd, remaining, granted)
	}
}
