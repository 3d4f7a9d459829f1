package proxy

import (
	"context"
	"errors"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// broadcast is one watch the proxy holds on the cluster, shared by its
// receivers. Its goroutine owns the upstream stream: it opens it, reads it,
// and opens it again from the broadcast's position when it breaks.
type broadcast struct {
	hub      *watchHub
	wr       watchRange
	startRev int64
	// creds are those of the receiver that opened it: the cluster sees the
	// watch as that client's (each other receiver's permission to read the
	// range was checked when it joined).
	creds      api.Credentials
	cancel     context.CancelFunc
	progressCh chan struct{}
	done       chan struct{}

	// Guarded by the hub's mutex:
	receivers map[*receiver]struct{}
	// created: the cluster has answered the first create; live: it is
	// serving the present (it was opened from now, or it has caught up).
	created, live, stopped bool
	// nextRev: every event below it has been delivered to the receivers.
	nextRev int64
	header  api.Header
	// connected: the current stream's watch is created, and a progress
	// request can go out on it.
	connected bool
	// Callers waiting for a progress answer: those whose request is on its
	// way, and those who asked since (they get the next one, so that every
	// answer they see was asked for after they asked).
	progressSent, progressPending []func(rev int64)
}

// askProgress asks the cluster how far b has been served, and calls w with
// the answer. Called under the hub's mutex.
func (b *broadcast) askProgress(w func(rev int64)) {
	b.progressPending = append(b.progressPending, w)
	b.flushProgress()
}

// flushProgress sends the pending progress requests as one, unless one is
// on its way already (its answer will send the next).
func (b *broadcast) flushProgress() {
	if len(b.progressPending) == 0 || len(b.progressSent) > 0 || !b.connected {
		return
	}
	b.progressSent, b.progressPending = b.progressPending, nil
	select {
	case b.progressCh <- struct{}{}:
	default: // a request is queued already; it answers these too
	}
}

// tellLink tells the receivers that care whether b has its stream.
func (b *broadcast) tellLink(up bool) {
	for r := range b.receivers {
		if lw, ok := r.sink.(linkWatcher); ok {
			lw.linked(r, up)
		}
	}
}

// errBroadcastOver ends a broadcast for good: its receivers have been told.
var errBroadcastOver = errors.New("broadcast over")

// A session that lasted this long before it broke starts the backoff over.
const sessionHealthyAfter = 10 * time.Second

func (b *broadcast) run(ctx context.Context) {
	wait := retryFirstWait
	for ctx.Err() == nil {
		began := time.Now()
		err := b.session(ctx)
		if ctx.Err() != nil || errors.Is(err, errBroadcastOver) {
			return
		}
		err = fromGRPC(err)
		if isAuthFailure(err) {
			// Asking again will not change the answer: the clients must
			// log in again, and watch again.
			b.hub.fail(b, err.Error())
			return
		}
		b.hub.p.log.Info("upstream watch broke; reopening it", "key", b.wr.key, "end", b.wr.end, "err", err)
		if time.Since(began) > sessionHealthyAfter {
			wait = retryFirstWait
		}
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, retryMaxWait)
	}
}

// session opens one upstream stream, from the broadcast's position, and
// reads it until it breaks.
func (b *broadcast) session(ctx context.Context) error {
	h := b.hub
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.mu.Lock()
	start := b.startRev
	if b.created {
		start = b.nextRev
	}
	if b.created {
		b.tellLink(false)
	}
	b.connected = false
	b.progressPending = append(b.progressSent, b.progressPending...)
	b.progressSent = nil
	h.mu.Unlock()

	stream, err := h.p.up.watch.Watch(requireLeader(outgoing(api.WithCredentials(ctx, b.creds))))
	if err != nil {
		return err
	}
	create := &pb.WatchCreateRequest{
		Key: []byte(b.wr.key), RangeEnd: []byte(b.wr.end), StartRevision: start,
		// Every receiver's wishes, so that each can be served: the
		// previous values (dropped for those that did not ask), and the
		// periodic progress (passed on to those that did).
		PrevKv: true, ProgressNotify: true,
	}
	if err := stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: create}}); err != nil {
		return err
	}
	progress := &pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.progressCh:
				if stream.Send(progress) != nil {
					return
				}
			}
		}
	}()
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		switch h.handle(b, resp) {
		case over:
			return errBroadcastOver
		case reopen:
			return errors.New("the member canceled the watch")
		}
	}
}

// What a response means for the broadcast.
type outcome int

const (
	goOn outcome = iota
	reopen
	over
)

