package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/raft"
	"github.com/stretchr/testify/require"
)

func TestClusterIDMismatchIsRefused(t *testing.T) {
	checkNoLeaks(t)
	// Cluster IDs are printed in hex, like every ID in the logs.
	a := startMember(t, testConfig(0xc7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(0xc8, 2), "127.0.0.1:0")
	connect(a, b)

	for _, want := range []struct {
		m    *member
		line string
	}{
		{b, "rejected connection from member 1: cluster ID mismatch (local c8, remote c7)"},
		{a, "peer 2 unreachable: member 2 refused the connection: cluster ID mismatch (local c7, remote c8)"},
		{a, "rejected connection from member 2: cluster ID mismatch (local c7, remote c8)"},
		{b, "peer 1 unreachable: member 1 refused the connection: cluster ID mismatch (local c8, remote c7)"},
	} {
		require.Eventually(t, func() bool { return want.m.logs.contains(want.line) }, waitLimit, pollEvery, fmt.Sprintf("member %d to log %q", want.m.id, want.line))
	}
	require.Eventually(t, func() bool {
		a.tr.Send([]raft.Message{heartbeat(1, 2, 1)})
		return a.rec.unreachableCount(2) > 0
	}, waitLimit, pollEvery, "ReportUnreachable(2)")

	// A snapshot is refused too, before its body is sent.
	a.tr.Send([]raft.Message{snapshotMsg(1, 2, 4<<20)})
	require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 1 }, waitLimit, pollEvery, "ReportSnapshot(2, false)")
	if r := a.rec.snapshotReports()[0]; r.delivered {
		t.Fatalf("a snapshot to another cluster was reported delivered")
	}
	if s := a.tr.Stats()[2]; s.SentBytes > 1<<20 {
		t.Errorf("%d bytes sent to a member of another cluster: the snapshot body went out before the refusal", s.SentBytes)
	}
	if a.rec.count() != 0 || b.rec.count() != 0 {
		t.Fatalf("messages crossed between clusters: %d and %d", a.rec.count(), b.rec.count())
	}
}

func TestWrongMemberIDIsRefused(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	a.tr.AddPeer(3, []string{b.url}) // member 3's URL now belongs to member 2
	require.Eventually(t, func() bool {
		return b.logs.contains("rejected connection from member 1: member ID mismatch (this is member 2, the connection is for member 3)")
	}, waitLimit, pollEvery, "b to refuse")
	require.Eventually(t, func() bool {
		return a.logs.contains("peer 3 unreachable: member 2 refused the connection: member ID mismatch")
	}, waitLimit, pollEvery, "a to log it")
	a.tr.Send([]raft.Message{heartbeat(1, 3, 1)})
	if b.rec.count() != 0 {
		t.Fatalf("a message for member 3 was delivered to member 2")
	}
}

// rawStream opens a stream to m by hand, as member `from` of cluster 7, for
// tests that send what a real transport never would.
func rawStream(t *testing.T, m *member, from uint64) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", m.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	hdr := handshake{version: protocolVersion, clusterID: 7, from: from, to: m.id}.header()
	hdr.Set("Connection", "Upgrade")
	hdr.Set("Upgrade", upgradeToken)
	if _, err := conn.Write(requestHead(http.MethodGet, "x", streamPath, hdr)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return conn, br
}

func frameBytes(typ byte, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	return append(append(b, typ), payload...)
}

