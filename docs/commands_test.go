package docs_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// runner says how a page's command is run by the test. Every "$ " command in
// the README and the book must have one: a command the test cannot run is
// a command that can drift.
type runner int

const (
	runnerNone    runner = iota
	runnerSim            // go run [-tags raftunsafe] ./cmd/raftsim ...
	runnerGoTest         // go test ...
	runnerCluster        // raftkvctl, curl, raftkv-dump, make stop-member/start-member/status: against `make cluster`
	runnerShell          // self-contained shell commands (openssl, printf > file, raftkvutl), run in a scratch directory
	runnerServer         // "bin/raftkv ... &": a page's own member, started in the scratch directory
	runnerExport         // "export NAME=value": a variable for the page's later commands, as in the reader's shell
)

var (
	simCommand    = regexp.MustCompile(`^go run (-tags raftunsafe )?\./cmd/raftsim(\s|$)`)
	serverCommand = regexp.MustCompile(`^bin/raftkv\s.*&$`)
	shellCommand  = regexp.MustCompile(`^openssl\s|^printf [^|]*> \S+$|^bin/raftkv\s|^bin/raftkvutl\s`)
	clusterVerb   = regexp.MustCompile(`^` + assignments + `(bin/raftkvctl|bin/etcdctl|bin/raftkv-dump|curl|make (stop-member|start-member|status))(\s|$)|^(printf|echo) .*\| bin/raftkvctl `)
	exportCommand = regexp.MustCompile(`^export ([A-Z][A-Z0-9_]*=\S*)$`)
)

// assignments are the "NAME=value " a command may start with: variables
// for that command alone.
const assignments = `(?:[A-Z][A-Z0-9_]*=\S* )*`

func runnerFor(cmd string) runner {
	switch {
	case simCommand.MatchString(cmd):
		return runnerSim
	case strings.HasPrefix(cmd, "go test "):
		return runnerGoTest
	case exportCommand.MatchString(cmd):
		return runnerExport
	case serverCommand.MatchString(cmd):
		return runnerServer
	case clusterVerb.MatchString(cmd):
		return runnerCluster
	case shellCommand.MatchString(cmd):
		return runnerShell
	}
	return runnerNone
}

// binaries are the programs the pages' commands use, built once per test
// run: bin holds `make build`'s output and etcd's own etcdctl (built once
// by `make etcdctl` into the repository's bin/ and linked here), and
// raftsimUnsafe the raftsim built with the raftunsafe tag for the
// break-a-rule scenarios.
type binaries struct {
	repo, bin, raftsimUnsafe string
}

