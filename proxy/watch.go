package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// The Watch service: a client's watch stream, served from the hub's shared
// broadcasts (watch_hub.go). To its client, each watch on the stream looks
// as it would on a member: its own ID, its "created" answer before its
// events and in the order the creates were sent, its filters and previous
// values, its progress, its cancellation last.

// Watch opens a watch stream (api.Watcher).
func (p *Proxy) Watch(ctx context.Context, send func(*api.WatchResponse) error) (api.WatchStream, error) {
	ctx, cancel := context.WithCancel(ctx)
	cs := &clientStream{
		p: p, ctx: ctx, cancel: cancel, send: send, creds: api.CredentialsFrom(ctx),
		watchers: map[int64]*receiver{}, wake: make(chan struct{}, 1), sent: make(chan struct{}),
	}
	go cs.sendLoop()
	return cs, nil
}

// maxQueued bounds the responses waiting for a slow client; past it, the
// watch whose response did not fit leaves its broadcast until the client
// has read what is queued (it then rejoins where it was).
const maxQueued = 1024

// etcd's reasons for refusing a watch (the member's words).
const (
	reasonEmptyRange  = "mvcc: watcher range is empty"
	reasonDuplicateID = "mvcc: duplicate watch ID provided on the WatchStream"
)

type clientStream struct {
	p      *Proxy
	ctx    context.Context
	cancel context.CancelFunc
	send   func(*api.WatchResponse) error
	creds  api.Credentials

	mu       sync.Mutex
	watchers map[int64]*receiver
	nextID   int64
	queue    []*api.WatchResponse
	// lagging are the watches that left their broadcast because the queue
	// was full; they rejoin once it has drained.
	lagging []*receiver
	closed  bool
	wake    chan struct{}
	sent    chan struct{} // closed when sendLoop ends
}

func (cs *clientStream) Create(c *api.WatchCreateRequest) {
	req := c.WatchRequest
	if len(req.Key) == 0 {
		req.Key = []byte{0} // the smallest key, as a member reads an empty one
	}
	switch {
	case req.StartRevision < 0:
		cs.refuseNow(wire.ErrCompacted.Message)
		return
	case len(req.RangeEnd) > 0 && !(len(req.RangeEnd) == 1 && req.RangeEnd[0] == 0) && bytes.Compare(req.Key, req.RangeEnd) >= 0:
		cs.refuseNow(reasonEmptyRange)
		return
	}
	key, end := cs.p.ns.interval(req.Key, req.RangeEnd)
	// The watch may share the cluster's watch of another client: whether
	// this one may read the range is asked of the cluster, with its own
	// credentials, as etcd's proxy asks it.
	if err := cs.p.checkRead(cs.ctx, key, end); err != nil {
		cs.refuseNow(refusalReason(err))
		return
	}
	r := &receiver{
		sink: cs, wr: watchRange{string(key), string(end)}, creds: cs.creds, startRev: req.StartRevision,
		prevKV: req.PrevKv, progressNotify: c.ProgressNotify, fragment: c.Fragment, ready: make(chan struct{}),
	}
	for _, f := range req.Filters {
		r.noPut = r.noPut || f == kv.FilterNoPut
		r.noDelete = r.noDelete || f == kv.FilterNoDelete
	}
	cs.mu.Lock()
	if c.WatchID != 0 {
		if _, taken := cs.watchers[c.WatchID]; taken {
			cs.mu.Unlock()
			cs.refuseNow(reasonDuplicateID)
			return
		}
		r.id = c.WatchID
	} else {
		// A member's choice: the lowest ID not taken, counting up.
		for cs.watchers[cs.nextID] != nil {
			cs.nextID++
		}
		r.id = cs.nextID
		cs.nextID++
	}
	cs.watchers[r.id] = r
	cs.mu.Unlock()
	cs.p.hub.add(r)
	// Creates are answered in the order they were sent (clients match
	// "created" answers to their requests by order): the next request is
	// taken once this one is answered.
	select {
	case <-r.ready:
	case <-cs.ctx.Done():
	}
}

// refusalReason is how a member words a watch it refuses for an error.
func refusalReason(err error) string {
	var e *wire.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("rpc error: code = %s desc = %s", e.Code, e.Message)
	}
	return err.Error()
}

