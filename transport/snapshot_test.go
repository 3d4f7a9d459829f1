package transport

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/raftkv/raftkv/raft"
	"github.com/stretchr/testify/require"
)

// snapshotMsg is a MsgSnap with size bytes of pseudo-random data.
func snapshotMsg(from, to uint64, size int) raft.Message {
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(from, to))
	for i := 0; i+8 <= len(data); i += 8 {
		binary.LittleEndian.PutUint64(data[i:], rng.Uint64())
	}
	return raft.Message{
		Type: raft.MsgSnap, From: from, To: to, Term: 5,
		Snapshot: &raft.Snapshot{
			Meta: raft.SnapshotMeta{Index: 12345, Term: 4, ConfState: raft.ConfState{Voters: []uint64{1, 2, 3}}},
			Data: data,
		},
	}
}

// gateState is shared by the connections a gated listener accepts.
type gateState struct {
	stalled atomic.Bool
}

func (g *gateState) isStalled() bool { return g.stalled.Load() }

// gateAfter wraps a listener so that each accepted connection, once it has
// read limit bytes, stops reading until gate is closed. A snapshot stalls
// there mid-transfer for as long as the test wants, deterministically,
// while a stream of small messages never reaches the limit.
func gateAfter(limit int, gate chan struct{}, g *gateState) func(net.Listener) net.Listener {
	return func(ln net.Listener) net.Listener {
		return &gatedListener{Listener: ln, limit: limit, gate: gate, state: g}
	}
}

type gatedListener struct {
	net.Listener
	limit int
	gate  chan struct{}
	state *gateState
}

func (l *gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, l: l, closed: make(chan struct{})}, nil
}

type gatedConn struct {
	net.Conn
	l    *gatedListener
	read int

	mu        sync.Mutex
	deadline  time.Time
	closed    chan struct{}
	closeOnce sync.Once
}

func (c *gatedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *gatedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *gatedConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

func (c *gatedConn) Read(p []byte) (int, error) {
	if c.read >= c.l.limit {
		c.l.state.stalled.Store(true)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-c.l.gate:
				break wait
			case <-c.closed:
				return 0, net.ErrClosed
			case <-tick.C:
				// Honour deadlines, as a real blocked read would.
				c.mu.Lock()
				d := c.deadline
				c.mu.Unlock()
				if !d.IsZero() && time.Now().After(d) {
					return 0, os.ErrDeadlineExceeded
				}
			}
		}
	}
	n, err := c.Conn.Read(p)
	c.read += n
	return n, err
}

func TestSnapshotDoesNotHoldBackHeartbeats(t *testing.T) {
	checkNoLeaks(t)
	gate := make(chan struct{})
	var g gateState
	// Long timeouts: the snapshot sits at the gate for as long as the
	// heartbeats take on a busy machine, and must not time out meanwhile.
	slow := func(cfg Config) Config {
		cfg.WriteTimeout, cfg.IdleTimeout = time.Minute, time.Minute
		return cfg
	}
	a := startMember(t, slow(testConfig(7, 1)), "127.0.0.1:0")
	b := startMember(t, slow(testConfig(7, 2)), "127.0.0.1:0", gateAfter(1<<20, gate, &g))
	var opened sync.Once
	open := func() { opened.Do(func() { close(gate) }) }
	t.Cleanup(open) // before b stops, whatever happens
	connect(a, b)

	snap := snapshotMsg(1, 2, 20<<20)
	a.tr.Send([]raft.Message{snap})
	require.Eventually(t, g.isStalled, waitLimit, pollEvery, "the snapshot to stall mid-transfer")

	// The snapshot is stuck after 1 MiB; heartbeats still go through, one
	// after the other.
	for i := uint64(1); i <= 20; i++ {
		a.tr.Send([]raft.Message{heartbeat(1, 2, i)})
		require.Eventually(t, func() bool { return b.rec.count() == int(i) }, waitLimit, pollEvery, "a heartbeat during the snapshot")
	}
	if reps := a.rec.snapshotReports(); len(reps) != 0 {
		t.Fatalf("snapshot reported before it could have arrived: %v", reps)
	}

	open()
	require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 1 }, waitLimit, pollEvery, "ReportSnapshot(2, true)")
	if got := a.rec.snapshotReports()[0]; got != (snapshotStatus{2, true}) {
		t.Fatalf("snapshot report %+v, want delivered to 2", got)
	}
	msgs := b.rec.messages()
	got := msgs[len(msgs)-1]
	if got.Type != raft.MsgSnap || !bytes.Equal(got.Snapshot.Data, snap.Snapshot.Data) {
		t.Fatalf("last message is %s with %d bytes of snapshot, want the 20 MiB snapshot", got.Type, len(got.Snapshot.Data))
	}
	got.Snapshot.Data, snap.Snapshot.Data = nil, nil
	if diff := cmp.Diff(snap, got); diff != "" {
		t.Fatalf("snapshot message differs (-sent +received):\n%s", diff)
	}
	if !a.logs.contains("sent snapshot at index 12345 (20971520 bytes) to peer 2") ||
		!b.logs.contains("received snapshot at index 12345 (20971520 bytes) from member 1") {
		t.Errorf("snapshot not logged on both sides:\n%s\n%s", a.logs, b.logs)
	}
	if s := a.tr.Stats()[2]; s.SentBytes < 20<<20 {
		t.Errorf("sent bytes %d do not count the snapshot", s.SentBytes)
	}
}

