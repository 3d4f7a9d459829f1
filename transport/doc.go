// Package transport carries raft messages between the members of a cluster.
//
// It has two halves. Transport is the small interface a member uses —
// Send, AddPeer, UpdatePeer, RemovePeer, Stop — with Handler, the interface
// the member implements to receive messages and reports. The simulator
// implements Transport with a simulated network; HTTPTransport implements
// it with real connections on the members' peer URLs (etcd's
// --initial-advertise-peer-urls, port 2380 by default).
//
// # Raft tolerates a lossy network, so the transport may drop
//
// The Raft paper is explicit that messages may be lost: "If followers crash
// or run slowly, or if network packets are lost, the leader retries
// AppendEntries RPCs indefinitely (even after it has responded to the
// client) until all followers eventually store all log entries" (§5.3);
// and RequestVote is retried when a candidate's election times out (§5.2).
// Heartbeats repeat anyway. Nothing in Raft's safety argument (§5.4)
// depends on a message arriving — only on what a message says when it does.
//
// That frees the transport from the hardest job of a network layer:
// guaranteeing delivery. Send never blocks. Each peer has a bounded queue;
// when it is full — the peer is slow, or dead, or the network is cut — new
// messages are dropped and the member is told (Handler.ReportUnreachable),
// so that raft stops pipelining entries to that peer and probes it with one
// message at a time until it answers (the leader's flow control in
// package raft). An unbounded queue would not be safer, only worse: memory
// would grow for as long as the peer is away, and when it came back it
// would first have to chew through a pile of stale appends and heartbeats
// that raft had long since superseded. The same reasoning lets the writer
// discard everything queued while it cannot connect.
//
// What the transport does promise is order within one stream: a peer's
// messages arrive in the order they were sent, or not at all. Raft would
// survive reordering too, but in-order delivery keeps a follower's log
// moving forward without needless rejections.
//
// # Streams, frames and batching
//
// For each peer, one writer goroutine (peer.go) owns a long-lived
// connection and drains that peer's queue (queue.go) into it. A slow peer
// thus only ever slows its own writer. The connection carries
// length-prefixed frames (frame.go): a message frame is a 4-byte length, a
// type byte and the message in raft's binary encoding. The writer takes
// every queued message at once and encodes them back to back into one
// reused buffer, which it writes with one system call: under load, hundreds
// of appends share a write, and the encoding is the only per-message cost.
// The receiving side reads through a 64 KiB buffer and carves decoded
// messages out of shared blocks (slab.go), since a decoded message aliases
// the bytes it came from.
//
// Every frame length is checked against MaxFrameBytes before anything is
// allocated, and the decoders treat every byte as hostile: a garbled or
// malicious stream is closed with a log line, never delivered and never a
// panic. A small ping frame travels every PingInterval; the echo measures
// the round-trip time (Stats, Config.ObserveRTT) and proves the peer
// alive: a connection on which nothing arrives for IdleTimeout, or on
// which a write stalls for WriteTimeout, is closed and redialled.
//
// A peer that cannot be reached is redialled with exponential backoff,
// capped, with jitter from a seeded source (backoff.go), and "peer X
// unreachable" and "peer X reachable again" are logged once per
// transition, not once per message or attempt.
//
// # The handshake
//
// Every connection starts as an HTTP/1.1 request on the peer URL, so the
// peer port can be shared with other handlers (mount the transport under
// PathPrefix), TLS and mutual TLS come from crypto/tls unchanged, and curl
// gets a sensible answer. The request carries the protocol version, the
// cluster ID, and the sender's and the intended receiver's member IDs
// (handshake.go). The receiver refuses a wrong version, a member of another
// cluster, or a connection meant for another member ID, before a single
// message is read, and both sides log why:
//
//	rejected connection from member 8e9e05c52164694d: cluster ID mismatch (local cdf818194e3a8c32, remote 1)
//
// Once accepted, a stream switches protocols (101 Switching Protocols) and
// becomes a raw frame stream; every message on it must be addressed to the
// receiver and come from the member that connected.
//
// # Snapshots take their own path
//
// InstallSnapshot (§7) can carry tens of megabytes. On the message stream
// it would sit in front of every heartbeat and append queued behind it for
// the whole transfer, and followers whose heartbeats stop arriving start
// elections. So a MsgSnap is sent as the body of its own POST request on a
// connection of its own (snapshot_send.go), streamed in chunks with a
// checksum; the receiver rebuilds one raft.Message with the complete
// snapshot (snapshot_recv.go). The sender reports the outcome with
// Handler.ReportSnapshot, which releases the follower that raft keeps
// paused while its snapshot is in flight.
//
// # Wiring it into a server
//
//	tr, err := transport.New(transport.Config{
//		ClusterID: cid, LocalID: id, Handler: member,
//		ClientTLS: peerClientTLS, ServerTLS: peerServerTLS, Logger: logger,
//	})
//	go tr.Serve(peerListener)            // or mux.Handle(transport.PathPrefix, tr)
//	tr.AddPeer(2, []string{"https://10.0.0.2:2380"})
//	tr.Send(rd.Messages)
//	...
//	tr.Stop()
//
// Entry points: New, HTTPTransport.Send, HTTPTransport.Serve,
// HTTPTransport.ServeHTTP, HTTPTransport.Stats.
package transport
