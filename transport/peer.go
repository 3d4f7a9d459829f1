package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftkv/raftkv/raft"
)

const (
	// batchBytes is how many encoded bytes the writer gathers before it
	// writes: large enough that a burst of small appends costs one system
	// call per batch, not per message; small enough that the first
	// message of a burst is not held back long.
	batchBytes = 256 << 10
	// maxRetainedBatch is the largest batch buffer kept between bursts;
	// one huge message must not pin its buffer forever.
	maxRetainedBatch = 1 << 20
)

// errMoved ends a stream whose peer has new URLs.
var errMoved = errors.New("transport: peer URLs changed")

// peer is everything this member keeps for one remote member: the queue
// Send fills, and the writer goroutine (run) that owns the connection.
//
// One writer per peer, with its own connection, means a slow peer only
// slows down its own stream: the member loop and the other peers never wait
// for it.
type peer struct {
	t      *HTTPTransport
	id     uint64
	ctx    context.Context // cancelled by RemovePeer and Stop
	cancel context.CancelFunc
	q      *queue
	stats  *counters
	// redial holds a token when the URLs changed: reconnect now, to the
	// new address, instead of after the current connection fails.
	redial chan struct{}

	mu   sync.Mutex
	urls []*url.URL
	next int // which URL to dial next; moves on after a failure

	snapshotBusy atomic.Bool // one snapshot in flight at a time

	// Below: owned by the writer goroutine alone.
	bo      backoff
	batch   []byte
	spare   []raft.Message
	pingBuf [frameHeaderLen + pingPayloadLen]byte
	down    bool   // "unreachable" was logged; "reachable again" is due
	refusal string // the last refusal logged, so a new reason is logged too
}

func newPeer(t *HTTPTransport, id uint64, c *counters) *peer {
	ctx, cancel := context.WithCancel(t.ctx)
	rng := rand.New(rand.NewPCG(t.cfg.Seed, id))
	return &peer{
		t:      t,
		id:     id,
		ctx:    ctx,
		cancel: cancel,
		q:      newQueue(t.cfg.QueueSize),
		stats:  c,
		redial: make(chan struct{}, 1),
		bo:     newBackoff(t.cfg.BackoffMin, t.cfg.BackoffMax, rng),
	}
}

// setURLs installs the peer's URLs and reports whether they changed.
func (p *peer) setURLs(raw []string) bool {
	var urls []*url.URL
	for _, s := range raw {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.t.log.Warn(fmt.Sprintf("ignoring peer %x's URL %q: want http://host:port or https://host:port", p.id, s),
				"peer", hexID(p.id))
			continue
		}
		urls = append(urls, u)
	}
	p.mu.Lock()
	changed := !slices.EqualFunc(urls, p.urls, func(a, b *url.URL) bool { return *a == *b })
	p.urls, p.next = urls, 0
	p.mu.Unlock()
	return changed
}

// moved tells the writer that the URLs changed: it reconnects now, to the
// new address, instead of when the current connection fails.
func (p *peer) moved() {
	select {
	case p.redial <- struct{}{}:
	default:
	}
}

// url returns the URL to dial now, or nil if the peer has none.
func (p *peer) url() *url.URL {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.urls) == 0 {
		return nil
	}
	return p.urls[p.next%len(p.urls)]
}

// failed moves on to the peer's next URL, so that a member with several
// addresses is reached through whichever one works.
func (p *peer) failed() {
	p.mu.Lock()
	p.next++
	p.mu.Unlock()
}

// run is the writer goroutine: connect, stream until the connection fails,
// wait, reconnect — until the peer is removed or the transport stopped.
func (p *peer) run() {
	for p.ctx.Err() == nil {
		u := p.url()
		var conn net.Conn
		var br *bufio.Reader
		err := errors.New("no usable peer URL")
		if u != nil {
			conn, br, err = p.t.openStream(p.ctx, u, p.id)
		}
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			p.failed()
			p.markDown(err)
			wait := p.bo.next()
			p.t.log.Debug(fmt.Sprintf("connecting to peer %x failed, retrying in %v: %v", p.id, wait, err), "peer", hexID(p.id))
			if !p.idle(wait) {
				return
			}
			continue
		}
		p.markUp(u)
		began := time.Now()
		err = p.stream(conn, br)
		p.stats.reachable.Store(false)
		p.stats.disconnects.Add(1)
		if p.ctx.Err() != nil {
			return
		}
		p.t.log.Debug(fmt.Sprintf("stream to peer %x ended: %v", p.id, err), "peer", hexID(p.id))
		// A stream that lived a while ended by accident (the peer
		// restarted, a network blip): redial at once. One that dies right
		// after the handshake would otherwise make us redial in a tight
		// loop, so it waits like a failed dial.
		if errors.Is(err, errMoved) || time.Since(began) > p.t.cfg.BackoffMax {
			p.bo.reset()
		} else if !p.idle(p.bo.next()) {
			return
		}
	}
}

// markDown records a failed connection attempt, logging the transition to
// unreachable once (and a refusal whenever its reason changes).
func (p *peer) markDown(err error) {
	p.stats.reachable.Store(false)
	var refused *refusedError
	isRefusal := errors.As(err, &refused)
	if !p.down || (isRefusal && refused.Reason != p.refusal) {
		p.t.log.Warn(fmt.Sprintf("peer %x unreachable: %v", p.id, err), "peer", hexID(p.id))
	}
	p.down = true
	if isRefusal {
		p.refusal = refused.Reason
	}
}

