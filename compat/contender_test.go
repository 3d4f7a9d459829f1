package compat

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
)

// A contender is this test binary run again as a separate process
// (TestMain sees $COMPAT_CONTENDER) that takes part in a lock or an
// election through clientv3's concurrency package, so that the contest is
// between processes, each with its own session, as in production. It
// reports on stdout, one line per step, and takes orders on stdin:
//
//	mutex:    "waiting <lease>", then "locked <key>"; order "unlock" →
//	          "unlocked", and the process ends
//	election: "campaigning <lease>", then "leader <key>"; orders
//	          "proclaim <value>" → "proclaimed <value>", "resign" →
//	          "resigned", and the process ends
//
// Its settings come in the environment: COMPAT_ENDPOINTS (comma
// separated), COMPAT_NAME (the lock's or election's prefix),
// COMPAT_VALUE (the proposal) and COMPAT_TTL (the session's TTL).

// runContender plays role and returns the process's exit code.
func runContender(role string) int {
	if err := contend(role, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "contender:", err)
		return 1
	}
	return 0
}

func contend(role string, in *os.File, out *os.File) error {
	ttl, err := strconv.Atoi(os.Getenv("COMPAT_TTL"))
	if err != nil {
		return fmt.Errorf("COMPAT_TTL: %w", err)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(os.Getenv("COMPAT_ENDPOINTS"), ","),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return err
	}
	defer cli.Close()
	session, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl))
	if err != nil {
		return err
	}
	defer session.Close()
	ctx := context.Background()
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	orders := bufio.NewScanner(in)
	name := os.Getenv("COMPAT_NAME")
	switch role {
	case "mutex":
		m := concurrency.NewMutex(session, name)
		say("waiting %x", session.Lease())
		if err := m.Lock(ctx); err != nil {
			return err
		}
		say("locked %s", m.Key())
		for orders.Scan() {
			if orders.Text() == "unlock" {
				if err := m.Unlock(ctx); err != nil {
					return err
				}
				say("unlocked")
				return nil
			}
		}
	case "election":
		e := concurrency.NewElection(session, name)
		say("campaigning %x", session.Lease())
		if err := e.Campaign(ctx, os.Getenv("COMPAT_VALUE")); err != nil {
			return err
		}
		say("leader %s", e.Key())
		for orders.Scan() {
			order, arg, _ := strings.Cut(orders.Text(), " ")
			switch order {
			case "proclaim":
				if err := e.Proclaim(ctx, arg); err != nil {
					return err
				}
				say("proclaimed %s", arg)
			case "resign":
				if err := e.Resign(ctx); err != nil {
					return err
				}
				say("resigned")
				return nil
			}
		}
	default:
		return fmt.Errorf("no role %q", role)
	}
	return orders.Err()
}

// contender is the test's handle on a contender process.
type contender struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  *os.File
	mu     sync.Mutex
	lines  []string
	stderr strings.Builder
	exited chan struct{}
}

// startContender runs a contender in role for the lock or election name.
func startContender(t *testing.T, c *procCluster, role, name, value string) *contender {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	stdinR, stdinW, err := os.Pipe()
	require.NoError(t, err)
	stdoutR, stdoutW, err := os.Pipe()
	require.NoError(t, err)
	p := &contender{t: t, name: fmt.Sprintf("%s %s=%s", role, name, value), stdin: stdinW, exited: make(chan struct{})}
	p.cmd = exec.Command(self, "-test.run=^$")
	p.cmd.Env = append(os.Environ(), contenderEnv+"="+role, "COMPAT_ENDPOINTS="+strings.Join(c.endpoints(), ","),
		"COMPAT_NAME="+name, "COMPAT_VALUE="+value, "COMPAT_TTL=2")
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = stdinR, stdoutW, &lockedWriter{mu: &p.mu, w: &p.stderr}
	require.NoError(t, p.cmd.Start())
	stdinR.Close()
	stdoutW.Close()
	go func() {
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		stdinW.Close()
		if t.Failed() {
			t.Logf("contender %s said %q; its stderr: %s", p.name, p.said(), p.errors())
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *contender) said() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

func (p *contender) errors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// saying returns the first line that starts with prefix, "" if none yet.
func (p *contender) saying(prefix string) string {
	for _, l := range p.said() {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// waitSay waits until the contender says a line that starts with prefix,
// and returns the rest of it.
func (p *contender) waitSay(limit time.Duration, prefix string) string {
	p.t.Helper()
	require.Eventually(p.t, func() bool { return p.saying(prefix) != "" }, limit, pollEvery, "contender %s to say %q", p.name, prefix)
	return strings.TrimSpace(strings.TrimPrefix(p.saying(prefix), prefix))
}

func (p *contender) order(line string) {
	p.t.Helper()
	_, err := fmt.Fprintln(p.stdin, line)
	require.NoError(p.t, err, "order %q to %s", line, p.name)
}

// crash kills the contender with SIGKILL: its session is not closed, so
// its lease lives until its TTL runs out.
func (p *contender) crash() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}