func build(t *testing.T) binaries {
	t.Helper()
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	b := binaries{repo: repo, bin: filepath.Join(t.TempDir(), "bin")}
	b.raftsimUnsafe = filepath.Join(b.bin, "raftsim-unsafe")
	for _, args := range [][]string{
		{"make", "-s", "build", "BIN=" + b.bin},
		{"go", "build", "-tags", "raftunsafe", "-o", b.raftsimUnsafe, "./cmd/raftsim"},
		{"make", "-s", "etcdctl"},
	} {
		c := exec.Command(args[0], args[1:]...)
		c.Dir = repo
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := os.Symlink(filepath.Join(repo, "bin", "etcdctl"), filepath.Join(b.bin, "etcdctl")); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryCommandInTheDocs runs every "$ " command of the README and the
// book, page by page, and checks the output each page quotes.
func TestEveryCommandInTheDocs(t *testing.T) {
	bins := build(t)
	total := 0
	for _, page := range pages(t) {
		steps := readSteps(t, page)
		total += len(steps)
		runnable := true
		for _, st := range steps {
			if runnerFor(st.cmd) == runnerNone {
				t.Errorf("%s: no runner for this command; teach docs/commands_test.go to run it, or show it without \"$ \"", st)
				runnable = false
			}
			if err := checkShows(st); err != nil {
				t.Errorf("%s: %v", st, err)
				runnable = false
			}
		}
		// A page with a command the test cannot run is not run; the
		// others are, whatever an earlier page did.
		if !runnable {
			continue
		}
		t.Run(filepath.Base(page), func(t *testing.T) { runPage(t, bins, steps) })
	}
	if total < 20 {
		t.Fatalf("found only %d commands in the README and docs/", total)
	}
}

// runPage runs one page's commands in order. Cluster commands go to a
// `make cluster` started for the page — unless the page starts its own
// member ("bin/raftkv ... &"), in which case they go to that one. A member
// started with --initial-cluster-state existing joins the page's cluster
// instead (see joinsCluster).
func runPage(t *testing.T, bins binaries, steps []step) {
	scratch := t.TempDir()
	seen := ids{}
	var cl *cluster
	var servers []*exec.Cmd
	var env []string // what the page exported
	defer func() {
		if cl != nil {
			cl.stop(t)
		}
		for _, s := range servers {
			syscall.Kill(-s.Process.Pid, syscall.SIGKILL)
			s.Wait()
		}
	}()
	ownServer := slices.ContainsFunc(steps, func(st step) bool { return runnerFor(st.cmd) == runnerServer && !joinsCluster(st.cmd) })
	for _, st := range steps {
		r := runnerFor(st.cmd)
		if r == runnerCluster && ownServer {
			runAgainstOwnServer(t, bins, scratch, seen, st, env)
			continue
		}
		switch r {
		case runnerExport:
			env = append(env, exportCommand.FindStringSubmatch(st.cmd)[1])
		case runnerServer:
			if joinsCluster(st.cmd) && cl == nil {
				cl = startCluster(t, bins, seen)
			}
			servers = append(servers, startServer(t, bins, scratch, st))
		case runnerSim:
			runSim(t, bins, scratch, seen, st)
		case runnerGoTest:
			out, err := shell(bins.repo, seen.apply(st.cmd), env)
			checkOutput(t, seen, st, out, err)
		case runnerShell:
			out, err := shell(scratch, binPath.ReplaceAllString(seen.apply(st.cmd), "${1}"+bins.bin+"/"), env)
			checkOutput(t, seen, st, out, err)
		case runnerCluster:
			if cl == nil {
				cl = startCluster(t, bins, seen)
			}
			cl.run(t, st, env)
		}
	}
	if cl != nil {
		cl.finish(t)
	}
}

// joinsCluster reports whether a page's "bin/raftkv ... &" runs beside the
// page's `make cluster` rather than as a member of the page's own: a new
// member joining it (after `member add`), or a proxy or gateway in front of
// it. The page's client commands still go to the cluster.
func joinsCluster(cmd string) bool {
	return strings.Contains(cmd, "--initial-cluster-state existing") ||
		strings.HasPrefix(cmd, "bin/raftkv grpc-proxy start ") || strings.HasPrefix(cmd, "bin/raftkv gateway start ")
}

// startServer starts a page's own member in the background, in its own
// process group so that the test can stop it and anything it started.
func startServer(t *testing.T, bins binaries, scratch string, st step) *exec.Cmd {
	t.Helper()
	cmd := strings.TrimSuffix(binPath.ReplaceAllString(st.cmd, "${1}"+bins.bin+"/"), "&")
	c := exec.Command("bash", "-c", "exec "+cmd)
	c.Dir = scratch
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Stdout, c.Stderr = io.Discard, io.Discard
	if err := c.Start(); err != nil {
		t.Fatalf("%s: %v", st, err)
	}
	return c
}

// runAgainstOwnServer runs a client command in the scratch directory (where
// the page's certificates are), retrying reads while the member starts.
func runAgainstOwnServer(t *testing.T, bins binaries, scratch string, seen ids, st step, env []string) {
	t.Helper()
	cmd := binPath.ReplaceAllString(seen.apply(st.cmd), "${1}"+bins.bin+"/")
	runOrRetryRead(t, scratch, seen, st, cmd, env)
}

// runOrRetryRead runs a page's command in dir and checks its output. A
// read is retried until it shows what the page says, for 30 s (a member
// just started or restarted takes a moment to catch up); anything that
// changes the cluster runs once.
func runOrRetryRead(t *testing.T, dir string, seen ids, st step, cmd string, env []string) {
	t.Helper()
	if !readOnly(st.cmd) {
		out, err := shell(dir, cmd, env)
		checkOutput(t, seen, st, out, err)
		return
	}
	assert.EventuallyWithT(t, func(ct *assert.CollectT) {
		out, err := shell(dir, cmd, env)
		checkOutput(ct, seen, st, out, err)
	}, 30*time.Second, 200*time.Millisecond, "%s to print what the page quotes", st)
}

// pollEvery is how often a page's test asks a condition it waits on with
// require.Eventually.
const pollEvery = 50 * time.Millisecond

// reporter is where checkOutput reports: the test, or one try of
// assert.EventuallyWithT.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// shell runs a page's command in dir, with the variables env (NAME=value)
// the page exported.
func shell(dir string, cmd string, env []string) (string, error) {
	c := exec.Command("bash", "-o", "pipefail", "-c", cmd)
	c.Env = append(os.Environ(), env...)
	c.Dir = dir
	out, err := c.CombinedOutput()
	return string(out), err
}

// checkOutput: the command succeeded (or failed, if the page shows its
// error) and printed every line the page quotes.
func checkOutput(t reporter, seen ids, st step, out string, err error) {
	t.Helper()
	if err != nil && !showsError(st) {
		t.Errorf("%s: %v\n%s", st, err, out)
		return
	}
	if err == nil && showsError(st) {
		t.Errorf("%s: succeeded, but the page shows it failing\n%s", st, out)
		return
	}
	if missing := seen.missingFrom(st, out); len(missing) > 0 {
		t.Errorf("%s: no longer prints %q (in the order quoted)\nit printed:\n%s", st, missing, out)
	}
}

// showsError reports whether the page quotes the command failing: in
// etcdctl's "Error: ..." form, or as one of raftkv's programs says it gives
// up ("raftkv: ...").
func showsError(st step) bool {
	for _, w := range st.want {
		if strings.HasPrefix(w, "Error:") || failurePrefix.MatchString(w) {
			return true
		}
	}
	return false
}

var failurePrefix = regexp.MustCompile(`^(raftkv|raftkvctl|raftsim|raftkv-dump): `)

// maxSweepSeeds bounds the multi-seed sweeps a page cites: the test runs
// the first few seeds of each (the full sweeps run in `make test` and `make
// sim-long`), so a page must not quote a sweep's totals.
const maxSweepSeeds = 3

func runSim(t *testing.T, bins binaries, scratch string, seen ids, st step) {
	t.Helper()
	m := simCommand.FindStringSubmatch(st.cmd)
	prog := filepath.Join(bins.bin, "raftsim")
	if m[1] != "" {
		prog = bins.raftsimUnsafe
	}
	args := strings.Fields(strings.TrimPrefix(st.cmd, m[0]))
	if i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "#") }); i >= 0 {
		args = args[:i]
	}
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "-seeds" {
			continue
		}
		if n, _ := strconv.Atoi(args[i+1]); n > maxSweepSeeds {
			if len(st.want) > 0 {
				t.Errorf("%s: quotes the output of a %d-seed sweep, which this test runs only %d seeds of", st, n, maxSweepSeeds)
				return
			}
			args[i+1] = strconv.Itoa(maxSweepSeeds)
		}
	}
	c := exec.Command(prog, args...)
	c.Dir = scratch // a -trace file lands here
	out, err := c.CombinedOutput()
	if err != nil {
		err = fmt.Errorf("raftsim %s: %w", strings.Join(args, " "), err)
	}
	checkOutput(t, seen, st, string(out), err)
	run := parseRun(string(out))
	for _, name := range st.shows {
		for _, problem := range situations[name].check(run) {
			t.Errorf("%s: the page says this run shows %s (%s), but %s\nit printed:\n%s", st, name, situations[name].about, problem, out)
		}
	}
}