// markUp records a working connection.
func (p *peer) markUp(u *url.URL) {
	p.stats.reachable.Store(true)
	if p.down {
		p.t.log.Info(fmt.Sprintf("peer %x reachable again", p.id), "peer", hexID(p.id), "url", u.Redacted())
	} else {
		p.t.log.Debug(fmt.Sprintf("connected to peer %x", p.id), "peer", hexID(p.id), "url", u.Redacted())
	}
	p.down, p.refusal = false, ""
}

// idle waits d before the next connection attempt. Meanwhile whatever Send
// queues is dropped at once and reported, so that raft stops pipelining
// entries into the void and the queue does not fill with stale messages.
// It returns false if the peer was removed or the transport stopped.
func (p *peer) idle(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-p.redial:
			p.bo.reset()
			return true
		case <-p.q.ready:
			msgs := p.q.swap(p.spare)
			p.lost(len(msgs))
			p.spare = recycle(msgs)
		}
	}
}

// lost counts n messages that will never be sent and tells raft.
func (p *peer) lost(n int) {
	if n > 0 {
		p.stats.dropped.Add(uint64(n))
		p.t.rep.unreachable(p.id)
	}
}

// stream writes queued messages and periodic pings to conn until it fails.
func (p *peer) stream(conn net.Conn, br *bufio.Reader) error {
	// Closing the connection is what interrupts a blocked read or write,
	// so that RemovePeer and Stop take effect at once.
	stopClosing := context.AfterFunc(p.ctx, func() { conn.Close() })
	defer stopClosing()
	defer conn.Close()

	readerDone := make(chan error, 1)
	p.t.wg.Go(func() { readerDone <- p.readPongs(conn, br) })

	ping := time.NewTicker(p.t.cfg.PingInterval)
	defer ping.Stop()
	if err := p.ping(conn); err != nil { // an RTT sample right away
		return err
	}
	for {
		select {
		case <-p.q.ready:
			if err := p.flush(conn); err != nil {
				return err
			}
		case <-ping.C:
			if err := p.ping(conn); err != nil {
				return err
			}
		case err := <-readerDone:
			return err
		case <-p.redial:
			p.bo.reset()
			return errMoved
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
	}
}

// flush takes everything queued and writes it as frames, in batches of
// about batchBytes: a burst of messages costs one write per batch.
func (p *peer) flush(conn net.Conn) error {
	msgs := p.q.swap(p.spare)
	defer func() { p.spare = recycle(msgs) }()

	b := p.batch[:0]
	inBatch := 0
	var err error
	for i := range msgs {
		var encErr error
		b, encErr = appendMessageFrame(b, &msgs[i], p.t.cfg.MaxFrameBytes)
		if encErr != nil {
			// Raft will send it again, too large again: say so loudly.
			p.stats.dropped.Add(1)
			p.t.warnEvery("encode/"+hexID(p.id), encErr.Error(), "peer", hexID(p.id))
			continue
		}
		inBatch++
		if len(b) >= batchBytes {
			if err = p.write(conn, b); err != nil {
				p.lost(inBatch + len(msgs) - 1 - i)
				break
			}
			p.stats.sentMsgs.Add(uint64(inBatch))
			b, inBatch = b[:0], 0
		}
	}
	if err == nil && len(b) > 0 {
		if err = p.write(conn, b); err != nil {
			p.lost(inBatch)
		} else {
			p.stats.sentMsgs.Add(uint64(inBatch))
		}
	}
	if cap(b) > maxRetainedBatch {
		b = nil
	}
	p.batch = b[:0]
	return err
}

// ping writes a ping carrying the current time; readPongs measures the
// round trip when the echo comes back.
func (p *peer) ping(conn net.Conn) error {
	return p.write(conn, appendPingFrame(p.pingBuf[:0], framePing, uint64(p.t.sinceEpoch())))
}

// write writes b with a deadline: a peer that stops reading (a hung
// process, a full network path) fails the write instead of blocking the
// writer forever. A snapshot is written in chunks through here, so it may
// take minutes as a whole, but each chunk must make progress in time.
func (p *peer) write(conn net.Conn, b []byte) error {
	_ = conn.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
	n, err := conn.Write(b)
	p.stats.sentBytes.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("transport: write to peer %x: %w", p.id, err)
	}
	return nil
}

// readPongs reads the receiving side's answers to our pings: the round-trip
// time, and the proof that the peer is alive. Nothing else may come back on
// a stream. If no pong arrives within IdleTimeout the connection is dead,
// even if writes still succeed (into the kernel's buffers).
func (p *peer) readPongs(conn net.Conn, br *bufio.Reader) error {
	fr := newFrameReader(br, 0) // limit 0: no message frame is expected here
	for {
		_ = conn.SetReadDeadline(time.Now().Add(p.t.cfg.IdleTimeout))
		typ, payload, n, err := fr.next()
		if err != nil {
			conn.Close() // wake the writer if it is blocked in a write
			return err
		}
		p.stats.recvBytes.Add(uint64(n))
		if typ != framePong {
			conn.Close()
			return fmt.Errorf("%w: frame type %d on the answering side of a stream", errFrame, typ)
		}
		rtt := p.t.sinceEpoch() - time.Duration(binary.BigEndian.Uint64(payload))
		p.stats.rtt.Store(int64(rtt))
		if p.t.cfg.ObserveRTT != nil {
			p.t.cfg.ObserveRTT(p.id, rtt)
		}
	}
}
