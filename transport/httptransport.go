package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/raftkv/raftkv/raft"
)

// HTTPTransport is the real Transport: long-lived streams of frames to every
// peer over its peer URLs (http:// or https://), plus one request per
// snapshot. It is also the http.Handler that receives them; see Serve and
// PathPrefix for the two ways to put it on the peer listener.
type HTTPTransport struct {
	cfg       Config
	log       *slog.Logger
	clientTLS *tls.Config
	// epoch is the origin of ping timestamps. time.Since(epoch) reads the
	// monotonic clock, so a wall-clock jump cannot fake a round-trip time.
	epoch   time.Time
	ctx     context.Context // cancelled by Stop; every peer's context derives from it
	cancel  context.CancelFunc
	rep     *reporter
	limiter logLimiter
	// wg counts every goroutine the transport started and every
	// incoming request it is serving; Stop waits for all of them.
	wg       sync.WaitGroup
	stopOnce sync.Once

	mu          sync.RWMutex
	stopped     bool
	peers       map[uint64]*peer
	counters    map[uint64]*counters
	inbound     map[uint64]*inboundStream // the live stream from each member
	snapshotsIn map[*snapshotReceive]struct{}
	servers     []*http.Server // started by Serve
}

var _ Transport = (*HTTPTransport)(nil)

// New returns a transport that knows no peers yet (see AddPeer).
func New(cfg Config) (*HTTPTransport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	clientTLS := &tls.Config{}
	if cfg.ClientTLS != nil {
		clientTLS = cfg.ClientTLS.Clone()
	}
	// Offer only HTTP/1.1: a stream takes over its connection after the
	// handshake, which HTTP/2 cannot do.
	clientTLS.NextProtos = []string{"http/1.1"}

	ctx, cancel := context.WithCancel(context.Background())
	t := &HTTPTransport{
		cfg:         cfg,
		log:         cfg.Logger,
		clientTLS:   clientTLS,
		epoch:       time.Now(),
		ctx:         ctx,
		cancel:      cancel,
		rep:         newReporter(cfg.Handler),
		limiter:     logLimiter{every: 30 * time.Second},
		peers:       make(map[uint64]*peer),
		counters:    make(map[uint64]*counters),
		inbound:     make(map[uint64]*inboundStream),
		snapshotsIn: make(map[*snapshotReceive]struct{}),
	}
	t.wg.Go(func() { t.rep.run(ctx) })
	return t, nil
}

// Send implements Transport. It takes a read lock once per call and one
// short mutex per message; it never waits for the network.
func (t *HTTPTransport) Send(msgs []raft.Message) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.stopped {
		return
	}
	for i := range msgs {
		m := &msgs[i]
		p := t.peers[m.To]
		if p == nil {
			// An unknown recipient: raft may learn of a member before the
			// server calls AddPeer. A snapshot must still be answered, or
			// raft would keep that follower paused forever.
			if m.Type == raft.MsgSnap {
				t.rep.snapshot(m.To, false)
			}
			continue
		}
		if m.Type == raft.MsgSnap {
			p.startSnapshot(*m)
			continue
		}
		if !p.q.push(*m) {
			p.stats.dropped.Add(1)
			t.rep.unreachable(p.id)
			t.warnEvery("queue-full/"+hexID(p.id),
				fmt.Sprintf("dropping messages to peer %x: its send queue is full (%d messages)", p.id, t.cfg.QueueSize),
				"peer", hexID(p.id))
		}
	}
}

// AddPeer implements Transport.
func (t *HTTPTransport) AddPeer(id uint64, urls []string) {
	if id == 0 || id == t.cfg.LocalID {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if p := t.peers[id]; p != nil {
		if p.setURLs(urls) {
			p.moved()
		}
		return
	}
	c := t.countersForLocked(id)
	p := newPeer(t, id, c)
	p.setURLs(urls)
	t.peers[id] = p
	t.wg.Go(p.run)
}

// UpdatePeer implements Transport.
func (t *HTTPTransport) UpdatePeer(id uint64, urls []string) {
	t.mu.RLock()
	p := t.peers[id]
	t.mu.RUnlock()
	if p == nil {
		t.log.Warn(fmt.Sprintf("cannot update unknown peer %x", id), "peer", hexID(id))
		return
	}
	if p.setURLs(urls) {
		p.moved()
	}
}

// RemovePeer implements Transport. It does not wait for the peer's
// goroutines (the member loop should not wait on the network); Stop does.
func (t *HTTPTransport) RemovePeer(id uint64) {
	t.mu.Lock()
	p := t.peers[id]
	delete(t.peers, id)
	delete(t.counters, id)
	t.mu.Unlock()
	if p != nil {
		p.cancel()
	}
}

// Stop implements Transport: it closes every connection, outgoing and
// incoming, shuts down the servers started by Serve, and waits for every
// goroutine. It is safe to call more than once.
func (t *HTTPTransport) Stop() {
	t.stopOnce.Do(func() {
		t.mu.Lock()
		t.stopped = true
		servers := t.servers
		inbound := make([]*inboundStream, 0, len(t.inbound))
		for _, in := range t.inbound {
			inbound = append(inbound, in)
		}
		// Interrupted under the lock: a receive cannot finish and hand its
		// connection back to net/http in the meantime.
		for s := range t.snapshotsIn {
			s.interrupt()
		}
		t.mu.Unlock()

		t.cancel() // writers, dials, snapshot senders and the reporter stop
		for _, srv := range servers {
			srv.Close()
		}
		for _, in := range inbound {
			in.conn.Close()
		}
		t.wg.Wait()
	})
}

// enter registers an incoming request with Stop, or reports that the
// transport has stopped. The caller calls t.wg.Done when it is finished.
func (t *HTTPTransport) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.wg.Add(1)
	return true
}

// sinceEpoch is the timestamp a ping carries.
func (t *HTTPTransport) sinceEpoch() time.Duration { return time.Since(t.epoch) }
