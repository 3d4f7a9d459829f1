package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client"
)

// Process-level tests of `raftkv grpc-proxy start` in front of a cluster of
// real members, with the real etcdctl as the client.

// etcdctlBinary is the real etcdctl: $ETCDCTL, the repository's
// bin/etcdctl, or the one built beside etcd in /work/etcd-bin.
func etcdctlBinary(t *testing.T) string {
	t.Helper()
	repoBin, _ := filepath.Abs("../../bin/etcdctl")
	for _, p := range []string{os.Getenv("ETCDCTL"), repoBin, "/work/etcd-bin/etcdctl"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	t.Fatal("these tests run the real etcdctl (v3.7): build it into bin/etcdctl, or point ETCDCTL at one")
	return ""
}

// procProxy is a `raftkv grpc-proxy start` process.
type procProxy struct {
	addr   string
	args   []string
	cmd    *exec.Cmd
	log    *lockedBuffer
	exited chan struct{}
}

func (c *procCluster) startProxy(extra ...string) *procProxy {
	c.t.Helper()
	p := &procProxy{addr: c.freeAddr(), log: &lockedBuffer{}}
	var eps []string
	for _, m := range c.members {
		eps = append(eps, strings.TrimPrefix(m.clientURL, "http://"))
	}
	p.args = append([]string{"grpc-proxy", "start", "--endpoints=" + strings.Join(eps, ","),
		"--listen-addr=" + p.addr, "--advertise-client-url=" + p.addr}, extra...)
	c.runProxy(p)
	c.t.Cleanup(func() {
		c.stopProxy(p)
		if c.t.Failed() {
			c.t.Logf("--- log of the proxy ---\n%s", p.log.String())
		}
	})
	return p
}

func (c *procCluster) runProxy(p *procProxy) {
	c.t.Helper()
	p.cmd = exec.Command(raftkvBinary, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(c.t, p.cmd.Start())
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(p.cmd, p.exited)
	require.Eventually(c.t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, pollEvery, "the proxy to answer /health")
}

// stopProxy kills the proxy (SIGKILL, as a crash).
func (c *procCluster) stopProxy(p *procProxy) {
	if p.cmd != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		p.cmd = nil
	}
}

// etcdctl runs the real etcdctl against endpoint and returns its output.
func etcdctl(t *testing.T, endpoint string, args ...string) string {
	t.Helper()
	return etcdctlWithInput(t, endpoint, "", args...)
}

func etcdctlWithInput(t *testing.T, endpoint, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(etcdctlBinary(t), append([]string{"--endpoints=" + endpoint, "--command-timeout=10s"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "etcdctl %v:\n%s", args, out)
	return string(out)
}

// backgroundEtcdctl is a long-running etcdctl (a watch), its output kept.
type backgroundEtcdctl struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

func startEtcdctl(t *testing.T, endpoint string, args ...string) *backgroundEtcdctl {
	t.Helper()
	b := &backgroundEtcdctl{out: &lockedBuffer{}}
	b.cmd = exec.Command(etcdctlBinary(t), append([]string{"--endpoints=" + endpoint}, args...)...)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	require.NoError(t, b.cmd.Start())
	t.Cleanup(func() {
		b.cmd.Process.Kill()
		b.cmd.Wait()
	})
	return b
}

// watchedPuts reads an etcdctl watch's output: the keys of its PUT events,
// in order.
func watchedPuts(out string) []string {
	var keys []string
	lines := strings.Split(out, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] == "PUT" {
			keys = append(keys, lines[i+1])
		}
	}
	return keys
}

// metric reads one sample of a Prometheus page.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err)
			return f
		}
	}
	return 0
}

// clusterWatchers is the number of watches the members hold.
func (c *procCluster) clusterWatchers(t *testing.T) float64 {
	total := 0.0
	for _, m := range c.members {
		if m.cmd != nil {
			total += metric(t, m.clientURL+"/metrics", "etcd_debugging_mvcc_watcher_total")
		}
	}
	return total
}

// The real etcdctl works through the proxy as it does against a member.
func TestProcess_EtcdctlThroughTheProxy(t *testing.T) {
	c := newProcCluster(t, 3)
	p := c.startProxy()
	require.Equal(t, "OK\n", etcdctl(t, p.addr, "put", "/greeting", "hello"))
	require.Equal(t, "/greeting\nhello\n", etcdctl(t, p.addr, "get", "/greeting"))
	require.Equal(t, "hello\n", etcdctl(t, p.addr, "get", "/greeting", "--consistency=s", "--print-value-only"))
	require.Equal(t, "SUCCESS\n\n/greeting\nhello\n", etcdctlWithInput(t, p.addr, "value(\"/greeting\") = \"hello\"\n\nget /greeting\n\n\n", "txn"))
	lease := etcdctl(t, p.addr, "lease", "grant", "60")
	id := strings.Fields(lease)[1]
	require.Equal(t, "OK\n", etcdctl(t, p.addr, "put", "/leased", "x", "--lease="+id))
	require.Contains(t, etcdctl(t, p.addr, "lease", "keep-alive", "--once", id), "keepalived with TTL(60)")
	require.Contains(t, etcdctl(t, p.addr, "lease", "timetolive", "--keys", id), "attached keys([/leased])")
	require.Equal(t, "1\n", etcdctl(t, p.addr, "del", "/greeting"))
	// member list through a proxy lists the proxy (etcd's answer).
	require.Contains(t, etcdctl(t, p.addr, "member", "list"), ", "+p.addr+", false")
	require.Contains(t, etcdctl(t, p.addr, "endpoint", "status"), p.addr+", ")
	require.Contains(t, etcdctl(t, p.addr, "endpoint", "health"), p.addr+" is healthy")
}

