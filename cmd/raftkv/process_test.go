package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client"
	"github.com/stretchr/testify/require"
)

// Process-level tests: real raftkv binaries on free 127.0.0.1 ports, killed
// with SIGKILL and restarted, as an operator (or a power cut) would.

var raftkvBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "raftkv-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	raftkvBinary = filepath.Join(dir, "raftkv")
	if out, err := exec.Command("go", "build", "-o", raftkvBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building raftkv: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type member struct {
	name       string
	clientURL  string
	peerURL    string
	dataDir    string
	extra      []string
	cmd        *exec.Cmd
	log        *lockedBuffer
	exited     chan struct{}
	initialCfg string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type procCluster struct {
	t       *testing.T
	members []*member
	used    map[string]bool
}

// freeAddr returns a free address, with a port below Linux's ephemeral range
// so that no outgoing connection takes it before the member binds it, and
// never one this test has handed out already.
func (c *procCluster) freeAddr() string {
	for range 1000 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if c.used[addr] {
			continue
		}
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			c.used[addr] = true
			return addr
		}
	}
	c.t.Fatal("no free port")
	return ""
}

func newProcCluster(t *testing.T, n int, extra ...string) *procCluster {
	c := &procCluster{t: t, used: map[string]bool{}}
	dir := t.TempDir()
	var initial []string
	for i := range n {
		m := &member{
			name: fmt.Sprintf("m%d", i+1), clientURL: "http://" + c.freeAddr(), peerURL: "http://" + c.freeAddr(),
			dataDir: filepath.Join(dir, fmt.Sprintf("m%d", i+1)), extra: extra,
		}
		initial = append(initial, m.name+"="+m.peerURL)
		c.members = append(c.members, m)
	}
	for _, m := range c.members {
		m.initialCfg = strings.Join(initial, ",")
		c.start(m, "new")
	}
	t.Cleanup(func() {
		for _, m := range c.members {
			c.kill(m)
		}
		if t.Failed() {
			for _, m := range c.members {
				t.Logf("--- log of %s ---\n%s", m.name, m.log.String())
			}
		}
	})
	c.waitHealthy()
	return c
}

func (c *procCluster) start(m *member, state string) {
	c.t.Helper()
	args := []string{
		"--name", m.name, "--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
		"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
		"--initial-cluster", m.initialCfg, "--initial-cluster-state", state, "--initial-cluster-token", "proc-test",
	}
	m.cmd = exec.Command(raftkvBinary, append(args, m.extra...)...)
	if m.log == nil {
		m.log = &lockedBuffer{}
	}
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(m.cmd, m.exited)
}

// kill sends SIGKILL: no shutdown, no flush, exactly like a crash.
func (c *procCluster) kill(m *member) {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Signal(syscall.SIGKILL)
		<-m.exited
		m.cmd = nil
	}
}

func (c *procCluster) endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.clientURL)
	}
	return out
}

func (c *procCluster) client(endpoints ...string) *client.Client {
	c.t.Helper()
	if len(endpoints) == 0 {
		endpoints = c.endpoints()
	}
	cl, err := client.New(client.Config{Endpoints: endpoints, DialTimeout: time.Second, RequestTimeout: 5 * time.Second})
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// pollEvery is how often a test asks the condition it waits on with
// require.Eventually.
const pollEvery = 20 * time.Millisecond

func (c *procCluster) waitHealthy() {
	c.t.Helper()
	// The clients are made here: the condition runs on a goroutine of its
	// own, where a failing test must not stop.
	clients := map[*member]*client.Client{}
	for _, m := range c.members {
		clients[m] = c.client(m.clientURL)
	}
	require.Eventually(c.t, func() bool {
		for _, m := range c.members {
			if m.cmd == nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			h, err := clients[m].Health(ctx, m.clientURL)
			cancel()
			if err != nil || h.Health != "true" {
				return false
			}
		}
		return true
	}, 30*time.Second, pollEvery, "every member healthy")
}

// leader returns the member that leads, as the members report it.
func (c *procCluster) leader() *member {
	c.t.Helper()
	var lead *member
	clients := map[*member]*client.Client{}
	for _, m := range c.members {
		clients[m] = c.client(m.clientURL)
	}
	require.Eventually(c.t, func() bool {
		for _, m := range c.members {
			if m.cmd == nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := clients[m].Status(ctx, m.clientURL)
			cancel()
			if err != nil || st.Leader == 0 || st.Leader != st.Header.MemberID {
				continue
			}
			lead = m
			return true
		}
		return false
	}, 30*time.Second, pollEvery, "a leader")
	return lead
}

func TestProcess_KillLeaderDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	c := newProcCluster(t, 3)
	cl := c.client()
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprintf("k%05d", i)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := cl.Put(ctx, key, "v")
			cancel()
			if err == nil {
				mu.Lock()
				acked = append(acked, key)
				mu.Unlock()
			}
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	require.Eventually(t, func() bool { return count() >= 100 }, 30*time.Second, pollEvery, "100 writes")
	old := c.leader()
	c.kill(old)
	before := count()
	require.Eventually(t, func() bool { return count() >= before+100 }, 30*time.Second, pollEvery, "writes through a new leader")
	close(stop)
	wg.Wait()
	c.start(old, "new")
	c.waitHealthy()
	// Every acknowledged write is on every member, the old leader included.
	for _, m := range c.members {
		mcl := c.client(m.clientURL)
		require.Eventually(t, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			resp, err := mcl.Get(ctx, "k", client.WithPrefix(), client.WithCountOnly(), client.WithSerializable())
			return err == nil && resp.Count >= int64(len(acked))
		}, 30*time.Second, pollEvery, m.name+" caught up")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := mcl.Get(ctx, "k", client.WithPrefix(), client.WithKeysOnly(), client.WithSerializable())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, kv := range resp.Kvs {
			have[string(kv.Key)] = true
		}
		for _, k := range acked {
			if !have[k] {
				t.Fatalf("%s lost acknowledged write %s", m.name, k)
			}
		}
	}
	t.Logf("%d acknowledged writes survived a SIGKILL of the leader", len(acked))
}

