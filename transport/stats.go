package transport

import (
	"maps"
	"sync/atomic"
	"time"
)

// PeerStats is what the transport has counted for one peer since it was
// added (or first connected to us). The server exports these under etcd's
// metric names, e.g. etcd_network_peer_sent_bytes_total and
// etcd_network_active_peers.
type PeerStats struct {
	// Reachable says whether our stream to the peer is connected now.
	Reachable bool
	// SentBytes and ReceivedBytes count everything on the wire to and
	// from the peer: frames, pings, snapshot bodies (not HTTP or TLS
	// overhead).
	SentBytes     uint64
	ReceivedBytes uint64
	// SentMessages and ReceivedMessages count raft messages, snapshots
	// included.
	SentMessages     uint64
	ReceivedMessages uint64
	// Dropped counts messages to the peer that were never sent: its
	// queue was full, it was unreachable, or a write failed.
	Dropped uint64
	// Disconnects counts the times our stream to the peer went down after
	// it had been up.
	Disconnects uint64
	// ReceiveFailures counts streams and snapshots from the peer that were
	// closed or refused because what arrived was not valid.
	ReceiveFailures uint64
	// RTT is the last round-trip time measured on the stream (0 until
	// the first pong).
	RTT time.Duration
}

// counters is the live, atomically updated form of PeerStats.
type counters struct {
	reachable                   atomic.Bool
	sentBytes, recvBytes        atomic.Uint64
	sentMsgs, recvMsgs, dropped atomic.Uint64
	disconnects, recvFailures   atomic.Uint64
	rtt                         atomic.Int64
}

func (c *counters) snapshot() PeerStats {
	return PeerStats{
		Reachable:        c.reachable.Load(),
		SentBytes:        c.sentBytes.Load(),
		ReceivedBytes:    c.recvBytes.Load(),
		SentMessages:     c.sentMsgs.Load(),
		ReceivedMessages: c.recvMsgs.Load(),
		Dropped:          c.dropped.Load(),
		Disconnects:      c.disconnects.Load(),
		ReceiveFailures:  c.recvFailures.Load(),
		RTT:              time.Duration(c.rtt.Load()),
	}
}

// Stats returns the counters of every peer we send to or receive from.
func (t *HTTPTransport) Stats() map[uint64]PeerStats {
	t.mu.RLock()
	cs := maps.Clone(t.counters)
	t.mu.RUnlock()
	out := make(map[uint64]PeerStats, len(cs))
	for id, c := range cs {
		out[id] = c.snapshot()
	}
	return out
}

// countersFor returns id's counters, creating them for a member that
// connects to us before (or without) being added as a peer.
func (t *HTTPTransport) countersFor(id uint64) *counters {
	t.mu.RLock()
	c := t.counters[id]
	t.mu.RUnlock()
	if c != nil {
		return c
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.countersForLocked(id)
}

func (t *HTTPTransport) countersForLocked(id uint64) *counters {
	c := t.counters[id]
	if c == nil {
		c = new(counters)
		t.counters[id] = c
	}
	return c
}