func msgFrame(t testing.TB, m raft.Message) []byte {
	b, err := appendMessageFrame(nil, &m, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadStreamsAreClosedNotDelivered(t *testing.T) {
	checkNoLeaks(t)
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	cases := []struct {
		name  string
		bytes func(from uint64) []byte
		log   string
	}{
		{"oversize frame", func(uint64) []byte { return []byte{0xff, 0xff, 0xff, 0xff, frameMsg} },
			"frame of 4294967295 bytes exceeds the 33554432-byte limit"},
		{"unknown frame type", func(uint64) []byte { return frameBytes(9, nil) }, "unknown frame type 9"},
		{"garbage message", func(uint64) []byte { return frameBytes(frameMsg, []byte{1, 250, 7, 7}) }, "malformed encoding"},
		{"unknown encoding version", func(uint64) []byte { return frameBytes(frameMsg, []byte{9, 1, 2}) }, "unknown encoding version 9"},
		{"message for another member", func(f uint64) []byte { return msgFrame(t, heartbeat(f, 3, 1)) },
			"MsgHeartbeat for member 3 arrived at member 2"},
		{"forged sender", func(f uint64) []byte { return msgFrame(t, heartbeat(5, 2, 1)) }, "claims to be from member 5"},
		{"local message type", func(f uint64) []byte { return msgFrame(t, raft.Message{Type: raft.MsgHup, From: f, To: 2}) },
			"MsgHup must never cross the network"},
		{"snapshot on the stream", func(f uint64) []byte { return msgFrame(t, snapshotMsg(f, 2, 10)) }, "MsgSnap on the message stream"},
		{"short ping", func(uint64) []byte { return frameBytes(framePing, []byte{1, 2, 3}) }, "ping frame of 3 bytes, want 8"},
		{"pong from the sender", func(uint64) []byte { return frameBytes(framePong, make([]byte, 8)) }, "frame type 3 on the sending side"},
		{"truncated frame", func(uint64) []byte { return frameBytes(frameMsg, make([]byte, 100))[:20] }, "stream ends inside a 100-byte frame"},
		{"truncated header", func(uint64) []byte { return []byte{0, 0} }, "stream ends inside a frame header"},
		{"good then garbage", func(f uint64) []byte { return append(msgFrame(t, heartbeat(f, 2, 1)), 0, 0, 0, 1, 77, 0) },
			"unknown frame type 77"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from := uint64(100 + i) // a member of its own, so that log lines are not rate-limited together
			conn, br := rawStream(t, b, from)
			if _, err := conn.Write(tc.bytes(from)); err != nil {
				t.Fatal(err)
			}
			conn.(*net.TCPConn).CloseWrite() // what was sent is all there is
			conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			if _, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("the stream was not closed: %v", err)
			}
			want := fmt.Sprintf("closing stream from member %x: ", from)
			require.Eventually(t, func() bool { return b.logs.contains(want) && b.logs.contains(tc.log) }, waitLimit, pollEvery, "the log line")
		})
	}
	if got := b.rec.count(); got != 1 {
		t.Fatalf("%d messages delivered, want only the one good heartbeat", got)
	}

	// The member shrugged it all off and still serves a real peer.
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	a.tr.AddPeer(2, []string{b.url})
	a.tr.Send([]raft.Message{heartbeat(1, 2, 9)})
	require.Eventually(t, func() bool { return b.rec.count() == 2 }, waitLimit, pollEvery, "a real heartbeat")
}

func TestPingIsAnswered(t *testing.T) {
	checkNoLeaks(t)
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	conn, br := rawStream(t, b, 1)
	ping := appendPingFrame(nil, framePing, 0xfeedface)
	if _, err := conn.Write(ping); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := make([]byte, len(ping))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if want := appendPingFrame(nil, framePong, 0xfeedface); !bytes.Equal(got, want) {
		t.Fatalf("answer %x, want %x", got, want)
	}
}