// Ten etcdctl watches of one key through the proxy cost the cluster one
// watch — the proxy's metrics and the members' agree — and each etcdctl
// sees every change.
func TestProcess_EtcdctlWatchesShareOneWatchOnTheCluster(t *testing.T) {
	c := newProcCluster(t, 3)
	p := c.startProxy()
	const watchers = 10
	var ws []*backgroundEtcdctl
	for range watchers {
		ws = append(ws, startEtcdctl(t, p.addr, "watch", "/shared"))
	}
	proxyMetrics := "http://" + p.addr + "/proxy/metrics"
	require.Eventually(t, func() bool {
		return metric(t, proxyMetrics, "raftkv_grpc_proxy_client_watches") == watchers
	}, 30*time.Second, pollEvery, "every etcdctl watch to be created")
	require.Equal(t, 1.0, metric(t, proxyMetrics, "raftkv_grpc_proxy_upstream_watches"))
	require.Equal(t, float64(watchers-1), metric(t, proxyMetrics, "etcd_grpc_proxy_watchers_coalescing_total"))
	require.Eventually(t, func() bool { return c.clusterWatchers(t) == 1 }, 30*time.Second, pollEvery,
		"the members to hold one watch")

	for i := range 3 {
		etcdctl(t, p.addr, "put", "/shared", fmt.Sprint(i))
	}
	for i, w := range ws {
		require.Eventually(t, func() bool { return len(watchedPuts(w.out.String())) == 3 }, 10*time.Second, pollEvery,
			"etcdctl watch %d to print the three changes: %q", i, w.out.String())
		require.Equal(t, "PUT\n/shared\n0\nPUT\n/shared\n1\nPUT\n/shared\n2\n", w.out.String())
	}
}

// Through a proxy with --namespace, etcdctl sees only the namespace, and
// its keys without the prefix.
func TestProcess_EtcdctlInANamespace(t *testing.T) {
	c := newProcCluster(t, 3)
	p := c.startProxy("--namespace=/tenant-a/")
	member := strings.TrimPrefix(c.members[0].clientURL, "http://")
	etcdctl(t, member, "put", "/tenant-b/secret", "no")
	etcdctl(t, p.addr, "put", "k", "v")
	require.Equal(t, "k\nv\n", etcdctl(t, p.addr, "get", "", "--prefix"))
	require.Equal(t, "/tenant-a/k\nv\n", etcdctl(t, member, "get", "/tenant-a/", "--prefix"))
}

// The member holding the proxy's watch is killed while writes go on: the
// etcdctl watching through the proxy sees every write once, in order.
func TestProcess_MemberKilledBehindTheProxyDuringAWatch(t *testing.T) {
	c := newProcCluster(t, 3)
	p := c.startProxy()
	w := startEtcdctl(t, p.addr, "watch", "--prefix", "/f/")
	var holder *member
	require.Eventually(t, func() bool {
		for _, m := range c.members {
			if metric(t, m.clientURL+"/metrics", "etcd_debugging_mvcc_watcher_total") > 0 {
				holder = m
				return true
			}
		}
		return false
	}, 30*time.Second, pollEvery, "a member to hold the proxy's watch")

	cl := c.client("http://" + p.addr)
	var want []string
	for i := range 30 {
		if i == 10 {
			c.kill(holder)
		}
		key := fmt.Sprintf("/f/%02d", i)
		createOnce(t, cl, key)
		want = append(want, key)
	}
	require.Eventually(t, func() bool { return len(watchedPuts(w.out.String())) >= len(want) }, 30*time.Second, pollEvery,
		"the watch to see every write: %q", w.out.String())
	require.Equal(t, want, watchedPuts(w.out.String()))
}

// The proxy crashes and is started again while etcdctl holds a watch
// through it: etcdctl reconnects and resumes from its last revision — it
// sees the write made while no proxy ran, and nothing twice.
func TestProcess_ProxyRestartedWhileEtcdctlWatches(t *testing.T) {
	c := newProcCluster(t, 3)
	p := c.startProxy()
	w := startEtcdctl(t, p.addr, "watch", "--prefix", "/r/")
	require.Eventually(t, func() bool { return c.clusterWatchers(t) == 1 }, 30*time.Second, pollEvery, "the watch to be established")
	etcdctl(t, p.addr, "put", "/r/before", "1")
	require.Eventually(t, func() bool { return len(watchedPuts(w.out.String())) == 1 }, 10*time.Second, pollEvery)

	c.stopProxy(p)
	etcdctl(t, strings.TrimPrefix(c.members[0].clientURL, "http://"), "put", "/r/while-down", "2")
	c.runProxy(p)
	etcdctl(t, p.addr, "put", "/r/after", "3")
	require.Eventually(t, func() bool { return len(watchedPuts(w.out.String())) >= 3 }, 30*time.Second, pollEvery,
		"etcdctl to reconnect and resume: %q", w.out.String())
	require.Equal(t, []string{"/r/before", "/r/while-down", "/r/after"}, watchedPuts(w.out.String()))
}

// createOnce creates key, trying again (as a create-if-absent transaction,
// so that a try that took effect is not repeated) while the cluster
// recovers from a death.
func createOnce(t *testing.T, cl *client.Client, key string) {
	t.Helper()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := cl.Txn(ctx).If(client.Compare(client.CreateRevision(key), "=", 0)).Then(client.OpPut(key, "v")).Commit()
		return err == nil
	}, 30*time.Second, pollEvery, "writing %s", key)
}
