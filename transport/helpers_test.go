package transport

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftkv/raftkv/raft"
	"github.com/stretchr/testify/assert"
)

// Tests wait on conditions, never on sleeps (require.Eventually): a sleep
// long enough for a busy 2-core CI machine is a waste everywhere else, and
// one short enough is flaky. waitLimit is a deadline such a machine meets
// easily; pollEvery is how often the condition is asked.
const (
	waitLimit = 20 * time.Second
	pollEvery = 2 * time.Millisecond
)

// isClosed returns a condition for require.Eventually: ch has been closed.
func isClosed(ch <-chan struct{}) func() bool {
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

// checkNoLeaks fails the test if, once it has cleaned up, more goroutines
// run than before it started. It must be called before anything the test
// starts, and tests that use it must not run in parallel.
func checkNoLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		// The condition runs in a goroutine of its own: one more than
		// the test left.
		ended := func() bool { return runtime.NumGoroutine()-1 <= before }
		if !assert.Eventually(t, ended, 10*time.Second, 5*time.Millisecond, "the test's goroutines to end") {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before the test, %d after:\n%s", before, runtime.NumGoroutine(), buf)
		}
	})
}

// recorder is a Handler that remembers everything.
type recorder struct {
	mu          sync.Mutex
	msgs        []raft.Message
	unreachable map[uint64]int
	snapshots   []snapshotStatus
}

func newRecorder() *recorder { return &recorder{unreachable: make(map[uint64]int)} }

func (r *recorder) Process(m raft.Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *recorder) ReportUnreachable(id uint64) {
	r.mu.Lock()
	r.unreachable[id]++
	r.mu.Unlock()
}

func (r *recorder) ReportSnapshot(id uint64, delivered bool) {
	r.mu.Lock()
	r.snapshots = append(r.snapshots, snapshotStatus{id, delivered})
	r.mu.Unlock()
}

func (r *recorder) messages() []raft.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]raft.Message(nil), r.msgs...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func (r *recorder) unreachableCount(id uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unreachable[id]
}

func (r *recorder) snapshotReports() []snapshotStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]snapshotStatus(nil), r.snapshots...)
}

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) contains(s string) bool { return strings.Contains(l.String(), s) }

func (l *logBuffer) countOf(s string) int { return strings.Count(l.String(), s) }

// member is one transport on a real 127.0.0.1 socket.
type member struct {
	id   uint64
	tr   *HTTPTransport
	rec  *recorder
	logs *logBuffer
	url  string
	ln   net.Listener
	done chan error // Serve's result
}

// testConfig is the configuration tests start from: quick reconnection so
// that tests of recovery are fast, everything else at its default.
func testConfig(cluster, id uint64) Config {
	return Config{
		ClusterID:  cluster,
		LocalID:    id,
		Seed:       id,
		BackoffMin: 5 * time.Millisecond,
		BackoffMax: 50 * time.Millisecond,
	}
}

// startMember starts a transport serving on addr ("127.0.0.1:0" picks a port).
func startMember(t testing.TB, cfg Config, addr string, wrap ...func(net.Listener) net.Listener) *member {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	for _, w := range wrap {
		ln = w(ln)
	}
	m := &member{id: cfg.LocalID, rec: newRecorder(), logs: &logBuffer{}, ln: ln, done: make(chan error, 1)}
	if cfg.Handler == nil {
		cfg.Handler = m.rec
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(m.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m.tr, err = New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	scheme := "http"
	if cfg.ServerTLS != nil {
		scheme = "https"
	}
	m.url = fmt.Sprintf("%s://%s", scheme, ln.Addr())
	go func() { m.done <- m.tr.Serve(ln) }()
	t.Cleanup(m.stop)
	return m
}

// stop stops the transport and waits for Serve to return.
func (m *member) stop() {
	m.tr.Stop()
	if m.done != nil {
		<-m.done
		m.done = nil
	}
}

// connect makes each member a peer of the others.
func connect(ms ...*member) {
	for _, a := range ms {
		for _, b := range ms {
			if a != b {
				a.tr.AddPeer(b.id, []string{b.url})
			}
		}
	}
}

// app returns a MsgApp from → to carrying one entry of size bytes, with
// index i so that tests can check order.
func app(from, to, i uint64, size int) raft.Message {
	data := bytes.Repeat([]byte{byte(i)}, size)
	return raft.Message{
		Type: raft.MsgApp, From: from, To: to, Term: 3, LogTerm: 3, Index: i - 1, Commit: i - 1,
		Entries: []raft.Entry{{Term: 3, Index: i, Data: data}},
	}
}

func heartbeat(from, to, round uint64) raft.Message {
	return raft.Message{Type: raft.MsgHeartbeat, From: from, To: to, Term: 3, ReadRound: round}
}

// closedAddr returns an address on which nothing listens.
func closedAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
