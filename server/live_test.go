package server

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// liveCluster runs real Servers — real sockets on 127.0.0.1, real files in
// a temporary directory — inside the test process.
type liveCluster struct {
	t       testing.TB
	cfgs    []Config
	servers []*Server
	logs    []*bytes.Buffer
	used    map[int]bool
}

// freePort returns a port that is free now. It picks from below Linux's
// ephemeral range (32768 and up), so that the kernel does not hand the same
// port to an outgoing connection between this check and the server's bind.
func (c *liveCluster) freePort() int {
	t := c.t
	t.Helper()
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if c.used[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.used[port] = true
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func startLiveCluster(t testing.TB, n int, tweak func(*Config)) *liveCluster {
	t.Helper()
	dir := t.TempDir()
	c := &liveCluster{t: t, used: map[int]bool{}}
	var initial []string
	for i := range n {
		cfg := DefaultConfig()
		cfg.Name = fmt.Sprintf("m%d", i+1)
		cfg.DataDir = fmt.Sprintf("%s/m%d", dir, i+1)
		client := fmt.Sprintf("http://127.0.0.1:%d", c.freePort())
		peer := fmt.Sprintf("http://127.0.0.1:%d", c.freePort())
		cfg.ListenClientURLs, cfg.AdvertiseClientURLs = []string{client}, []string{client}
		cfg.ListenPeerURLs, cfg.InitialAdvertisePeerURLs = []string{peer}, []string{peer}
		cfg.InitialClusterToken = "live-test"
		initial = append(initial, cfg.Name+"="+peer)
		c.cfgs = append(c.cfgs, cfg)
	}
	for i := range c.cfgs {
		c.cfgs[i].InitialCluster = strings.Join(initial, ",")
		if tweak != nil {
			tweak(&c.cfgs[i])
		}
	}
	c.servers = make([]*Server, n)
	c.logs = make([]*bytes.Buffer, n)
	for i := range n {
		c.start(i)
	}
	t.Cleanup(c.stopAll)
	c.waitLeader()
	return c
}

func (c *liveCluster) start(i int) {
	c.t.Helper()
	c.logs[i] = &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: c.logs[i]}, nil))
	srv, err := Start(c.cfgs[i], logger)
	if err != nil {
		c.t.Fatalf("start %s: %v", c.cfgs[i].Name, err)
	}
	c.servers[i] = srv
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (c *liveCluster) stop(i int) {
	if c.servers[i] != nil {
		c.servers[i].Stop()
		c.servers[i] = nil
	}
}

func (c *liveCluster) stopAll() {
	for i := range c.servers {
		c.stop(i)
	}
}

func (c *liveCluster) url(i int) string { return c.cfgs[i].AdvertiseClientURLs[0] }

// waitLeader waits (with a deadline) until every running member agrees on a
// leader, and returns its index.
func (c *liveCluster) waitLeader() int {
	c.t.Helper()
	leader := -1
	require.Eventually(c.t, func() bool {
		lead := uint64(0)
		for _, s := range c.servers {
			if s == nil {
				continue
			}
			v := s.view.Load()
			if v.Lead == 0 || (lead != 0 && v.Lead != lead) {
				return false
			}
			lead = v.Lead
		}
		for i, s := range c.servers {
			if s != nil && s.view.Load().ID == lead {
				leader = i
			}
		}
		return leader >= 0
	}, 20*time.Second, 5*time.Millisecond, "every running member to agree on one leader")
	return leader
}

// post sends a request and returns the status and body.
func (c *liveCluster) post(i int, path, body string) (int, string) {
	c.t.Helper()
	resp, err := http.Post(c.url(i)+path, "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("POST %s%s: %v", c.url(i), path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A leader that is stopped (SIGTERM) hands leadership over first, so a
// write right after it goes down is served at once, not after an election.
func TestLive_StoppingTheLeaderHandsLeadershipOver(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	c.stop(lead)
	other := (lead + 1) % 3
	start := time.Now()
	status, body := c.post(other, "/v3/kv/put", `{"key":"YQ==","value":"Yg=="}`)
	if status != 200 {
		t.Fatalf("put after stopping the leader: %d %s", status, body)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the put took %s: leadership was not handed over", took)
	}
	for i, s := range c.servers {
		if s != nil && i != lead {
			if v := s.view.Load(); v.Lead == 0 {
				t.Fatalf("member %d sees no leader", i)
			}
		}
	}
}