func TestSnapshotFailuresAreReported(t *testing.T) {
	checkNoLeaks(t)
	gate := make(chan struct{})
	var g gateState
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0", gateAfter(1<<20, gate, &g))
	var opened sync.Once
	open := func() { opened.Do(func() { close(gate) }) }
	t.Cleanup(open)
	connect(a, b)

	// To a member the transport does not know: answered at once, or raft
	// would keep that follower paused.
	a.tr.Send([]raft.Message{snapshotMsg(1, 9, 10)})
	require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 1 }, waitLimit, pollEvery, "ReportSnapshot(9, false)")

	// A second snapshot while the first is in flight is refused; the
	// first still arrives.
	a.tr.Send([]raft.Message{snapshotMsg(1, 2, 4<<20)})
	require.Eventually(t, g.isStalled, waitLimit, pollEvery, "the first snapshot to stall")
	a.tr.Send([]raft.Message{snapshotMsg(1, 2, 100)})
	require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 2 }, waitLimit, pollEvery, "the second snapshot to be refused")
	open()
	require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 3 }, waitLimit, pollEvery, "the first snapshot")
	want := []snapshotStatus{{9, false}, {2, false}, {2, true}}
	if diff := cmp.Diff(want, a.rec.snapshotReports(), cmp.AllowUnexported(snapshotStatus{})); diff != "" {
		t.Fatalf("snapshot reports (-want +got):\n%s", diff)
	}

	// To a peer that is down.
	c := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	c.tr.AddPeer(2, []string{"http://" + closedAddr(t)})
	c.tr.Send([]raft.Message{snapshotMsg(1, 2, 1000)})
	require.Eventually(t, func() bool { return len(c.rec.snapshotReports()) == 1 }, waitLimit, pollEvery, "ReportSnapshot(2, false)")
	if got := c.rec.snapshotReports()[0]; got.delivered {
		t.Fatalf("a snapshot to a dead peer was reported delivered")
	}
	require.Eventually(t, func() bool { return c.logs.contains("failed to send snapshot at index 12345 (1000 bytes) to peer 2") }, waitLimit, pollEvery, "the failure to be logged")
}

func TestSnapshotBodyRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 1000, 3<<20 + 7} {
		m := snapshotMsg(1, 2, size)
		body := encodeSnapshotBody(t, m)
		lim := snapshotLimits{maxHeader: 1 << 20, maxData: 1 << 30, chunk: 1 << 20}
		got, err := readSnapshot(bytes.NewReader(body), lim, func() error { return nil })
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got.Snapshot.Data, m.Snapshot.Data) {
			t.Fatalf("size %d: data differs", size)
		}
	}
}

// encodeSnapshotBody builds a snapshot request body as postSnapshot sends it.
func encodeSnapshotBody(t testing.TB, m raft.Message) []byte {
	b, err := snapshotPrefix(&m, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, m.Snapshot.Data...)
	return binary.BigEndian.AppendUint32(b, snapshotCRC(0, m.Snapshot.Data))
}