func TestBadRequestsAreAnswered(t *testing.T) {
	checkNoLeaks(t)
	cfg := testConfig(7, 2)
	cfg.MaxSnapshotBytes = 1 << 20
	b := startMember(t, cfg, "127.0.0.1:0")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	good := handshake{version: protocolVersion, clusterID: 7, from: 1, to: 2}.header()
	upgrade := func(h http.Header) http.Header {
		h = h.Clone()
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", upgradeToken)
		return h
	}
	with := func(name, value string) http.Header {
		h := upgrade(good)
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	snap := snapshotMsg(1, 2, 1000)
	body := encodeSnapshotBody(t, snap)
	corrupt := bytes.Clone(body)
	corrupt[len(corrupt)-10] ^= 1
	huge := encodeSnapshotBody(t, snapshotMsg(1, 2, 0))
	binary.BigEndian.PutUint64(huge[len(huge)-12:], 2<<20) // data length, past MaxSnapshotBytes
	notSnap, _ := (&raft.Message{Type: raft.MsgHeartbeat, From: 1, To: 2}).AppendBinary(nil)
	notSnap = append(binary.BigEndian.AppendUint32(nil, uint32(len(notSnap))), notSnap...)

	cases := []struct {
		name, method, path string
		header             http.Header
		body               []byte
		status             int
		reason             string
	}{
		{"unknown path", "GET", "/raft/nope", nil, nil, 404, "not found"},
		{"stream without upgrade", "GET", streamPath, good, nil, 400, "expects \"Upgrade: raftkv-stream\""},
		{"stream by POST", "POST", streamPath, good, nil, 405, "expects GET"},
		{"snapshot by GET", "GET", snapshotPath, good, nil, 405, "expects POST"},
		{"no handshake", "GET", streamPath, upgrade(http.Header{}), nil, 400, "missing header X-Raftkv-Protocol"},
		{"bad cluster ID", "GET", streamPath, with(hdrClusterID, "xyz"), nil, 400, "malformed header X-Raftkv-Cluster-Id"},
		{"future version", "GET", streamPath, with(hdrProtocol, "2"), nil, 400, "unsupported protocol version 2 (this member speaks 1)"},
		{"sender 0", "GET", streamPath, with(hdrFrom, "0"), nil, 400, "member ID 0 is not a member"},
		{"from itself", "GET", streamPath, with(hdrFrom, "2"), nil, 412, "member 2 cannot connect to itself"},
		{"garbage snapshot", "POST", snapshotPath, good, []byte("hello, world"), 400, "exceeds"},
		{"corrupt snapshot", "POST", snapshotPath, good, corrupt, 400, "checksum mismatch"},
		{"snapshot too large", "POST", snapshotPath, good, huge, 400, "snapshot of 2097152 bytes exceeds the 1048576-byte limit"},
		{"truncated snapshot", "POST", snapshotPath, good, body[:len(body)-500], 400, "body ends in its data"},
		{"trailing bytes", "POST", snapshotPath, good, append(bytes.Clone(body), 1), 400, "bytes after the snapshot's checksum"},
		{"not a snapshot", "POST", snapshotPath, good, notSnap, 400, "MsgHeartbeat without a snapshot"},
		{"snapshot for another member", "POST", snapshotPath, good, encodeSnapshotBody(t, snapshotMsg(1, 3, 10)), 400,
			"MsgSnap for member 3 arrived at member 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, b.url+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(got), tc.reason) {
				t.Fatalf("got %d %q, want %d and a reason containing %q", resp.StatusCode, got, tc.status, tc.reason)
			}
		})
	}
	if b.rec.count() != 0 {
		t.Fatalf("%d messages delivered from bad requests", b.rec.count())
	}
	if !b.logs.contains("rejected snapshot from member 1: ") {
		t.Errorf("bad snapshots not logged:\n%s", b.logs)
	}
}

func TestHandshakeHeadersRoundTrip(t *testing.T) {
	h := handshake{version: protocolVersion, clusterID: 14841639068965178418, from: 0x8e9e05c52164694d, to: 2}
	got, err := parseHandshake(h.header())
	if err != nil || got != h {
		t.Fatalf("parseHandshake(header(%+v)) = %+v, %v", h, got, err)
	}
	if rej := checkHandshake(h, 14841639068965178418, 2); rej != nil {
		t.Fatalf("a good handshake was refused: %s", rej.reason)
	}
	rej := checkHandshake(h, 1, 2)
	if rej == nil || rej.status != http.StatusPreconditionFailed ||
		rej.reason != "cluster ID mismatch (local 1, remote cdf818194e3a8c32)" {
		t.Fatalf("cluster mismatch: %+v", rej)
	}
}

// A member that reconnects has given up on its old stream; the receiver
// closes it, so two streams from one sender can never interleave.
func TestNewerStreamReplacesOlder(t *testing.T) {
	checkNoLeaks(t)
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	old, oldR := rawStream(t, b, 1)
	if _, err := old.Write(msgFrame(t, heartbeat(1, 2, 1))); err != nil {
		t.Fatal(err)
	}
	require.Eventually(t, func() bool { return b.rec.count() == 1 }, waitLimit, pollEvery, "the first stream to deliver")
	newer, _ := rawStream(t, b, 1)
	old.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := oldR.ReadByte(); err != io.EOF {
		t.Fatalf("old stream still open after a newer one: read error %v, want EOF", err)
	}
	if _, err := newer.Write(msgFrame(t, heartbeat(1, 2, 2))); err != nil {
		t.Fatal(err)
	}
	require.Eventually(t, func() bool { return b.rec.count() == 2 }, waitLimit, pollEvery, "the newer stream to deliver")
}
