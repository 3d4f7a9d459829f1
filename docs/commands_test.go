package docs_test

import (
	"fmt"
	"io"
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
	runnerCluster        // raftkvctl, curl, raftkv-dump, make stop/start-member: against `make cluster`
	runnerShell          // self-contained shell commands (openssl, printf > file, raftkvutl), run in a scratch directory
	runnerServer         // "bin/raftkv ... &": a page's own member, started in the scratch directory
)

var (
	simCommand    = regexp.MustCompile(`^go run (-tags raftunsafe )?\./cmd/raftsim(\s|$)`)
	serverCommand = regexp.MustCompile(`^bin/raftkv\s.*&$`)
	shellCommand  = regexp.MustCompile(`^openssl\s|^printf [^|]*> \S+$|^bin/raftkv\s|^bin/raftkvutl\s`)
	clusterVerb   = regexp.MustCompile(`^(bin/raftkvctl|bin/raftkv-dump|curl|make (stop|start)-member)(\s|$)|^(printf|echo) .*\| bin/raftkvctl `)
)

func runnerFor(cmd string) runner {
	switch {
	case simCommand.MatchString(cmd):
		return runnerSim
	case strings.HasPrefix(cmd, "go test "):
		return runnerGoTest
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
// run: bin holds `make build`'s output, raftsimUnsafe the raftsim built with
// the raftunsafe tag for the break-a-rule scenarios.
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
	} {
		c := exec.Command(args[0], args[1:]...)
		c.Dir = repo
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
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
			runAgainstOwnServer(t, bins, scratch, seen, st)
			continue
		}
		switch r {
		case runnerServer:
			if joinsCluster(st.cmd) && cl == nil {
				cl = startCluster(t, bins, seen)
			}
			servers = append(servers, startServer(t, bins, scratch, st))
		case runnerSim:
			runSim(t, bins, scratch, seen, st)
		case runnerGoTest:
			out, err := shell(bins.repo, seen.apply(st.cmd))
			checkOutput(t, seen, st, out, err)
		case runnerShell:
			out, err := shell(scratch, binPath.ReplaceAllString(seen.apply(st.cmd), "${1}"+bins.bin+"/"))
			checkOutput(t, seen, st, out, err)
		case runnerCluster:
			if cl == nil {
				cl = startCluster(t, bins, seen)
			}
			cl.run(t, st)
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
func runAgainstOwnServer(t *testing.T, bins binaries, scratch string, seen ids, st step) {
	t.Helper()
	cmd := binPath.ReplaceAllString(seen.apply(st.cmd), "${1}"+bins.bin+"/")
	runOrRetryRead(t, scratch, seen, st, cmd)
}

// runOrRetryRead runs a page's command in dir and checks its output. A
// read is retried until it shows what the page says, for 30 s (a member
// just started or restarted takes a moment to catch up); anything that
// changes the cluster runs once.
func runOrRetryRead(t *testing.T, dir string, seen ids, st step, cmd string) {
	t.Helper()
	if !readOnly(st.cmd) {
		out, err := shell(dir, cmd)
		checkOutput(t, seen, st, out, err)
		return
	}
	assert.EventuallyWithT(t, func(ct *assert.CollectT) {
		out, err := shell(dir, cmd)
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

func shell(dir string, cmd string) (string, error) {
	c := exec.Command("bash", "-o", "pipefail", "-c", cmd)
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
}
