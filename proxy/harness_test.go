package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/raftkv/raftkv/server"
)

// The tests run real members (server.Start: real sockets on 127.0.0.1, real
// files) and real proxies in the test process, and talk to the proxies as
// clients do: over gRPC with etcd's messages, and over the JSON gateway.

// waitFor is how long a test waits for something that should happen at
// once on a quiet machine.
const waitFor = 10 * time.Second

const pollEvery = 10 * time.Millisecond

type testCluster struct {
	t       testing.TB
	cfgs    []server.Config
	servers []*server.Server
	logs    []*lockedBuffer
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

var usedPorts sync.Map

// freeAddr is a free 127.0.0.1 address below Linux's ephemeral range (so
// that no outgoing connection takes it before it is bound).
func freeAddr(t testing.TB) string {
	for range 1000 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if _, taken := usedPorts.LoadOrStore(addr, true); taken {
			continue
		}
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

// startCluster starts n members with short timers, and waits for a leader.
func startCluster(t testing.TB, n int) *testCluster {
	t.Helper()
	dir := t.TempDir()
	c := &testCluster{t: t}
	var initial []string
	for i := range n {
		cfg := server.DefaultConfig()
		cfg.Name = fmt.Sprintf("m%d", i+1)
		cfg.DataDir = fmt.Sprintf("%s/m%d", dir, i+1)
		client, peer := "http://"+freeAddr(t), "http://"+freeAddr(t)
		cfg.ListenClientURLs, cfg.AdvertiseClientURLs = []string{client}, []string{client}
		cfg.ListenPeerURLs, cfg.InitialAdvertisePeerURLs = []string{peer}, []string{peer}
		cfg.InitialClusterToken = "proxy-test"
		cfg.HeartbeatInterval = 20 * time.Millisecond
		cfg.ElectionTimeout = 200 * time.Millisecond
		initial = append(initial, cfg.Name+"="+peer)
		c.cfgs = append(c.cfgs, cfg)
	}
	c.servers = make([]*server.Server, n)
	c.logs = make([]*lockedBuffer, n)
	for i := range c.cfgs {
		c.cfgs[i].InitialCluster = strings.Join(initial, ",")
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.servers {
			c.stop(i)
		}
		if t.Failed() {
			for i, l := range c.logs {
				t.Logf("--- log of m%d ---\n%s", i+1, l.String())
			}
		}
	})
	require.Eventually(t, func() bool {
		for _, s := range c.servers {
			if s.Leader() == 0 {
				return false
			}
		}
		return true
	}, waitFor, pollEvery, "a leader")
	return c
}

func (c *testCluster) start(i int) {
	c.t.Helper()
	if c.logs[i] == nil {
		c.logs[i] = &lockedBuffer{}
	}
	s, err := server.Start(c.cfgs[i], slog.New(slog.NewTextHandler(c.logs[i], nil)))
	require.NoError(c.t, err)
	c.servers[i] = s
}

// stop stops member i (its clients' connections break, as when it dies).
func (c *testCluster) stop(i int) {
	if s := c.servers[i]; s != nil {
		s.Stop()
		c.servers[i] = nil
	}
}

// endpoints are the members' client addresses, as --endpoints gives them.
func (c *testCluster) endpoints() []string {
	var out []string
	for _, cfg := range c.cfgs {
		out = append(out, strings.TrimPrefix(cfg.ListenClientURLs[0], "http://"))
	}
	return out
}

// watchers sums etcd_debugging_mvcc_watcher_total over the running
// members: the watches the cluster holds.
func (c *testCluster) watchers(t testing.TB) int {
	total := 0
	for i, cfg := range c.cfgs {
		if c.servers[i] == nil {
			continue
		}
		total += int(metricValue(t, cfg.ListenClientURLs[0]+"/metrics", "etcd_debugging_mvcc_watcher_total"))
	}
	return total
}

// holder returns the member that holds a watch, -1 if none does.
func (c *testCluster) holder(t testing.TB) int {
	for i, cfg := range c.cfgs {
		if c.servers[i] != nil && metricValue(t, cfg.ListenClientURLs[0]+"/metrics", "etcd_debugging_mvcc_watcher_total") > 0 {
			return i
		}
	}
	return -1
}

// metricValue reads one sample from a Prometheus text page (0 if absent).
func metricValue(t testing.TB, url, name string) float64 {
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

// testProxy is a proxy served on a port of its own.
type testProxy struct {
	*Proxy
	addr   string
	served chan error
}

func startProxy(t testing.TB, c *testCluster, tweak func(*Config)) *testProxy {
	t.Helper()
	return startProxyAt(t, c, freeAddr(t), tweak)
}

func startProxyAt(t testing.TB, c *testCluster, addr string, tweak func(*Config)) *testProxy {
	t.Helper()
	cfg := Config{Endpoints: c.endpoints(), StatusInterval: 50 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	tp := &testProxy{Proxy: p, addr: addr, served: make(chan error, 1)}
	go func() { tp.served <- p.Serve(ln, nil) }()
	t.Cleanup(func() { tp.Close() })
	return tp
}

// grpcConn is a client connection to addr, closed with the test.
func grpcConn(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

func put(t testing.TB, kvc pb.KVClient, key, value string) int64 {
	t.Helper()
	resp, err := kvc.Put(ctxFor(t), &pb.PutRequest{Key: []byte(key), Value: []byte(value)})
	require.NoError(t, err)
	return resp.Header.Revision
}

// watchStream is a client's watch stream, its responses collected.
type watchStream struct {
	t      testing.TB
	stream pb.Watch_WatchClient
	resps  chan *pb.WatchResponse
}

func openWatch(t testing.TB, conn *grpc.ClientConn) *watchStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := pb.NewWatchClient(conn).Watch(ctx)
	require.NoError(t, err)
	ws := &watchStream{t: t, stream: stream, resps: make(chan *pb.WatchResponse, 10000)}
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				close(ws.resps)
				return
			}
			ws.resps <- resp
		}
	}()
	return ws
}

