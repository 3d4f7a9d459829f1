package server

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// The Watch service. A watch stream carries many watches; each is a
// kv.Watcher pumped by a goroutine of its own, reading the store directly
// (it is safe for concurrent use): a watch never touches the member's loop,
// so a thousand slow watchers cannot slow down writes. Responses go out one
// at a time, under the stream's lock, in the order etcd promises: a watch's
// "created" before its events, its events in revision order, its
// cancellation last.

// Watch opens a watch stream (api.Watcher).
func (s *Server) Watch(ctx context.Context, send func(*api.WatchResponse) error) (api.WatchStream, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	return &watchStream{s: s, ctx: ctx, cancel: cancel, send: send, watchers: map[int64]*streamWatcher{}}, nil
}

type watchStream struct {
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc
	send   func(*api.WatchResponse) error

	mu       sync.Mutex // serializes sends, and guards the fields below
	watchers map[int64]*streamWatcher
	nextID   int64
	wg       sync.WaitGroup
	// progressWaiting holds the watchers that have yet to report progress
	// for the stream's pending progress request; progressRev is the lowest
	// revision reported so far.
	progressWaiting map[int64]bool
	progressRev     int64
	progressDone    chan struct{}
}

type streamWatcher struct {
	id       int64
	w        *kv.Watcher
	stop     chan struct{}
	notify   bool // progress_notify: periodic progress when idle
	fragment bool // split revisions larger than the request limit
	// streamProgress is set when the stream asked for progress (answered
	// with etcd's watch_id -1, rather than this watcher's ID).
	streamProgress atomic.Bool
}

// etcd's reasons for refusing a watch (mvcc's errors; the compacted one is
// rpctypes' ErrCompacted).
const (
	reasonEmptyRange  = "mvcc: watcher range is empty"
	reasonDuplicateID = "mvcc: duplicate watch ID provided on the WatchStream"
)

// sendLocked sends one response; a failed send (the client is gone) ends
// the stream. The caller holds ws.mu.
func (ws *watchStream) sendLocked(resp *api.WatchResponse) {
	if ws.ctx.Err() != nil {
		return
	}
	if err := ws.send(resp); err != nil {
		ws.cancel()
	}
}

func (ws *watchStream) sendOne(resp *api.WatchResponse) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.sendLocked(resp)
}

// refuse answers a create request that opens no watch, as etcd does: one
// response that is both created and canceled, with watch ID -1 and the
// reason.
func (ws *watchStream) refuse(reason string) {
	ws.sendOne(&api.WatchResponse{Header: ws.s.header(ws.s.member.Store().Rev()), WatchID: -1, Created: true, Canceled: true, CancelReason: reason})
}

func (ws *watchStream) Create(c *api.WatchCreateRequest) {
	s := ws.s
	req := c.WatchRequest
	if len(req.Key) == 0 {
		req.Key = []byte{0} // the smallest key, as etcd reads an empty one
	}
	switch {
	case req.StartRevision < 0:
		ws.refuse(wire.ErrCompacted.Message)
		return
	case !ws.permitted(&req):
		return
	case len(req.RangeEnd) > 0 && !(len(req.RangeEnd) == 1 && req.RangeEnd[0] == 0) && bytes.Compare(req.Key, req.RangeEnd) >= 0:
		ws.refuse(reasonEmptyRange)
		return
	}
	ws.mu.Lock()
	id := c.WatchID
	if id == 0 {
		// etcd's choice: the lowest ID not taken, counting up.
		for ws.watchers[ws.nextID] != nil {
			ws.nextID++
		}
		id = ws.nextID
		ws.nextID++
	} else if _, taken := ws.watchers[id]; taken {
		ws.mu.Unlock()
		ws.refuse(reasonDuplicateID)
		return
	}
	kw, h := s.member.Store().Watch(req)
	sw := &streamWatcher{id: id, w: kw, stop: make(chan struct{}), notify: c.ProgressNotify, fragment: c.Fragment}
	ws.watchers[id] = sw
	ws.sendLocked(&api.WatchResponse{Header: s.header(h.Revision), WatchID: id, Created: true})
	ws.mu.Unlock()
	ws.wg.Add(1)
	go ws.pump(sw)
}

// permitted checks that the stream's caller may read what a watch would
// show, and refuses the watch, as etcd does, if not.
func (ws *watchStream) permitted(req *kv.WatchRequest) bool {
	c, err := ws.s.caller(ws.ctx)
	if err == nil {
		err = ws.s.member.Auth().CheckKeys(c, req.Key, req.RangeEnd, auth.Read)
	}
	if err != nil {
		ws.refuse(watchRefusal(err))
		return false
	}
	return true
}

