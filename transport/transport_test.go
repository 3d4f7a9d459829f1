package transport

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/raftkv/raftkv/raft"
	"github.com/stretchr/testify/require"
)

// bytesEqual compares byte slices as bytes.Equal does (nil equals empty),
// and much faster than cmp's element-by-element reflection.
var bytesEqual = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

// sendPaced sends msgs in batches as a member loop would, keeping at most
// window of them in flight (as raft's own inflight limit does), so that the
// test exercises delivery, not the drop policy.
func sendPaced(t *testing.T, from *member, to *member, msgs []raft.Message, batch, window int) {
	t.Helper()
	base := to.rec.count()
	for i := 0; i < len(msgs); i += batch {
		require.Eventually(t, func() bool { return to.rec.count()-base >= i-window }, waitLimit, pollEvery, "the receiver to catch up")
		from.tr.Send(msgs[i:min(i+batch, len(msgs))])
	}
}

func TestMessagesArriveInOrder(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	connect(a, b)

	var want []raft.Message
	for i := uint64(1); i <= 3000; i++ {
		if i%10 == 0 {
			want = append(want, heartbeat(1, 2, i))
		} else {
			want = append(want, app(1, 2, i, int(i%700)))
		}
	}
	want = append(want, raft.Message{Type: raft.MsgVote, From: 1, To: 2, Term: 4, Index: 9, LogTerm: 3},
		raft.Message{Type: raft.MsgReadIndex, From: 1, To: 2, Term: 4, Context: []byte("req-17")})
	sendPaced(t, a, b, want, 64, 1000)
	require.Eventually(t, func() bool { return b.rec.count() == len(want) }, waitLimit, pollEvery, "every message")
	if diff := cmp.Diff(want, b.rec.messages(), bytesEqual); diff != "" {
		t.Fatalf("received messages differ (-sent +received):\n%s", diff)
	}

	// And the other way, on the other stream.
	b.tr.Send([]raft.Message{{Type: raft.MsgAppResp, From: 2, To: 1, Term: 3, Index: 2999}})
	require.Eventually(t, func() bool { return a.rec.count() == 1 }, waitLimit, pollEvery, "the response")
}

func TestDeadPeerNeverBlocksSend(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	a.tr.AddPeer(2, []string{"http://" + closedAddr(t)})

	done := make(chan struct{})
	go func() {
		defer close(done)
		batch := make([]raft.Message, 100)
		for i := range 200 {
			for j := range batch {
				batch[j] = app(1, 2, uint64(i*100+j+1), 100)
			}
			a.tr.Send(batch)
		}
	}()
	require.Eventually(t, isClosed(done), waitLimit, pollEvery, "20000 sends to a dead peer to return")
	require.Eventually(t, func() bool { return a.rec.unreachableCount(2) > 0 }, waitLimit, pollEvery, "ReportUnreachable(2)")
	require.Eventually(t, func() bool { return a.tr.Stats()[2].Dropped == 20000 }, waitLimit, pollEvery, "every message to be dropped")
	// However many attempts fail, the transition is logged once.
	require.Eventually(t, func() bool { return a.logs.countOf("connecting to peer 2 failed") >= 5 }, waitLimit, pollEvery, "several reconnection attempts")
	if n := a.logs.countOf("peer 2 unreachable"); n != 1 {
		t.Fatalf("\"peer 2 unreachable\" logged %d times, want once:\n%s", n, a.logs)
	}
	if s := a.tr.Stats()[2]; s.Reachable || s.SentMessages != 0 {
		t.Fatalf("stats of a dead peer: %+v", s)
	}
}

// fakePeer listens on a port and hands every connection to serve, on the
// accepting goroutine; it closes everything when the test ends.
func fakePeer(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			serve(c)
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// stuckPeer accepts streams, says yes, and never reads a byte: a hung
// process whose kernel still accepts connections.
func stuckPeer(t *testing.T) string {
	return fakePeer(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + upgradeToken + "\r\n\r\n"))
		}
	})
}

// silentPeer accepts connections and never answers.
func silentPeer(t *testing.T) string { return fakePeer(t, func(net.Conn) {}) }

