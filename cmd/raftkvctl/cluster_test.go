package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client"
	"github.com/stretchr/testify/assert"
)

// The end-to-end tests build raftkv and raftkvctl, start a real 3-member
// cluster on free loopback ports, and use raftkvctl as a user would: as a
// process, with its exit code, its stdout and its stderr. One cluster serves
// every test (they run one after the other); TestMain stops it.
//
// Nothing here sleeps to synchronise: require.Eventually waits on a
// condition until a deadline, generous enough for a busy 2-core machine.

// shared is the cluster the tests share, started by the first that needs it.
var shared struct {
	once sync.Once
	c    *testCluster
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.c != nil {
		shared.c.stop()
	}
	if ctlBuild.dir != "" {
		os.RemoveAll(ctlBuild.dir)
	}
	os.Exit(code)
}

// testCluster is three raftkv processes and the binaries to talk to them.
type testCluster struct {
	dir     string // binaries, data dirs, logs
	ctlPath string
	members []*member
}

type member struct {
	name      string
	args      []string
	clientURL string // http://127.0.0.1:port
	log       *os.File
	cmd       *exec.Cmd
	done      chan struct{} // closed when the process has exited
}

// endpoint is the member's client address as a user types it.
func (m *member) endpoint() string { return strings.TrimPrefix(m.clientURL, "http://") }

// cluster returns the shared cluster, starting it on first use.
func cluster(t *testing.T) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a 3-member cluster")
	}
	shared.once.Do(func() { shared.c, shared.err = startCluster() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.c
}

func startCluster() (*testCluster, error) {
	dir, err := os.MkdirTemp("", "raftkvctl-e2e-")
	if err != nil {
		return nil, err
	}
	c := &testCluster{dir: dir, ctlPath: filepath.Join(dir, "raftkvctl")}
	for _, pkg := range []string{"raftkv", "raftkvctl"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, pkg), "github.com/raftkv/raftkv/cmd/"+pkg).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	var initial []string
	for i := range 3 {
		initial = append(initial, fmt.Sprintf("m%d=http://127.0.0.1:%d", i+1, ports[3+i]))
	}
	for i := range 3 {
		name := fmt.Sprintf("m%d", i+1)
		clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[i])
		peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[3+i])
		m := &member{name: name, clientURL: clientURL, args: []string{
			"--name", name, "--data-dir", filepath.Join(dir, name),
			"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
			"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-token", "raftkvctl-e2e",
		}}
		c.members = append(c.members, m)
		if err := c.startMember(m); err != nil {
			c.stop()
			return nil, err
		}
	}
	if err := c.waitHealthy(60 * time.Second); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// freePorts asks the kernel for n ports that are free now. Holding all the
// listeners until every port is known keeps the n distinct.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (c *testCluster) startMember(m *member) error {
	log, err := os.OpenFile(filepath.Join(c.dir, m.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	m.log = log
	m.cmd = exec.Command(filepath.Join(c.dir, "raftkv"), m.args...)
	m.cmd.Stdout, m.cmd.Stderr = log, log
	if err := m.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", m.name, err)
	}
	m.done = make(chan struct{})
	go func() {
		m.cmd.Wait()
		close(m.done)
	}()
	return nil
}

// stopMember stops a member as a user would (Ctrl-C), killing it if it
// does not exit within a few seconds.
func (c *testCluster) stopMember(m *member) {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
	m.log.Close()
	m.cmd = nil
}

func (c *testCluster) stop() {
	for _, m := range c.members {
		c.stopMember(m)
	}
	os.RemoveAll(c.dir)
}

// waitHealthy waits until every member is up and they agree on a leader.
func (c *testCluster) waitHealthy(timeout time.Duration) error {
	cli, err := client.New(client.Config{Endpoints: c.endpoints(), DialTimeout: time.Second})
	if err != nil {
		return err
	}
	defer cli.Close()
	// No test owns the shared cluster, so assert's report goes to a
	// recorder; the error says what went wrong. The condition runs on a
	// goroutine of its own: what it saw last is kept atomically.
	var last atomic.Value
	healthyOrExited := func() bool {
		if c.exitedMember() != nil {
			return true
		}
		err := c.agreeOnLeader(cli)
		if err != nil {
			last.Store(err.Error())
		}
		return err == nil
	}
	if !assert.Eventually(&reportRecorder{}, healthyOrExited, timeout, 50*time.Millisecond) {
		return fmt.Errorf("the cluster did not become healthy in %v: %v", timeout, last.Load())
	}
	if m := c.exitedMember(); m != nil {
		return fmt.Errorf("%s exited; its log:\n%s", m.name, c.memberLog(m))
	}
	return nil
}