func TestProcess_RestartedMemberCatchesUpBySnapshot(t *testing.T) {
	c := newProcCluster(t, 3, "--snapshot-count", "100", "--snapshot-catchup-entries", "10")
	lead := c.leader()
	var follower *member
	for _, m := range c.members {
		if m != lead {
			follower = m
		}
	}
	c.kill(follower)
	cl := c.client(lead.clientURL)
	for i := range 400 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := cl.Put(ctx, fmt.Sprintf("s%03d", i), "v"); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	c.start(follower, "new")
	fcl := c.client(follower.clientURL)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := fcl.Get(ctx, "s399", client.WithSerializable())
		return err == nil && len(resp.Kvs) == 1
	}, 30*time.Second, pollEvery, "the follower to catch up")
	if !strings.Contains(follower.log.String(), "restored snapshot") {
		t.Fatalf("the follower caught up without a snapshot; its log:\n%s", follower.log.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hl, err1 := cl.HashKV(ctx, lead.clientURL, 0)
	hf, err2 := fcl.HashKV(ctx, follower.clientURL, 0)
	if err1 != nil || err2 != nil || hl.Hash != hf.Hash {
		t.Fatalf("stores differ after catching up: %v %v %v %v", hl, hf, err1, err2)
	}
}

func TestProcess_AddPromoteAndRemoveMembersIncludingTheLeader(t *testing.T) {
	c := newProcCluster(t, 3)
	cl := c.client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cl.Put(ctx, "before", "1"); err != nil {
		t.Fatal(err)
	}
	// member add --learner, then start it with --initial-cluster-state existing.
	m4 := &member{name: "m4", clientURL: "http://" + c.freeAddr(), peerURL: "http://" + c.freeAddr(), dataDir: filepath.Join(t.TempDir(), "m4")}
	added, err := cl.MemberAdd(ctx, []string{m4.peerURL}, true)
	if err != nil {
		t.Fatalf("member add: %v", err)
	}
	if !added.Member.IsLearner {
		t.Fatalf("added member is not a learner: %+v", added.Member)
	}
	m4.initialCfg = c.members[0].initialCfg + ",m4=" + m4.peerURL
	c.members = append(c.members, m4)
	c.start(m4, "existing")
	m4cl := c.client(m4.clientURL)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := m4cl.Get(ctx, "before", client.WithSerializable())
		return err == nil && len(resp.Kvs) == 1
	}, 30*time.Second, pollEvery, "the learner to catch up")
	// Promote it (the request may reach a follower, which forwards it).
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := cl.MemberPromote(ctx, added.Member.ID)
		return err == nil
	}, 30*time.Second, pollEvery, "promotion")
	list, err := cl.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Members {
		if m.IsLearner {
			t.Fatalf("still a learner after promotion: %+v", m)
		}
	}
	// Remove the leader: it hands over, steps down and exits.
	lead := c.leader()
	st, err := cl.Status(ctx, lead.clientURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.MemberRemove(ctx, st.Header.MemberID); err != nil {
		t.Fatalf("remove the leader: %v", err)
	}
	select {
	case <-lead.exited:
		lead.cmd = nil
	case <-time.After(30 * time.Second):
		t.Fatal("the removed leader did not exit")
	}
	if !strings.Contains(lead.log.String(), "permanently removed") {
		t.Errorf("the removed leader did not say why it stopped:\n%s", lead.log.String())
	}
	var rest []string
	for _, m := range c.members {
		if m != lead {
			rest = append(rest, m.clientURL)
		}
	}
	rcl := c.client(rest...)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := rcl.Put(ctx, "after", "2")
		return err == nil
	}, 30*time.Second, pollEvery, "a write after removing the leader")
	list, err = rcl.MemberList(ctx)
	if err != nil || len(list.Members) != 3 {
		t.Fatalf("member list after removal: %+v %v", list, err)
	}
}