func TestSlowPeerNeverBlocksSend(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	a.tr.AddPeer(2, []string{stuckPeer(t)})
	require.Eventually(t, func() bool { return a.tr.Stats()[2].Reachable }, waitLimit, pollEvery, "the stream to the stuck peer")

	// 64 KiB appends: the kernel's socket buffers fill after a few
	// megabytes, then the writer blocks, then the queue fills.
	m := app(1, 2, 1, 64<<10)
	batch := make([]raft.Message, 100)
	for i := range batch {
		batch[i] = m
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			a.tr.Send(batch)
		}
	}()
	require.Eventually(t, isClosed(done), waitLimit, pollEvery, "Send to return while the peer does not read")
	require.Eventually(t, func() bool { return a.tr.Stats()[2].Dropped > 0 }, waitLimit, pollEvery, "messages to be dropped")
	require.Eventually(t, func() bool { return a.rec.unreachableCount(2) > 0 }, waitLimit, pollEvery, "ReportUnreachable(2)")
	require.Eventually(t, func() bool { return a.logs.contains("dropping messages to peer 2: its send queue is full") }, waitLimit, pollEvery, "the full-queue warning")
}

func TestReconnectsAfterPeerRestarts(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	connect(a, b)
	a.tr.Send([]raft.Message{heartbeat(1, 2, 1)})
	require.Eventually(t, func() bool { return b.rec.count() == 1 }, waitLimit, pollEvery, "the first heartbeat")

	addr := b.ln.Addr().String()
	b.stop()
	require.Eventually(t, func() bool { return a.logs.contains("peer 2 unreachable") }, waitLimit, pollEvery, "a to notice")
	require.Eventually(t, func() bool {
		a.tr.Send([]raft.Message{heartbeat(1, 2, 2)})
		return a.rec.unreachableCount(2) > 0
	}, waitLimit, pollEvery, "ReportUnreachable(2)")

	b2 := startMember(t, testConfig(7, 2), addr)
	require.Eventually(t, func() bool {
		a.tr.Send([]raft.Message{heartbeat(1, 2, 3)})
		return b2.rec.count() > 0
	}, waitLimit, pollEvery, "a heartbeat to reach the restarted peer")
	if n := a.logs.countOf("peer 2 reachable again"); n != 1 {
		t.Fatalf("\"peer 2 reachable again\" logged %d times, want once:\n%s", n, a.logs)
	}
	if n := a.logs.countOf("peer 2 unreachable"); n != 1 {
		t.Fatalf("\"peer 2 unreachable\" logged %d times, want once:\n%s", n, a.logs)
	}
}

func TestUpdateAndRemovePeer(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	a.tr.AddPeer(2, []string{"http://" + closedAddr(t), "not a url"})
	require.Eventually(t, func() bool { return a.logs.contains("peer 2 unreachable") }, waitLimit, pollEvery, "the wrong address to fail")
	if !a.logs.contains(`ignoring peer 2's URL`) || !a.logs.contains("not a url") {
		t.Errorf("bad URL not logged:\n%s", a.logs)
	}

	a.tr.UpdatePeer(2, []string{b.url})
	require.Eventually(t, func() bool {
		a.tr.Send([]raft.Message{heartbeat(1, 2, 1)})
		return b.rec.count() > 0
	}, waitLimit, pollEvery, "a heartbeat at the new address")
	require.Eventually(t, func() bool { return a.logs.contains("peer 2 reachable again") }, waitLimit, pollEvery, "the recovery to be logged")

	a.tr.RemovePeer(2)
	if _, ok := a.tr.Stats()[2]; ok {
		t.Errorf("a removed peer still has stats")
	}
	a.tr.Send([]raft.Message{heartbeat(1, 2, 2)}) // dropped: unknown peer
	a.tr.AddPeer(2, []string{b.url})
	a.tr.Send([]raft.Message{heartbeat(1, 2, 3)})
	rounds := func() map[uint64]bool {
		seen := make(map[uint64]bool)
		for _, m := range b.rec.messages() {
			seen[m.ReadRound] = true
		}
		return seen
	}
	require.Eventually(t, func() bool { return rounds()[3] }, waitLimit, pollEvery, "the heartbeat after re-adding")
	if rounds()[2] {
		t.Fatalf("a message sent while the peer was removed arrived")
	}
	a.tr.UpdatePeer(9, []string{b.url})
	if !a.logs.contains("cannot update unknown peer 9") {
		t.Errorf("update of an unknown peer not logged")
	}
}

