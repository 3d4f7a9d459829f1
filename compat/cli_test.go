package compat

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A CLI is etcd's etcdctl or raftkv's raftkvctl, run through bash as a
// user at a shell runs it: the same command lines, each CLI under its own
// name, each reading its own environment variables (ETCDCTL_* and
// RAFTKVCTL_*).
type cli struct {
	name      string // etcdctl or raftkvctl
	envPrefix string // ETCDCTL_ or RAFTKVCTL_
	// env is the environment the commands run in: PATH finds the CLI (and
	// raftkvutl) first.
	env []string
}

func etcdctl(t testing.TB) cli {
	etcdctlPath(t) // fails the test without it
	return cli{name: "etcdctl", envPrefix: "ETCDCTL_", env: pathFirst(progs.bin)}
}

func raftkvctl() cli {
	return cli{name: "raftkvctl", envPrefix: "RAFTKVCTL_", env: pathFirst(progs.bin)}
}

// pathFirst is this process's environment with dirs first on PATH, and
// without any ETCDCTL_* or RAFTKVCTL_* variable of whoever runs the test.
func pathFirst(dirs ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ETCDCTL_") || strings.HasPrefix(kv, "RAFTKVCTL_") {
			continue
		}
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + strings.Join(append(dirs, path), ":")
		}
		env = append(env, kv)
	}
	return env
}

// command rewrites a command line written for etcdctl (the tutorial's, the
// transcript's) for this CLI: its name and its environment variables.
func (c cli) command(line string) string {
	if c.name == "etcdctl" {
		return line
	}
	return strings.NewReplacer("etcdctl", c.name, "ETCDCTL_", c.envPrefix).Replace(line)
}

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a command line (written for etcdctl) with this CLI, with extra
// environment variables, and returns when it ends.
func (c cli) run(t testing.TB, line string, extraEnv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", c.command(line))
	cmd.Env = append(append([]string(nil), c.env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", c.command(line), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after 30 s: %+v", c.command(line), r)
	}
	return r
}

// background is a command that runs until it is stopped: a watch, a held
// lock, a campaign.
type background struct {
	line   string
	cmd    *exec.Cmd
	out    *syncBuffer
	errOut *syncBuffer
	done   chan struct{}
}

// start starts a long-running command line (written for etcdctl).
func (c cli) start(t testing.TB, line string, extraEnv ...string) *background {
	t.Helper()
	b := &background{line: c.command(line), out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan struct{})}
	// exec: the signals a test sends reach the CLI itself, as a
	// terminal's Ctrl-C would.
	b.cmd = exec.Command("bash", "-c", "exec "+b.line)
	b.cmd.Env = append(append([]string(nil), c.env...), extraEnv...)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.errOut
	require.NoError(t, b.cmd.Start(), b.line)
	go func() { b.cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		b.cmd.Process.Signal(syscall.SIGKILL)
		<-b.done
	})
	return b
}

func (b *background) exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// stop ends the command with sig and returns its exit code (128+sig if
// the signal ended it).
func (b *background) stop(t testing.TB, sig syscall.Signal) int {
	t.Helper()
	b.cmd.Process.Signal(sig)
	select {
	case <-b.done:
	case <-time.After(waitLimit):
		t.Fatalf("%s: still running %s after %v", b.line, waitLimit, sig)
	}
	if ws, ok := b.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return b.cmd.ProcessState.ExitCode()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchers is how many watchers the members have now, all together
// (etcd's etcd_debugging_mvcc_watcher_total): a watch says nothing when it
// starts, so this is how a test knows that a watch it started is in place
// before it writes what the watch must show — without writing anything
// itself, which would move the revisions on.
func watchers(t testing.TB, clientURLs []string) int {
	t.Helper()
	total := 0
	for _, u := range clientURLs {
		n, err := gauge(t, u, "etcd_debugging_mvcc_watcher_total")
		require.NoError(t, err)
		total += int(n)
	}
	return total
}

// waitWatchers waits until the members have n watchers.
func waitWatchers(t testing.TB, clientURLs []string, n int, b *background) {
	t.Helper()
	require.Eventually(t, func() bool {
		got := 0
		for _, u := range clientURLs {
			v, err := gauge(t, u, "etcd_debugging_mvcc_watcher_total")
			if err != nil {
				return false
			}
			got += int(v)
		}
		return got >= n || b.exited()
	}, waitLimit, pollEvery, "%s to be in place", b.line)
	if b.exited() {
		t.Fatalf("%s ended: %q %q", b.line, b.out.String(), b.errOut.String())
	}
}
