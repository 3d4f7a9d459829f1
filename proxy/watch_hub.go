package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// Watch coalescing. A thousand clients watching the same key through one
// proxy need not cost the cluster a thousand watches: the proxy opens one
// (a broadcast) and hands each event it receives to every client watch
// (a receiver) that shares it. What makes that safe is one number per
// receiver, nextRev: every event below it has been delivered to that
// receiver, none at or above it has. A receiver can then be served by any
// broadcast that has not yet passed its nextRev — the broadcast delivers
// everything from its own position on, and the receiver skips what it has
// had — so nothing is lost and nothing comes twice.
//
//   - A watch from "now" joins the range's live broadcast: it is created at
//     the broadcast's position, and sees every event after it.
//   - A watch from revision S joins a broadcast that has not passed S yet;
//     if every one has (the client asks for history), it gets a broadcast
//     of its own from S. Once that one has caught up — a progress request
//     upstream says so — its receivers move to the live broadcast and the
//     extra watch on the cluster is closed (merge).
//   - A receiver whose client reads too slowly leaves its broadcast rather
//     than hold up the others, and rejoins from its nextRev once its client
//     has caught up (the same path as a watch from S).
//   - When a broadcast's stream breaks — the member died, lost its leader,
//     the proxy lost the connection — it is opened again, on whichever
//     member is up, from the broadcast's own position: the history between
//     is read again, and the receivers see the gap filled, in order.
//
// One mutex guards the hub: joins, leaves, merges and deliveries. A delivery
// only appends to the receivers' queues (their streams send on their own
// goroutines), so it is held briefly. Lock order: hub.mu, then a stream's.

// watchRange is a watched interval, in the cluster's keys.
type watchRange struct{ key, end string }

// sink is where a receiver's responses go: a client's watch stream, or one
// of the proxy's own followers of the keyspace (the cache, the directory of
// proxies). Both methods are called with the hub's mutex held, and must
// not block.
type sink interface {
	// deliver queues a response for r. false means the sink cannot take
	// more now (r then leaves its broadcast, and the sink is responsible
	// for rejoining it later); created and canceled responses are always
	// taken.
	deliver(r *receiver, resp *api.WatchResponse) bool
	// refuse answers r's create request with a refusal: the watch never
	// existed.
	refuse(r *receiver, header api.Header, reason string)
}

// linkWatcher is a sink that wants to know when its receiver's broadcast
// loses its stream to the cluster (up false) and has it again (up true).
// Called with the hub's mutex held.
type linkWatcher interface {
	linked(r *receiver, up bool)
}

// receiver is one client watch (or one follower of the proxy's own).
type receiver struct {
	id    int64
	sink  sink
	wr    watchRange
	creds api.Credentials
	// startRev is the revision asked for (0: from now).
	startRev                         int64
	prevKV, progressNotify, fragment bool
	noPut, noDelete                  bool

	// Guarded by the hub's mutex:
	// nextRev: every event below it has been delivered (0 until a watch
	// from now is created).
	nextRev int64
	bcast   *broadcast // nil while it has none (lagging, or gone)
	created bool
	gone    bool          // canceled: it must not join again
	ready   chan struct{} // closed once created or refused
}

type watchHub struct {
	p      *Proxy
	mu     sync.Mutex
	groups map[watchRange][]*broadcast
}

func newWatchHub(p *Proxy) *watchHub {
	return &watchHub{p: p, groups: map[watchRange][]*broadcast{}}
}

// hubStats are the figures /metrics shows: the clients' watches (not the
// proxy's own followers), the watches held on the cluster, and how many
// receivers share one with another.
type hubStats struct {
	receivers, broadcasts, coalescing int
}

func (h *watchHub) stats() hubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s hubStats
	for _, bs := range h.groups {
		for _, b := range bs {
			s.broadcasts++
			if len(b.receivers) > 1 {
				s.coalescing += len(b.receivers) - 1
			}
			for r := range b.receivers {
				if _, ok := r.sink.(*clientStream); ok {
					s.receivers++
				}
			}
		}
	}
	return s
}