func (cs *clientStream) Cancel(id int64) {
	cs.mu.Lock()
	r := cs.watchers[id]
	delete(cs.watchers, id)
	cs.mu.Unlock()
	if r == nil {
		return // a member ignores a cancel of a watch it does not have
	}
	cs.p.hub.remove(r)
	hdr := cs.p.header()
	cs.p.hub.mu.Lock()
	if r.nextRev > 0 {
		hdr.Revision = r.nextRev - 1
	}
	cs.p.hub.mu.Unlock()
	cs.enqueue(&api.WatchResponse{Header: hdr, WatchID: id, Canceled: true})
}

// RequestProgress answers with the revision up to which every watch of the
// stream has been served, once every broadcast serving them has said how
// far it got (as a member does, it waits rather than answer nothing).
func (cs *clientStream) RequestProgress() {
	cs.mu.Lock()
	rs := make([]*receiver, 0, len(cs.watchers))
	for _, r := range cs.watchers {
		rs = append(rs, r)
	}
	cs.mu.Unlock()
	if len(rs) == 0 {
		return // nothing to report, and a member answers nothing either
	}
	answered := make(chan struct{})
	cs.p.hub.requestProgress(rs, func(rev int64, hdr api.Header) {
		hdr.Revision = rev
		cs.enqueue(&api.WatchResponse{Header: hdr, WatchID: -1})
		close(answered)
	})
	select {
	case <-answered:
	case <-cs.ctx.Done():
	}
}

// Close cancels every watch of the stream and waits until nothing more is
// sent on it.
func (cs *clientStream) Close() {
	cs.cancel()
	cs.mu.Lock()
	cs.closed = true
	rs := make([]*receiver, 0, len(cs.watchers)+len(cs.lagging))
	for _, r := range cs.watchers {
		rs = append(rs, r)
	}
	cs.watchers = map[int64]*receiver{}
	cs.mu.Unlock()
	for _, r := range rs {
		cs.p.hub.remove(r)
	}
	<-cs.sent
}

// refuseNow answers a create request that opens no watch, as a member
// does: one response, created and canceled, with watch ID -1.
func (cs *clientStream) refuseNow(reason string) {
	cs.enqueue(&api.WatchResponse{Header: cs.p.header(), WatchID: -1, Created: true, Canceled: true, CancelReason: reason})
}

// refuse is the hub's refusal of r (sink).
func (cs *clientStream) refuse(r *receiver, hdr api.Header, reason string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.watchers[r.id] == r {
		delete(cs.watchers, r.id)
	}
	cs.push(&api.WatchResponse{Header: hdr, WatchID: -1, Created: true, Canceled: true, CancelReason: reason})
}

// deliver queues one of r's responses (sink).
func (cs *clientStream) deliver(r *receiver, resp *api.WatchResponse) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed || cs.watchers[r.id] != r {
		return true // canceled meanwhile: its client wants no more of it
	}
	if len(cs.queue) >= cs.p.queueLimit && !resp.Created && !resp.Canceled {
		cs.lagging = append(cs.lagging, r)
		return false
	}
	if resp.Canceled {
		delete(cs.watchers, r.id)
	}
	if !r.fragment {
		cs.push(resp)
		return true
	}
	// Split as a member splits a revision too large for one message.
	for _, part := range api.Fragments(resp, cs.p.cfg.MaxRequestBytes) {
		cs.push(part)
	}
	return true
}

func (cs *clientStream) enqueue(resp *api.WatchResponse) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.push(resp)
}

// push appends to the queue; the caller holds cs.mu.
func (cs *clientStream) push(resp *api.WatchResponse) {
	if cs.closed {
		return
	}
	cs.queue = append(cs.queue, resp)
	select {
	case cs.wake <- struct{}{}:
	default:
	}
}

// sendLoop sends the queued responses in order, and rejoins the lagging
// watches once the queue is empty.
func (cs *clientStream) sendLoop() {
	defer close(cs.sent)
	for {
		select {
		case <-cs.ctx.Done():
			return
		case <-cs.wake:
		}
		for {
			cs.mu.Lock()
			batch := cs.queue
			cs.queue = nil
			var rejoin []*receiver
			if len(batch) == 0 {
				rejoin, cs.lagging = cs.lagging, nil
			}
			cs.mu.Unlock()
			if len(batch) == 0 {
				for _, r := range rejoin {
					cs.p.hub.add(r)
				}
				break
			}
			for _, resp := range batch {
				if cs.ctx.Err() != nil {
					return
				}
				if err := cs.send(resp); err != nil {
					cs.cancel()
					return
				}
			}
		}
	}
}
