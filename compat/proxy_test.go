package compat

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// procProxy is a `grpc-proxy start` process in front of a cluster: raftkv's,
// or etcd's own when $COMPAT_SERVER is etcd (the command and flags are
// the same).
type procProxy struct {
	addr   string // host:port
	cmd    *exec.Cmd
	exited chan struct{}
}

// startProxy starts a proxy in front of c's members with the extra flags,
// and waits until it answers /health.
func startProxy(t *testing.T, c *procCluster, flags ...string) *procProxy {
	t.Helper()
	p := &procProxy{addr: fmt.Sprintf("127.0.0.1:%d", freePort(t, c.ports))}
	var endpoints []string
	for _, m := range c.members {
		endpoints = append(endpoints, strings.TrimPrefix(m.clientURL, "http://"))
	}
	logPath := filepath.Join(c.dir, "proxy-"+strings.ReplaceAll(p.addr, ":", "-")+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer log.Close()
	args := append([]string{"grpc-proxy", "start", "--endpoints=" + strings.Join(endpoints, ","),
		"--listen-addr=" + p.addr, "--advertise-client-url=" + p.addr}, flags...)
	p.cmd = exec.Command(progs.server, args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	require.NoError(t, p.cmd.Start())
	p.exited = make(chan struct{})
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		if t.Failed() {
			t.Logf("--- the end of the proxy's log ---\n%s", logTail(logPath, 25))
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 15*time.Second, 50*time.Millisecond, "the proxy on %s to answer /health", p.addr)
	return p
}

// clientv3 through a proxy works as against a member: keys with the
// options the tutorial uses, a txn, two watches of one key, a lease kept
// alive, a concurrency.Mutex held by one client and waited for by another.
func TestProxy_ClientV3ThroughAProxy(t *testing.T) {
	c := startCluster(t, 3)
	p := startProxy(t, c)
	cli := c.client(p.addr)

	_, err := cli.Put(callCtx(t), "/proxy/a", "1")
	require.NoError(t, err)
	_, err = cli.Put(callCtx(t), "/proxy/b", "2")
	require.NoError(t, err)
	got, err := cli.Get(callCtx(t), "/proxy/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	require.NoError(t, err)
	require.Len(t, got.Kvs, 2)
	assert.Equal(t, "/proxy/b", string(got.Kvs[0].Key))
	direct, err := c.client().Get(callCtx(t), "/proxy/a")
	require.NoError(t, err)
	require.Len(t, direct.Kvs, 1, "a put through the proxy is the cluster's")
	assert.Equal(t, direct.Kvs[0].ModRevision, got.Kvs[1].ModRevision)

	txn, err := cli.Txn(callCtx(t)).
		If(clientv3.Compare(clientv3.Value("/proxy/a"), "=", "1")).
		Then(clientv3.OpPut("/proxy/a", "2")).
		Else(clientv3.OpGet("/proxy/a")).Commit()
	require.NoError(t, err)
	assert.True(t, txn.Succeeded)

	// Two watches of one key, from two clients of the proxy, from the
	// revision after the txn (so that no write can come before a watch is
	// set up): each sees every change, in order, once.
	from := txn.Header.Revision + 1
	var watches []clientv3.WatchChan
	for range 2 {
		watches = append(watches, c.client(p.addr).Watch(clientv3.WithRequireLeader(callCtx(t)), "/proxy/w", clientv3.WithRev(from)))
	}
	first, err := cli.Put(callCtx(t), "/proxy/w", "x")
	require.NoError(t, err)
	_, err = cli.Put(callCtx(t), "/proxy/w", "y")
	require.NoError(t, err)
	for i, wc := range watches {
		var values []string
		for len(values) < 2 {
			select {
			case resp, ok := <-wc:
				require.True(t, ok, "watch %d closed", i)
				require.NoError(t, resp.Err())
				for _, ev := range resp.Events {
					require.GreaterOrEqual(t, ev.Kv.ModRevision, first.Header.Revision, "watch %d", i)
					values = append(values, string(ev.Kv.Value))
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("watch %d saw %q, want x and y", i, values)
			}
		}
		assert.Equal(t, []string{"x", "y"}, values, "watch %d", i)
	}

	lease, err := cli.Grant(callCtx(t), 5)
	require.NoError(t, err)
	_, err = cli.Put(callCtx(t), "/proxy/leased", "v", clientv3.WithLease(lease.ID))
	require.NoError(t, err)
	ka, err := cli.KeepAliveOnce(callCtx(t), lease.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(5), ka.TTL)
	ttl, err := cli.TimeToLive(callCtx(t), lease.ID, clientv3.WithAttachedKeys())
	require.NoError(t, err)
	assert.Equal(t, []string{"/proxy/leased"}, toStrings(ttl.Keys))

	s1, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
	require.NoError(t, err)
	defer s1.Close()
	s2, err := concurrency.NewSession(c.client(p.addr), concurrency.WithTTL(5))
	require.NoError(t, err)
	defer s2.Close()
	held := concurrency.NewMutex(s1, "/proxy/lock")
	require.NoError(t, held.Lock(callCtx(t)))
	assert.ErrorIs(t, concurrency.NewMutex(s2, "/proxy/lock").TryLock(callCtx(t)), concurrency.ErrLocked)
	require.NoError(t, held.Unlock(callCtx(t)))
	require.NoError(t, concurrency.NewMutex(s2, "/proxy/lock").TryLock(callCtx(t)), "free once unlocked")
}

// A proxy's --namespace is a keyspace of its own for clientv3: what it
// writes lies under the prefix in the cluster, and what lies outside it is
// out of its sight.
func TestProxy_ClientV3InANamespace(t *testing.T) {
	c := startCluster(t, 3)
	p := startProxy(t, c, "--namespace=/tenant-a/")
	inside := c.client(p.addr)
	outside := c.client()

	_, err := outside.Put(callCtx(t), "config", "the cluster's own")
	require.NoError(t, err)
	_, err = inside.Put(callCtx(t), "config", "tenant a's")
	require.NoError(t, err)

	got, err := outside.Get(callCtx(t), "/tenant-a/config")
	require.NoError(t, err)
	require.Len(t, got.Kvs, 1)
	assert.Equal(t, "tenant a's", string(got.Kvs[0].Value))
	all, err := inside.Get(callCtx(t), "", clientv3.WithFromKey())
	require.NoError(t, err)
	require.Len(t, all.Kvs, 1, "the namespace sees only its own keys")
	assert.Equal(t, "config", string(all.Kvs[0].Key), "and without the prefix")
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