// add gives r a broadcast: it joins one that can serve it, or a new one is
// opened for it. A receiver that is not created yet is answered "created"
// at once if it joins a broadcast that is, else with that broadcast.
func (h *watchHub) add(r *receiver) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addLocked(r)
}

func (h *watchHub) addLocked(r *receiver) {
	if r.gone {
		return
	}
	b := h.fitting(r)
	if b == nil {
		start := r.startRev
		if r.created {
			start = r.nextRev
		}
		b = h.open(r.wr, start, r.creds)
	}
	h.join(b, r)
}

// fitting finds a broadcast that can serve r without losing or repeating
// an event for it, preferring a live one.
func (h *watchHub) fitting(r *receiver) *broadcast {
	var candidate *broadcast
	from := r.startRev
	if r.created {
		from = r.nextRev
	}
	for _, b := range h.groups[r.wr] {
		var fits bool
		switch {
		case from == 0:
			// From now: the live broadcast's now, or a broadcast from now
			// that is being opened.
			fits = (b.created && b.live) || (!b.created && b.startRev == 0)
		case b.created:
			fits = b.nextRev <= from
		default:
			fits = b.startRev != 0 && b.startRev <= from
		}
		if fits && (candidate == nil || (b.live && !candidate.live)) {
			candidate = b
		}
	}
	return candidate
}

// join attaches r to b, and answers r's create if b can already.
func (h *watchHub) join(b *broadcast, r *receiver) {
	b.receivers[r] = struct{}{}
	r.bcast = b
	if !r.created && b.created {
		h.created(b, r)
	}
}

// created answers r's create request from b's state.
func (h *watchHub) created(b *broadcast, r *receiver) {
	hdr := b.header
	if r.startRev == 0 {
		r.nextRev = b.nextRev
		hdr.Revision = b.nextRev - 1
	} else {
		r.nextRev = r.startRev
	}
	r.created = true
	r.sink.deliver(r, &api.WatchResponse{Header: hdr, WatchID: r.id, Created: true})
	close(r.ready)
}

// remove takes r out of the hub for good (its watch was canceled).
func (h *watchHub) remove(r *receiver) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.gone = true
	h.detach(r)
	if !r.created {
		r.created = true
		close(r.ready)
	}
}

// detach takes r off its broadcast, closing the broadcast if it was its
// last receiver.
func (h *watchHub) detach(r *receiver) {
	b := r.bcast
	if b == nil {
		return
	}
	r.bcast = nil
	delete(b.receivers, r)
	if len(b.receivers) == 0 {
		h.stop(b)
	}
}

// open starts a broadcast on wr from start (0: from now).
func (h *watchHub) open(wr watchRange, start int64, creds api.Credentials) *broadcast {
	ctx, cancel := context.WithCancel(h.p.ctx)
	b := &broadcast{
		hub: h, wr: wr, startRev: start, creds: creds,
		receivers: map[*receiver]struct{}{}, cancel: cancel,
		progressCh: make(chan struct{}, 1), done: make(chan struct{}),
	}
	h.groups[wr] = append(h.groups[wr], b)
	h.p.wg.Add(1)
	go func() {
		defer h.p.wg.Done()
		defer close(b.done)
		b.run(ctx)
	}()
	return b
}

// stop closes b's watch on the cluster and forgets it.
func (h *watchHub) stop(b *broadcast) {
	if b.stopped {
		return
	}
	b.stopped = true
	b.cancel()
	bs := h.groups[b.wr]
	for i, x := range bs {
		if x == b {
			bs = append(bs[:i], bs[i+1:]...)
			break
		}
	}
	if len(bs) == 0 {
		delete(h.groups, b.wr)
	} else {
		h.groups[b.wr] = bs
	}
	// Whoever waited for its progress is told where it got to.
	for _, w := range append(b.progressSent, b.progressPending...) {
		w(b.nextRev - 1)
	}
	b.progressSent, b.progressPending = nil, nil
}

