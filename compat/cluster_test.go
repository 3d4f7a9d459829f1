package compat

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Waiting: every wait is a condition polled with require.Eventually, at
// most for these.
const (
	pollEvery = 20 * time.Millisecond
	// waitLimit bounds a wait for something the cluster does at once.
	waitLimit = 15 * time.Second
	// electionLimit bounds a wait that includes elections (a new cluster,
	// a killed leader): a few election timeouts of 1 s, on a busy machine.
	electionLimit = 30 * time.Second
	// callTimeout bounds one client call.
	callTimeout = 10 * time.Second
)

// procCluster is a cluster of real member processes on loopback ports,
// with data in the test's temporary directory, stopped when the test ends.
type procCluster struct {
	t       testing.TB
	dir     string
	members []*procMember
	token   string
	ports   map[int]bool // handed out to this cluster's members
	opts    clusterOptions
	// user and password are who c.client logs in as, once a test has
	// turned authentication on ("" before).
	user, password string
}

// clusterOptions is what a test may change about its cluster: more flags
// for every member, and clients served over TLS.
type clusterOptions struct {
	// flags are added to every member's command line.
	flags []string
	// clientTLS, if set, makes the members serve clients on https:// URLs
	// (the test passes --cert-file and the others in flags), and is what
	// the test's clients present.
	clientTLS *tls.Config
}

type procMember struct {
	name      string
	clientURL string
	peerURL   string
	dataDir   string
	logPath   string
	cmd       *exec.Cmd
	exited    chan struct{}
}

// The ports of `make cluster`, never handed out to a test's cluster: a
// `make cluster` of another test (the tutorial's, the docs') needs them.
var makeClusterPorts = map[int]bool{2379: true, 22379: true, 32379: true, 12380: true, 22380: true, 32380: true}

// freePort returns a loopback port that is free now, below Linux's
// ephemeral range (32768 and up) so that no outgoing connection takes it
// before the member binds it.
func freePort(t testing.TB, used map[int]bool) int {
	t.Helper()
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if used[port] || makeClusterPorts[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			ln.Close()
			used[port] = true
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// startCluster starts n members and waits until they have a leader.
func startCluster(t testing.TB, n int) *procCluster {
	t.Helper()
	return startClusterWith(t, n, clusterOptions{})
}

// startClusterWith starts n members with opts and waits until they have a
// leader.
func startClusterWith(t testing.TB, n int, opts clusterOptions) *procCluster {
	t.Helper()
	c := newCluster(t, opts)
	for range n {
		c.newMember()
	}
	for _, m := range c.members {
		c.start(m, c.initialCluster(), "new")
	}
	c.waitLeader()
	return c
}

// newCluster is a cluster of no member yet, stopped when the test ends.
func newCluster(t testing.TB, opts clusterOptions) *procCluster {
	c := &procCluster{t: t, dir: t.TempDir(), token: fmt.Sprintf("compat-%d", rand.Uint32()), ports: map[int]bool{}, opts: opts}
	t.Cleanup(c.stopAll)
	return c
}

// newMember makes the next member (not started), with free ports.
func (c *procCluster) newMember() *procMember {
	name := fmt.Sprintf("m%d", len(c.members)+1)
	scheme := "http"
	if c.opts.clientTLS != nil {
		scheme = "https"
	}
	m := &procMember{
		name:      name,
		clientURL: fmt.Sprintf("%s://127.0.0.1:%d", scheme, freePort(c.t, c.ports)),
		peerURL:   fmt.Sprintf("http://127.0.0.1:%d", freePort(c.t, c.ports)),
		dataDir:   filepath.Join(c.dir, name),
		logPath:   filepath.Join(c.dir, name+".log"),
	}
	c.members = append(c.members, m)
	return m
}

// initialCluster is --initial-cluster for every member made so far.
func (c *procCluster) initialCluster() string {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peerURL)
	}
	return strings.Join(initial, ",")
}

// start runs m's process (its log appended to m.logPath).
func (c *procCluster) start(m *procMember, initialCluster, state string) {
	c.t.Helper()
	log, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer log.Close()
	args := append([]string{
		"--name", m.name, "--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
		"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
		"--initial-cluster", initialCluster, "--initial-cluster-state", state,
		"--initial-cluster-token", c.token}, c.opts.flags...)
	m.cmd = exec.Command(progs.server, args...)
	m.cmd.Stdout, m.cmd.Stderr = log, log
	if err := m.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", m.name, err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(m.cmd, m.exited)
}