func (ws *watchStream) create(req *pb.WatchCreateRequest) {
	ws.t.Helper()
	require.NoError(ws.t, ws.stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: req}}))
}

func (ws *watchStream) cancel(id int64) {
	ws.t.Helper()
	require.NoError(ws.t, ws.stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CancelRequest{CancelRequest: &pb.WatchCancelRequest{WatchId: id}}}))
}

func (ws *watchStream) progress() {
	ws.t.Helper()
	require.NoError(ws.t, ws.stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}}))
}

// next returns the stream's next response.
func (ws *watchStream) next() *pb.WatchResponse {
	ws.t.Helper()
	select {
	case resp, ok := <-ws.resps:
		require.True(ws.t, ok, "the watch stream ended")
		return resp
	case <-time.After(waitFor):
		ws.t.Fatal("no watch response")
		return nil
	}
}

// created creates a watch and returns its ID, from its created response.
func (ws *watchStream) created(req *pb.WatchCreateRequest) int64 {
	ws.t.Helper()
	ws.create(req)
	resp := ws.next()
	require.True(ws.t, resp.Created, "expected a created response, got %v", resp)
	require.False(ws.t, resp.Canceled, "the watch was refused: %v", resp)
	return resp.WatchId
}

// events collects n events of the stream (by watch ID), failing on
// anything else but progress notifications.
func (ws *watchStream) events(n int) map[int64][]string {
	ws.t.Helper()
	got := map[int64][]string{}
	for count := 0; count < n; {
		resp := ws.next()
		require.False(ws.t, resp.Canceled, "watch canceled: %v", resp)
		for _, e := range resp.Events {
			got[resp.WatchId] = append(got[resp.WatchId], fmt.Sprintf("%s %s=%s@%d", e.Type, e.Kv.Key, e.Kv.Value, e.Kv.ModRevision))
			count++
		}
	}
	return got
}

func readAll(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// httpGet returns the status code of a GET.
func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
