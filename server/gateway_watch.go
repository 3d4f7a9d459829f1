package server

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// serveWatch serves /v3/watch: the request body is a stream of create,
// cancel and progress requests; the response a stream of watch responses,
// open until the client goes away. Watchers read the store directly (it is
// safe for concurrent use) — a watch never touches the member's loop, so a
// thousand slow watchers cannot slow down writes.
func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{}) // a watch stream may be idle for hours
	ws := &watchStream{s: s, w: w, rc: http.NewResponseController(w), ctx: ctx, watchers: map[int64]*streamWatcher{}}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.Header()["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
	dec := wire.NewStreamDecoder(r.Body)
	reqs := make(chan *wire.WatchRequest)
	go func() {
		defer close(reqs)
		for {
			var req wire.WatchRequest
			err := dec.Decode(&req)
			if err == io.EOF {
				return // the request side is done; the stream stays open
			}
			if err != nil {
				ws.send(nil, decodeStreamError(err))
				cancel()
				return
			}
			select {
			case reqs <- &req:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer ws.closeAll()
	for {
		select {
		case <-ctx.Done():
			return
		case req, ok := <-reqs:
			if !ok {
				reqs = nil // keep streaming events until the client leaves
				continue
			}
			ws.handle(req)
		}
	}
}

type watchStream struct {
	s   *Server
	w   http.ResponseWriter
	rc  *http.ResponseController
	ctx context.Context

	mu       sync.Mutex // serializes writes to w, and guards the fields below
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
	id     int64
	w      *kv.Watcher
	stop   chan struct{}
	notify bool // progress_notify: periodic progress when idle
	// streamProgress is set when the stream asked for progress (answered
	// with etcd's watch_id -1, rather than this watcher's ID).
	streamProgress atomic.Bool
}

// send writes one message (or an error, which ends the stream).
func (ws *watchStream) send(resp *wire.WatchResponse, werr *wire.Error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.sendLocked(resp, werr)
}

func (ws *watchStream) sendLocked(resp *wire.WatchResponse, werr *wire.Error) {
	if werr != nil {
		ws.w.Write(wire.AppendStreamError(nil, werr))
	} else {
		ws.w.Write(wire.AppendStreamResult(make([]byte, 0, 256), resp))
	}
	ws.rc.Flush()
}

func (ws *watchStream) handle(req *wire.WatchRequest) {
	s := ws.s
	switch {
	case req.CreateRequest != nil:
		c := req.CreateRequest
		kreq := kv.WatchRequest{Key: c.Key, RangeEnd: c.RangeEnd, StartRevision: c.StartRevision, PrevKv: c.PrevKV}
		for _, f := range c.Filters {
			kreq.Filters = append(kreq.Filters, kv.WatchFilter(f))
		}
		ws.mu.Lock()
		id := c.WatchID
		if id == 0 {
			id = ws.nextID
		}
		if _, taken := ws.watchers[id]; taken || id < 0 {
			ws.mu.Unlock()
			ws.send(&wire.WatchResponse{Header: s.header(s.member.Store().Rev()), WatchID: id, Created: true, Canceled: true,
				CancelReason: "etcdserver: watcher ID already exists"}, nil)
			return
		}
		for ws.nextID <= id {
			ws.nextID++
		}
		kw, h := s.member.Store().Watch(kreq)
		sw := &streamWatcher{id: id, w: kw, stop: make(chan struct{}), notify: c.ProgressNotify}
		ws.watchers[id] = sw
		ws.mu.Unlock()
		ws.send(&wire.WatchResponse{Header: s.header(h.Revision), WatchID: id, Created: true}, nil)
		ws.wg.Add(1)
		go ws.pump(sw)
	case req.CancelRequest != nil:
		id := req.CancelRequest.WatchID
		ws.mu.Lock()
		sw := ws.watchers[id]
		delete(ws.watchers, id)
		ws.mu.Unlock()
		if sw != nil {
			close(sw.stop)
			sw.w.Cancel()
			ws.send(&wire.WatchResponse{Header: s.header(s.member.Store().Rev()), WatchID: id, Canceled: true}, nil)
			ws.progressReported(id, s.member.Store().Rev()) // a canceled watcher owes no progress
		}
	case req.ProgressRequest != nil:
		// Everything up to a revision has been delivered on this stream once
		// every watcher has caught up to it. Ask each watcher, and answer
		// with one etcd-style "watch_id -1" message once all have reported.
		ws.mu.Lock()
		if len(ws.watchers) == 0 {
			ws.sendLocked(&wire.WatchResponse{Header: s.header(s.member.Store().Rev()), WatchID: -1}, nil)
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
		// Requests on a stream are answered in order: wait for this one
		// before taking the next (a cancel right behind it, say).
		select {
		case <-done:
		case <-ws.ctx.Done():
		}
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
		ws.sendLocked(&wire.WatchResponse{Header: ws.s.header(ws.progressRev), WatchID: -1}, nil)
		close(ws.progressDone)
	}
}

// progressNotifyInterval is how often an idle watcher with progress_notify
// hears the current revision (etcd's default is ten minutes).
const progressNotifyInterval = 10 * time.Minute

// pump forwards one watcher's responses to the stream.
func (ws *watchStream) pump(sw *streamWatcher) {
	defer ws.wg.Done()
	s := ws.s
	var tick <-chan time.Time
	if sw.notify {
		t := time.NewTicker(progressNotifyInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		for {
			resp, ok := sw.w.Next()
			if !ok {
				break
			}
			out := &wire.WatchResponse{Header: s.header(resp.Header.Revision), WatchID: sw.id, Events: toWireEvents(resp.Events)}
			if resp.Canceled {
				out.Canceled, out.CompactRevision = true, resp.CompactRevision
				if resp.CompactRevision != 0 {
					// etcd's compacted cancel carries no revision in its header.
					out.Header.Revision = 0
				}
				ws.send(out, nil)
				ws.progressReported(sw.id, resp.Header.Revision)
				return
			}
			if resp.ProgressNotify && sw.streamProgress.Swap(false) {
				ws.progressReported(sw.id, resp.Header.Revision)
				continue
			}
			ws.send(out, nil)
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

func (ws *watchStream) closeAll() {
	ws.mu.Lock()
	for id, sw := range ws.watchers {
		close(sw.stop)
		sw.w.Cancel()
		delete(ws.watchers, id)
	}
	ws.mu.Unlock()
	ws.wg.Wait()
}