// kill ends m with SIGKILL: no shutdown, no leadership handed over,
// exactly as a crash ends it.
func (c *procCluster) kill(m *procMember) {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
	m.cmd = nil
}

func (c *procCluster) stopAll() {
	for _, m := range c.members {
		c.kill(m)
	}
	if c.t.Failed() {
		for _, m := range c.members {
			c.t.Logf("--- the end of %s's log ---\n%s", m.name, logTail(m.logPath, 25))
		}
	}
}

// logTail is the last n lines of a log file.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (c *procCluster) running() []*procMember {
	var out []*procMember
	for _, m := range c.members {
		if m.cmd != nil {
			out = append(out, m)
		}
	}
	return out
}

// endpoints are the client URLs of every member, running or not: a
// client given them all fails over from a dead one.
func (c *procCluster) endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.clientURL)
	}
	return out
}

// client is a clientv3 client of the given endpoints (every member's if
// none), logged in as the cluster's administrator once a test has turned
// authentication on, and closed when the test ends.
func (c *procCluster) client(endpoints ...string) *clientv3.Client {
	c.t.Helper()
	return c.clientWith(clientv3.Config{Username: c.user, Password: c.password}, endpoints...)
}

// clientWith is a client configured as cfg says (a user, a token), of the
// given endpoints (every member's if none), with the cluster's TLS
// settings.
func (c *procCluster) clientWith(cfg clientv3.Config, endpoints ...string) *clientv3.Client {
	c.t.Helper()
	return newClientWith(c.t, c.clientConfig(cfg, endpoints...))
}

// clientConfig completes cfg with endpoints (every member's if none) and
// the cluster's TLS settings.
func (c *procCluster) clientConfig(cfg clientv3.Config, endpoints ...string) clientv3.Config {
	if len(endpoints) == 0 {
		endpoints = c.endpoints()
	}
	cfg.Endpoints = endpoints
	if cfg.TLS == nil {
		cfg.TLS = c.opts.clientTLS
	}
	cfg.DialTimeout = 5 * time.Second
	// Its retries' warnings would bury the test's own output.
	cfg.Logger = zap.NewNop()
	return cfg
}

func newClient(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	return newClientWith(t, clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
}

// newClientWith is clientv3.New(cfg), closed when the test ends.
func newClientWith(t testing.TB, cfg clientv3.Config) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("clientv3.New(%v as %q): %v", cfg.Endpoints, cfg.Username, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// waitLeader waits until every running member names the same leader, one
// of them, and returns it.
func (c *procCluster) waitLeader() *procMember {
	c.t.Helper()
	// Made in the condition, and given another chance if they fail: with
	// authentication on, a client logs in when it is made, which needs a
	// leader. (The condition runs on a goroutine of its own, where a
	// failing test must not stop.)
	var mu sync.Mutex // the condition may outlive a wait that failed
	clients := map[*procMember]*clientv3.Client{}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, cli := range clients {
			cli.Close()
		}
	}()
	var leader *procMember
	require.Eventually(c.t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		leader = nil
		var lead uint64
		ids := map[uint64]*procMember{}
		for _, m := range c.running() {
			cli := clients[m]
			if cli == nil {
				var err error
				if cli, err = clientv3.New(c.clientConfig(clientv3.Config{Username: c.user, Password: c.password}, m.clientURL)); err != nil {
					return false
				}
				clients[m] = cli
			}
			st, err := status(cli, m.clientURL)
			if err != nil || st.Leader == 0 || lead != 0 && st.Leader != lead {
				return false
			}
			lead = st.Leader
			ids[st.Header.MemberId] = m
		}
		leader = ids[lead]
		return leader != nil
	}, electionLimit, pollEvery, "every running member to name the same leader")
	return leader
}

func status(cli *clientv3.Client, endpoint string) (*clientv3.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return cli.Status(ctx, endpoint)
}

// memberID is m's ID, as m reports it.
func (c *procCluster) memberID(m *procMember) uint64 {
	c.t.Helper()
	st, err := status(c.client(m.clientURL), m.clientURL)
	require.NoError(c.t, err, "status of %s", m.name)
	return st.Header.MemberId
}

// callCtx is a context for one call (or a few), canceled when the test
// ends.
func callCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// gauge reads one sample of a metric from a member's /metrics (Prometheus'
// text format): name is the whole series, labels included, as printed.
func gauge(t testing.TB, clientURL, series string) (float64, error) {
	resp, err := http.Get(clientURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s/metrics has no %s", clientURL, series)
}
