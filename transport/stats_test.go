package transport

import (
	"github.com/stretchr/testify/require"
	"net"
	"testing"

	"github.com/raftkv/raftkv/raft"
)

// A stream that was up and went down is one disconnect (the server exports
// it as etcd_network_disconnected_peers_total); failed redials while the
// peer stays down are not more of them.
func TestStatsCountADisconnectOncePerLostStream(t *testing.T) {
	checkNoLeaks(t)
	a := startMember(t, testConfig(7, 1), "127.0.0.1:0")
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")
	connect(a, b)
	a.tr.Send([]raft.Message{heartbeat(1, 2, 1)})
	require.Eventually(t, func() bool { return a.tr.Stats()[2].Reachable }, waitLimit, pollEvery, "the stream to b")
	if d := a.tr.Stats()[2].Disconnects; d != 0 {
		t.Fatalf("%d disconnects while connected", d)
	}
	b.stop()
	require.Eventually(t, func() bool { return a.logs.countOf("connecting to peer 2 failed") >= 2 }, waitLimit, pollEvery, "failed redials")
	if d := a.tr.Stats()[2].Disconnects; d != 1 {
		t.Fatalf("%d disconnects after one lost stream, want 1", d)
	}
}

// A stream closed for bad input counts as a receive failure from the member
// that sent it (etcd_network_peer_received_failures_total); one that simply
// ends does not.
func TestStatsCountReceiveFailuresOfBadStreams(t *testing.T) {
	checkNoLeaks(t)
	b := startMember(t, testConfig(7, 2), "127.0.0.1:0")

	conn, _ := rawStream(t, b, 5)
	if _, err := conn.Write(msgFrame(t, heartbeat(5, 2, 1))); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	require.Eventually(t, func() bool { return b.logs.contains("stream from member 5 closed") }, waitLimit, pollEvery, "the good stream to end")

	conn, _ = rawStream(t, b, 6)
	if _, err := conn.Write(frameBytes(9, nil)); err != nil {
		t.Fatal(err)
	}
	require.Eventually(t, func() bool { return b.tr.Stats()[6].ReceiveFailures == 1 }, waitLimit, pollEvery, "the bad stream to be closed")
	if f := b.tr.Stats()[5].ReceiveFailures; f != 0 {
		t.Fatalf("a stream that ended cleanly counted %d receive failures", f)
	}
}