// handle passes one upstream response on to the receivers.
func (h *watchHub) handle(b *broadcast, resp *pb.WatchResponse) outcome {
	h.mu.Lock()
	defer h.mu.Unlock()
	if b.stopped {
		return over
	}
	hdr := pbconv.FromHeader(resp.Header)
	switch {
	case resp.Created && (resp.Canceled || resp.WatchId == -1):
		// Refused (permission, a range the member finds empty): no
		// receiver can have it.
		h.end(b, hdr, resp.CancelReason)
		return over
	case resp.Created:
		b.header, b.connected = hdr, true
		if !b.created {
			b.created = true
			if b.startRev == 0 {
				b.nextRev, b.live = hdr.Revision+1, true
			} else {
				b.nextRev = b.startRev
				// From the past: once it has caught up, it may merge.
				b.askProgress(func(int64) { h.tryMerge(b) })
			}
			for r := range b.receivers {
				if !r.created {
					h.created(b, r)
				}
			}
		} else {
			b.tellLink(true)
		}
		b.flushProgress()
	case resp.WatchId == -1:
		// The answer to a progress request: everything up to its
		// revision has been delivered.
		b.header = hdr
		h.advance(b, hdr.Revision)
		waiting := b.progressSent
		b.progressSent = nil
		for _, w := range waiting {
			w(hdr.Revision)
		}
		b.flushProgress()
	case resp.Canceled && resp.CompactRevision != 0:
		h.compacted(b, resp.CompactRevision)
		return over
	case resp.Canceled && resp.CancelReason != "":
		h.end(b, hdr, resp.CancelReason)
		return over
	case resp.Canceled:
		return reopen
	case len(resp.Events) > 0:
		h.broadcastEvents(b, hdr, resp)
	default:
		// A periodic progress notification.
		b.header = hdr
		h.advance(b, hdr.Revision)
		for r := range b.receivers {
			if r.progressNotify {
				r.sink.deliver(r, &api.WatchResponse{Header: hdr, WatchID: r.id})
			}
		}
	}
	return goOn
}

// broadcastEvents gives each receiver its share of one revision's events.
func (h *watchHub) broadcastEvents(b *broadcast, hdr api.Header, resp *pb.WatchResponse) {
	evs := pbconv.ToEvents(resp.Events)
	h.p.ns.events(evs)
	last := evs[len(evs)-1].Kv.ModRevision
	b.header = hdr
	sent := 0
	for r := range b.receivers {
		if out := receiverEvents(r, evs); len(out) > 0 {
			if !r.sink.deliver(r, &api.WatchResponse{Header: hdr, WatchID: r.id, Events: out}) {
				// Its client reads too slowly to keep up: it leaves, and
				// will rejoin from where it is (its nextRev stays).
				r.bcast = nil
				delete(b.receivers, r)
				continue
			}
			sent++
		}
		r.nextRev = max(r.nextRev, last+1)
	}
	b.nextRev = max(b.nextRev, last+1)
	if sent > 1 {
		h.p.metrics.eventsCoalescing.Add(float64(sent - 1))
	}
	if len(b.receivers) == 0 {
		h.stop(b)
	}
}

// end cancels every receiver of b with reason, and closes b.
func (h *watchHub) end(b *broadcast, hdr api.Header, reason string) {
	for r := range b.receivers {
		delete(b.receivers, r)
		r.bcast, r.gone = nil, true
		if !r.created {
			r.created = true
			r.sink.refuse(r, hdr, reason)
			close(r.ready)
			continue
		}
		r.sink.deliver(r, &api.WatchResponse{Header: hdr, WatchID: r.id, Canceled: true, CancelReason: reason})
	}
	h.stop(b)
}

// fail ends b after its stream failed for good (the cluster refuses its
// credentials).
func (h *watchHub) fail(b *broadcast, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !b.stopped {
		h.end(b, b.header, reason)
	}
}

// compacted: the history b needed is gone. A receiver that needed it is
// canceled as the member cancels a watch (with the compaction's revision:
// its client must read the state again); one that is past it is given
// another broadcast.
func (h *watchHub) compacted(b *broadcast, compactRev int64) {
	var survivors []*receiver
	for r := range b.receivers {
		delete(b.receivers, r)
		r.bcast = nil
		if r.created && r.nextRev >= compactRev {
			survivors = append(survivors, r)
			continue
		}
		r.gone = true
		if !r.created {
			h.created(b, r)
		}
		// etcd's compacted cancel carries no revision in its header.
		hdr := b.header
		hdr.Revision = 0
		r.sink.deliver(r, &api.WatchResponse{Header: hdr, WatchID: r.id, Canceled: true, CompactRevision: compactRev})
	}
	h.stop(b)
	for _, r := range survivors {
		h.addLocked(r)
	}
}