func TestStatsAndRoundTripTime(t *testing.T) {
	checkNoLeaks(t)
	var mu sync.Mutex
	observed := 0
	cfg := testConfig(7, 1)
	cfg.PingInterval = 10 * time.Millisecond
	cfg.ObserveRTT = func(peer uint64, rtt time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if peer == 2 && rtt > 0 {
			observed++
		}
	}
	a := startMember(t, cfg, "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	connect(a, b)
	msgs := []raft.Message{app(1, 2, 1, 300), app(1, 2, 2, 300), heartbeat(1, 2, 1)}
	a.tr.Send(msgs)
	require.Eventually(t, func() bool { return b.rec.count() == 3 }, waitLimit, pollEvery, "delivery")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return observed >= 3
	}, waitLimit, pollEvery, "several RTT samples")
	require.Eventually(t, func() bool {
		s := a.tr.Stats()[2]
		return s.Reachable && s.SentMessages == 3 && s.RTT > 0 && s.SentBytes > 600 && s.ReceivedBytes > 0
	}, waitLimit, pollEvery, "a's counters")
	s := b.tr.Stats()[1]
	if s.ReceivedMessages != 3 || s.ReceivedBytes < 600 || s.SentBytes == 0 {
		t.Fatalf("b's counters for member 1: %+v", s)
	}
}

func TestStopLeavesNothingRunning(t *testing.T) {
	checkNoLeaks(t)
	gate := make(chan struct{})
	var stalled gateState
	cfg := testConfig(7, 1)
	cfg.DialTimeout = time.Minute // so that only Stop can end the pending handshake
	a := startMember(t, cfg, "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0", gateAfter(1<<20, gate, &stalled))
	defer close(gate)
	connect(a, b)
	a.tr.AddPeer(3, []string{"http://" + closedAddr(t)}) // in backoff
	a.tr.AddPeer(4, []string{silentPeer(t)})             // in the handshake
	a.tr.AddPeer(5, []string{stuckPeer(t)})              // streaming into a full buffer
	a.tr.Send([]raft.Message{heartbeat(1, 2, 1), heartbeat(1, 5, 1)})
	require.Eventually(t, func() bool { return b.rec.count() == 1 }, waitLimit, pollEvery, "the stream to b")
	a.tr.Send([]raft.Message{snapshotMsg(1, 2, 5<<20)})
	require.Eventually(t, stalled.isStalled, waitLimit, pollEvery, "a snapshot stalled mid-transfer")

	began := time.Now()
	a.stop()
	b.stop()
	if d := time.Since(began); d > 15*time.Second {
		t.Errorf("Stop took %v: something waited for a timeout instead of being interrupted", d)
	}
	a.tr.Stop() // twice is fine
	a.tr.Send([]raft.Message{heartbeat(1, 2, 2)})
	a.tr.AddPeer(6, []string{b.url})
	if _, ok := a.tr.Stats()[6]; ok {
		t.Errorf("AddPeer after Stop took effect")
	}
	if reps := a.rec.snapshotReports(); len(reps) != 0 {
		t.Errorf("a snapshot cut short by Stop was reported: %v", reps)
	}
}

// A server that serves more than raft on its peer port mounts the
// transport on its own mux; Stop must still interrupt what the transport
// is doing on connections that net/http owns.
func TestMountedOnAServersMux(t *testing.T) {
	checkNoLeaks(t)
	gate := make(chan struct{})
	var stalled gateState
	rec := newRecorder()
	cfg := testConfig(7, 2)
	cfg.Handler = rec
	cfg.IdleTimeout = time.Minute // only Stop can end the stalled snapshot in time
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(PathPrefix, tr)
	mux.HandleFunc("/version", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("3.7")) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = gateAfter(1<<20, gate, &stalled)(ln)
	srv := &http.Server{Handler: mux}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	t.Cleanup(func() {
		tr.Stop()
		srv.Close()
		<-served
	})
	defer close(gate)

	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	url := "http://" + ln.Addr().String()
	a.tr.AddPeer(2, []string{url})
	a.tr.Send([]raft.Message{heartbeat(1, 2, 1)})
	require.Eventually(t, func() bool { return rec.count() == 1 }, waitLimit, pollEvery, "the heartbeat")
	a.tr.Send([]raft.Message{snapshotMsg(1, 2, 5<<20)})
	require.Eventually(t, stalled.isStalled, waitLimit, pollEvery, "the snapshot to stall")

	began := time.Now()
	tr.Stop()
	if d := time.Since(began); d > 15*time.Second {
		t.Fatalf("Stop took %v", d)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for path, want := range map[string]int{"/version": 200, streamPath: 503} {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header = handshake{version: protocolVersion, clusterID: 7, from: 1, to: 2}.header()
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", upgradeToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s after Stop: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
