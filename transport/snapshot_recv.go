package transport

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// errStopped ends an incoming snapshot that Stop interrupted.
var errStopped = errors.New("transport: stopped")

// snapshotReceive is an incoming snapshot being read, registered so that
// Stop can interrupt it. net/http owns the connection (it is not hijacked),
// so the only way to unblock a read from another goroutine is to move its
// read deadline into the past.
type snapshotReceive struct {
	from uint64
	rc   *http.ResponseController

	mu      sync.Mutex
	stopped bool
}

// renew pushes the read deadline d into the future before the next chunk,
// unless the receive was interrupted: then it must not undo that.
func (s *snapshotReceive) renew(d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errStopped
	}
	// A ResponseWriter without deadlines leaves the server's own timeouts
	// in charge; that is the server's choice.
	_ = s.rc.SetReadDeadline(time.Now().Add(d))
	return nil
}

// interrupt makes the current and every later read fail.
func (s *snapshotReceive) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	_ = s.rc.SetReadDeadline(time.Unix(1, 0))
}

// serveSnapshot receives one snapshot and delivers it as one message.
func (t *HTTPTransport) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	// The handshake is checked before the body is touched: net/http sends
	// "100 Continue" on the first read of the body, so a refused sender
	// never starts sending its snapshot.
	hs, ok := t.begin(w, r, http.MethodPost)
	if !ok {
		return
	}
	defer t.wg.Done()
	rcv := &snapshotReceive{from: hs.from, rc: http.NewResponseController(w)}
	if !t.addSnapshotReceive(rcv) {
		http.Error(w, "transport stopped", http.StatusServiceUnavailable)
		return
	}
	defer t.removeSnapshotReceive(rcv)

	c := t.countersFor(hs.from)
	lim := snapshotLimits{maxHeader: t.cfg.MaxFrameBytes, maxData: t.cfg.MaxSnapshotBytes, chunk: t.cfg.SnapshotChunkBytes}
	body := countingReader{r: r.Body, n: &c.recvBytes}
	m, err := readSnapshot(body, lim, func() error { return rcv.renew(t.cfg.IdleTimeout) })
	if err == nil {
		err = t.checkIncoming(&m, hs.from)
	}
	if err == nil {
		if n, _ := body.Read(make([]byte, 1)); n > 0 {
			err = fmt.Errorf("%w: bytes after the snapshot's checksum", errFrame)
		}
	}
	if err != nil {
		if errors.Is(err, errStopped) {
			t.log.Debug(fmt.Sprintf("interrupted snapshot from member %x: transport stopped", hs.from))
		} else {
			c.recvFailures.Add(1)
			t.log.Warn(fmt.Sprintf("rejected snapshot from member %x: %v", hs.from, err), "peer", hexID(hs.from))
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t.log.Info(fmt.Sprintf("received snapshot at index %d (%d bytes) from member %x",
		m.Snapshot.Meta.Index, len(m.Snapshot.Data), hs.from), "peer", hexID(hs.from))
	c.recvMsgs.Add(1)
	t.cfg.Handler.Process(m)
	w.WriteHeader(http.StatusNoContent)
}

// addSnapshotReceive registers a receive. A newer snapshot from the same
// member interrupts the older one: raft has one snapshot in flight per
// follower, so the sender has given up on the old transfer.
func (t *HTTPTransport) addSnapshotReceive(s *snapshotReceive) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	for old := range t.snapshotsIn {
		if old.from == s.from {
			old.interrupt()
		}
	}
	t.snapshotsIn[s] = struct{}{}
	return true
}

// removeSnapshotReceive unregisters a receive. It holds the lock that Stop
// interrupts under, so a deadline is never set on a connection that
// net/http has taken back.
func (t *HTTPTransport) removeSnapshotReceive(s *snapshotReceive) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.snapshotsIn, s)
	_ = s.rc.SetReadDeadline(time.Time{})
}

// countingReader counts the bytes read through it into a peer's counter.
type countingReader struct {
	r io.Reader
	n interface{ Add(uint64) uint64 }
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(uint64(n))
	return n, err
}