// advance records that b has delivered everything up to rev.
func (h *watchHub) advance(b *broadcast, rev int64) {
	b.nextRev = max(b.nextRev, rev+1)
	for r := range b.receivers {
		r.nextRev = max(r.nextRev, rev+1)
	}
}

// requestProgress asks each broadcast serving rs for its progress, and
// calls done with the revision up to which every receiver in rs has been
// served, once all have answered.
//
// What a receiver has been served is its own business — nextRev — bounded
// by what its broadcast's member said: a receiver whose client reads slowly
// may have left its broadcast meanwhile, behind it, and a receiver that
// asked for a revision still in the future has been served nothing yet.
func (h *watchHub) requestProgress(rs []*receiver, done func(rev int64, hdr api.Header)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	answers := map[*broadcast]int64{}
	askedOf := map[*receiver]*broadcast{}
	var hdr api.Header
	waiting := 0
	finish := func() {
		rev := int64(-1)
		for _, r := range rs {
			served := r.nextRev - 1
			if p, ok := answers[askedOf[r]]; ok {
				served = min(served, p)
			}
			if rev < 0 || served < rev {
				rev = served
			}
		}
		done(max(rev, 0), hdr)
	}
	for _, r := range rs {
		b := r.bcast
		if b == nil {
			continue // lagging: served up to its nextRev
		}
		askedOf[r] = b
		if _, asked := answers[b]; asked {
			continue
		}
		answers[b] = -1 // asked, not answered
		waiting++
		hdr = b.header
		b.askProgress(func(p int64) {
			answers[b] = p
			if waiting--; waiting == 0 {
				finish()
			}
		})
	}
	if waiting == 0 {
		finish()
	}
}

// mergeRetry is how long a broadcast that has caught up, but not with the
// live one, waits before asking for its progress again.
const mergeRetry = 100 * time.Millisecond

// tryMerge moves a catching-up broadcast's receivers to the live one once
// it has caught up with it, or makes it the live one if there is none.
// Called with b's progress, under the hub's mutex.
func (h *watchHub) tryMerge(b *broadcast) {
	if b.stopped || b.live {
		return
	}
	var live *broadcast
	for _, x := range h.groups[b.wr] {
		if x != b && x.created && x.live {
			live = x
		}
	}
	switch {
	case live == nil:
		b.live = true
	case live.nextRev <= b.nextRev:
		// Every receiver of b is at or past b's position, which the live
		// broadcast has not passed: it will deliver all they still need.
		for r := range b.receivers {
			delete(b.receivers, r)
			live.receivers[r] = struct{}{}
			r.bcast = live
		}
		h.stop(b)
	default:
		// Caught up with its own member, which is behind the live one's:
		// ask again shortly.
		time.AfterFunc(mergeRetry, func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if !b.stopped {
				b.askProgress(func(int64) { h.tryMerge(b) })
			}
		})
	}
}

// receiverEvents is what r gets of a revision's events: those at or past
// its nextRev, filtered as it asked, with the previous values if it asked
// for them. The events are shared, never modified.
func receiverEvents(r *receiver, evs []kv.Event) []kv.Event {
	i := 0
	for i < len(evs) && evs[i].Kv.ModRevision < r.nextRev {
		i++
	}
	evs = evs[i:]
	if r.prevKV && !r.noPut && !r.noDelete {
		return evs
	}
	var out []kv.Event
	for _, e := range evs {
		if (r.noPut && e.Type == kv.EventPut) || (r.noDelete && e.Type == kv.EventDelete) {
			continue
		}
		if !r.prevKV {
			e.PrevKv = nil
		}
		out = append(out, e)
	}
	return out
}