func (ws *watchStream) Cancel(id int64) {
	s := ws.s
	ws.mu.Lock()
	sw := ws.watchers[id]
	delete(ws.watchers, id)
	ws.mu.Unlock()
	if sw == nil {
		return // etcd ignores a cancel of a watch it does not have
	}
	close(sw.stop)
	sw.w.Cancel()
	ws.sendOne(&api.WatchResponse{Header: s.header(s.member.Store().Rev()), WatchID: id, Canceled: true})
	ws.progressReported(id, s.member.Store().Rev()) // a canceled watcher owes no progress
}

// RequestProgress: everything up to a revision has been delivered on this
// stream once every watcher has caught up to it. Ask each watcher, and
// answer with one etcd-style "watch_id -1" response once all have reported.
// etcd answers only if every watcher is caught up at the moment it is asked
// (a client must ask again); raftkv waits until they are, so a progress
// request is never silently dropped. A stream without watches has nothing
// to report, and, as in etcd, gets no answer.
func (ws *watchStream) RequestProgress() {
	ws.mu.Lock()
	if len(ws.watchers) == 0 {
		ws.mu.Unlock()
		return
	}
	done := make(chan struct{})
	ws.progressWaiting, ws.progressRev, ws.progressDone = map[int64]bool{}, 0, done
	for id, sw := range ws.watchers {
		ws.progressWaiting[id] = true
		sw.streamProgress.Store(true)
		sw.w.RequestProgress()
	}
	ws.mu.Unlock()
	// Requests on a stream are answered in order: wait for this one before
	// taking the next (a cancel right behind it, say).
	select {
	case <-done:
	case <-ws.ctx.Done():
	}
}

// progressReported records one watcher's answer to the stream's progress
// request, and answers the request once every watcher has.
func (ws *watchStream) progressReported(id, rev int64) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if !ws.progressWaiting[id] {
		return
	}
	delete(ws.progressWaiting, id)
	if ws.progressRev == 0 || rev < ws.progressRev {
		ws.progressRev = rev
	}
	if len(ws.progressWaiting) == 0 {
		ws.sendLocked(&api.WatchResponse{Header: ws.s.header(ws.progressRev), WatchID: -1})
		close(ws.progressDone)
	}
}

// pump forwards one watcher's responses to the stream.
func (ws *watchStream) pump(sw *streamWatcher) {
	defer ws.wg.Done()
	s := ws.s
	var tick <-chan time.Time
	if sw.notify {
		t := time.NewTicker(ws.s.cfg.WatchProgressNotifyInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		for {
			resp, ok := sw.w.Next()
			if !ok {
				break
			}
			out := &api.WatchResponse{Header: s.header(resp.Header.Revision), WatchID: sw.id, Events: resp.Events}
			if resp.Canceled {
				out.Canceled, out.CompactRevision = true, resp.CompactRevision
				if resp.CompactRevision != 0 {
					// etcd's compacted cancel carries no revision in its header.
					out.Header.Revision = 0
				}
				ws.mu.Lock()
				if ws.watchers[sw.id] == sw {
					delete(ws.watchers, sw.id)
				}
				ws.sendLocked(out)
				ws.mu.Unlock()
				ws.progressReported(sw.id, resp.Header.Revision)
				return
			}
			if resp.ProgressNotify && sw.streamProgress.Swap(false) {
				ws.progressReported(sw.id, resp.Header.Revision)
				continue
			}
			ws.deliver(sw, out)
		}
		select {
		case <-ws.ctx.Done():
			return
		case <-sw.stop:
			return
		case <-tick:
			sw.w.RequestProgress()
		case <-sw.w.Ready():
		}
	}
}

// watchFragmentOverhead is what etcd allows a watch response above
// --max-request-bytes before it fragments one: the same 512 KiB its gRPC
// server accepts above the limit on a request (MaxRequestBytesWithOverhead).
const watchFragmentOverhead = 512 * 1024

// deliver sends a watcher's response, split into fragments if the watcher
// asked for that and the response would exceed the request size limit plus
// etcd's overhead (as etcd does: a fragment holds at least one event, and
// every fragment but the last is marked).
func (ws *watchStream) deliver(sw *streamWatcher, out *api.WatchResponse) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if !sw.fragment {
		ws.sendLocked(out)
		return
	}
	for _, part := range api.Fragments(out, ws.s.cfg.MaxRequestBytes+watchFragmentOverhead) {
		ws.sendLocked(part)
	}
}

// Close cancels every watch of the stream and waits for their pumps.
func (ws *watchStream) Close() {
	ws.cancel()
	ws.mu.Lock()
	for id, sw := range ws.watchers {
		close(sw.stop)
		sw.w.Cancel()
		delete(ws.watchers, id)
	}
	ws.mu.Unlock()
	ws.wg.Wait()
}
