package transport

import "github.com/raftkv/raftkv/raft"

// Transport is what a member uses to talk to its peers. It is deliberately
// small and says nothing about sockets, URLs being dialled or TLS: the
// simulator implements it with a simulated network, HTTPTransport with real
// connections.
//
// Every method is safe to call from any goroutine.
type Transport interface {
	// Send queues messages for their recipients (m.To) and returns at once.
	// It never blocks on the network: a message for an unknown,
	// unreachable or slow peer is dropped, because raft retries everything
	// it needs (see the package documentation). MsgSnap messages take a
	// separate path and their fate is reported with Handler.ReportSnapshot.
	Send(msgs []raft.Message)
	// AddPeer makes a member reachable at the given URLs. Adding a peer
	// that already exists updates its URLs.
	AddPeer(id uint64, urls []string)
	// UpdatePeer replaces a peer's URLs (a member moved).
	UpdatePeer(id uint64, urls []string)
	// RemovePeer forgets a member and stops every goroutine that served it.
	RemovePeer(id uint64)
	// Stop closes every connection and stops every goroutine the transport
	// started. After Stop returns the Handler is never called again.
	Stop()
}

// Handler is implemented by the member: it is where messages arrive and
// where the transport reports what it could not do.
//
// The transport calls these methods from its own goroutines, never from
// inside Send, so a member may call Send while holding whatever it holds
// when it handles these calls. They must not block for long: the natural
// implementation puts the event on the member loop's queue.
type Handler interface {
	// Process delivers one message from a peer. Its byte slices are
	// freshly allocated and owned by the receiver from now on.
	// Messages from one peer arrive in the order that peer sent them
	// (but several peers' messages may arrive concurrently). While
	// Process blocks, that peer's stream is not read: it pushes back on
	// that one sender, whose writes then time out and drop.
	//
	// Before Process is called, the transport has checked that m.To is
	// this member, that m.From is the member that connected, and that m
	// is not a local message type.
	Process(m raft.Message)
	// ReportUnreachable says that messages to id were dropped (its queue
	// was full or it could not be reached): raft should stop optimistic
	// pipelining to that peer and probe it instead (raft.Node.ReportUnreachable).
	ReportUnreachable(id uint64)
	// ReportSnapshot says whether the last snapshot sent to id arrived
	// (raft.Node.ReportSnapshot). A leader keeps a follower that is being
	// sent a snapshot paused until it hears this.
	ReportSnapshot(id uint64, delivered bool)
}