// A watch open across a leader change sees every event exactly once, in order.
func TestProcess_WatchAcrossLeaderChangeSeesEveryEventOnce(t *testing.T) {
	c := newProcCluster(t, 3)
	lead := c.leader()
	var others []string
	for _, m := range c.members {
		if m != lead {
			others = append(others, m.clientURL)
		}
	}
	// The watcher talks to a follower that survives; writes go anywhere.
	// It watches from the revision after the cluster's current one, so that
	// a write made before the watch is set up on the member is still its
	// to see (a watch from "now" may start after the first writes).
	wcl := c.client(others...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := c.client()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	start, err := cl.Get(rctx, "w/", client.WithPrefix())
	rcancel()
	require.NoError(t, err)
	events := wcl.Watch(ctx, "w/", client.WithPrefix(), client.WithRev(start.Header.Revision+1))
	var acked []string
	put := func(i int) {
		key := fmt.Sprintf("w/%04d", i)
		pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer pcancel()
		if _, err := cl.Put(pctx, key, "v"); err == nil {
			acked = append(acked, key)
		}
	}
	for i := range 100 {
		put(i)
	}
	c.kill(lead)
	for i := 100; i < 200; i++ {
		put(i)
	}
	var lastRev int64
	seen := map[string]int{}
	deadline := time.After(30 * time.Second)
	for len(seen) < len(acked) || !allSeen(seen, acked) {
		select {
		case resp, ok := <-events:
			if !ok {
				t.Fatal("watch channel closed")
			}
			if resp.Err != nil {
				t.Fatalf("watch: %v", resp.Err)
			}
			for _, ev := range resp.Events {
				if ev.Kv.ModRevision <= lastRev {
					t.Fatalf("event out of order or repeated: revision %d after %d", ev.Kv.ModRevision, lastRev)
				}
				lastRev = ev.Kv.ModRevision
				seen[string(ev.Kv.Key)]++
			}
		case <-deadline:
			var missing []string
			for _, k := range acked {
				if seen[k] == 0 {
					missing = append(missing, k)
				}
			}
			t.Fatalf("saw %d of %d acknowledged writes; missing %q", len(seen), len(acked), missing)
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", k, n)
		}
	}
}

func allSeen(seen map[string]int, keys []string) bool {
	for _, k := range keys {
		if seen[k] == 0 {
			return false
		}
	}
	return true
}

// A keep-alive sent to a follower is forwarded to the leader, which alone
// decides when leases expire (server.Member.KeepAlive; found by the
// member-level simulator), and renews the lease.
func TestProcess_KeepAliveThroughAFollowerReachesTheLeader(t *testing.T) {
	c := newProcCluster(t, 3)
	lead := c.leader()
	var follower string
	for _, m := range c.members {
		if m != lead {
			follower = m.clientURL
		}
	}
	cl := c.client(follower)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g, err := cl.Grant(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Right after the start the follower may not know the leader's client
	// URL yet (members publish it through the log): "no leader", retried.
	var ka *client.LeaseKeepAliveResponse
	require.Eventually(t, func() bool {
		ka, err = cl.KeepAliveOnce(ctx, g.ID)
		return !errors.Is(err, client.ErrNoLeader)
	}, 10*time.Second, pollEvery, "the follower to know the leader's client URL")
	if err != nil || ka.ID != g.ID || ka.TTL != 5 {
		t.Fatalf("keep-alive through a follower: %+v %v", ka, err)
	}
	if _, err := cl.KeepAliveOnce(ctx, 0x7eadbeef); !errors.Is(err, client.ErrLeaseNotFound) {
		t.Fatalf("keep-alive of an unknown lease through a follower: %v", err)
	}
}