// exitedMember returns a member whose process has exited, or nil.
func (c *testCluster) exitedMember() *member {
	for _, m := range c.members {
		select {
		case <-m.done:
			return m
		default:
		}
	}
	return nil
}

// reportRecorder takes assert's report where no test is there to fail.
type reportRecorder struct{}

func (reportRecorder) Errorf(string, ...any) {}

func (c *testCluster) agreeOnLeader(cli *client.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var leader uint64
	for _, m := range c.members {
		st, err := cli.Status(ctx, m.clientURL)
		if err != nil {
			return err
		}
		if st.Leader == 0 || (leader != 0 && st.Leader != leader) {
			return fmt.Errorf("%s sees leader %x", m.name, st.Leader)
		}
		leader = st.Leader
	}
	// A linearizable read proves the leader can serve.
	_, err := cli.Get(ctx, "health")
	return err
}

// follower returns a member that does not lead.
func (c *testCluster) follower(t *testing.T) *member {
	t.Helper()
	cli, err := client.New(client.Config{Endpoints: c.endpoints(), RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for _, m := range c.members {
		st, err := cli.Status(context.Background(), m.clientURL)
		if err != nil {
			t.Fatal(err)
		}
		if st.Leader != st.Header.MemberID {
			return m
		}
	}
	t.Fatal("no follower")
	return nil
}

func (c *testCluster) memberLog(m *member) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, m.name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// endpoints are the members' client addresses, as RAFTKVCTL_ENDPOINTS.
func (c *testCluster) endpoints() []string {
	var eps []string
	for _, m := range c.members {
		eps = append(eps, m.endpoint())
	}
	return eps
}

// environ is the environment raftkvctl runs with: the user's, without any
// RAFTKVCTL_ variable of theirs, with the cluster's endpoints.
func (c *testCluster) environ(extra ...string) []string {
	return baseEnviron(append(extra, envPrefix+"ENDPOINTS="+strings.Join(c.endpoints(), ","))...)
}

// baseEnviron is the user's environment without RAFTKVCTL_ variables, plus
// extra.
func baseEnviron(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// ctl runs the raftkvctl binary to completion.
func (c *testCluster) ctl(t *testing.T, args ...string) result {
	t.Helper()
	return execute(t, c.environ(), "", c.ctlPath, args...)
}

// sh runs a shell command line with raftkvctl on the PATH, as the
// transcripts were run, with extra variables in its environment.
func (c *testCluster) sh(t *testing.T, line string, extra ...string) result {
	t.Helper()
	env := c.environ(extra...)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + c.dir + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	return execute(t, env, "", "sh", "-c", line)
}

// execute runs a program to completion (30 s at most).
func execute(t *testing.T, environ []string, stdin, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = environ
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return result{out.String(), errOut.String(), code}
}

// proc is a raftkvctl that keeps running (watch, lock, elect).
type proc struct {
	cmd         *exec.Cmd
	out, errOut syncBuffer
	done        chan struct{}
	exitCode    int
	args        []string
}

// start starts raftkvctl in the background; it is killed at the end of the
// test if still running.
func (c *testCluster) start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{args: args, done: make(chan struct{})}
	p.cmd = exec.Command(c.ctlPath, args...)
	p.cmd.Env = c.environ()
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.exitCode = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to raftkvctl %q: %v", sig, p.args, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.exitCode
	case <-time.After(30 * time.Second):
		t.Fatalf("raftkvctl %q did not exit; stdout %q, stderr %q", p.args, p.out.String(), p.errOut.String())
	}
	return -1
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tests wait on conditions with require.Eventually, never on sleeps:
// waitLimit is a deadline a busy 2-core machine meets easily, pollEvery how
// often the condition is asked.
const (
	waitLimit = 30 * time.Second
	pollEvery = 20 * time.Millisecond
)
