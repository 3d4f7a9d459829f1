package proxy

import (
	"time"

	"github.com/raftkv/raftkv/server/api"
)

// cacheFollower keeps the cache in step with the cluster: one receiver in
// the hub, watching the whole namespace from now, through which every
// change — by any client, through any proxy or none — removes the cached
// answers it touches. It is an ordinary receiver, so it shares the
// cluster's watch with any client watching the same range, and it is
// reconnected and resumed as theirs are.
//
// It starts with the first serializable read the cache cannot answer: a
// proxy that only serves watches costs the cluster no watch of its own.
type cacheFollower struct {
	p *Proxy
	// Guarded by the hub's mutex: r is the current receiver, nil while
	// the follower is stopped; started is when it last started.
	r       *receiver
	started time.Time
}

// followerRetry is how long the follower waits before watching again after
// the cluster ended or refused its watch.
const followerRetry = 2 * time.Second

// ensure starts the follower's watch (the cache is armed once it is
// created), unless it runs, or authentication is on, or it started less
// than followerRetry ago.
func (f *cacheFollower) ensure() {
	if f.p.cache.capacity <= 0 || f.p.authOn() {
		return
	}
	key, end := f.p.ns.interval([]byte{0}, []byte{0})
	h := f.p.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.r != nil || f.p.ctx.Err() != nil || time.Since(f.started) < followerRetry {
		return
	}
	f.started = time.Now()
	f.r = &receiver{sink: f, wr: watchRange{string(key), string(end)}, prevKV: true, ready: make(chan struct{})}
	h.addLocked(f.r)
}

// stop ends the follower's watch and empties the cache.
func (f *cacheFollower) stop() {
	h := f.p.hub
	h.mu.Lock()
	r := f.r
	f.r = nil
	h.mu.Unlock()
	if r != nil {
		h.remove(r)
	}
	f.p.cache.disarm()
}

// deliver is the hub's sink: the follower never falls behind (it only
// removes cache entries), so it always takes what it is given.
func (f *cacheFollower) deliver(r *receiver, resp *api.WatchResponse) bool {
	if r != f.r {
		return true
	}
	switch {
	case resp.Canceled:
		f.lost(r)
	case resp.Created:
		if !f.p.authOn() {
			f.p.cache.arm(resp.Header.Revision)
		}
	default:
		for i := range resp.Events {
			e := &resp.Events[i]
			f.p.cache.changed(e.Kv.Key, e.Kv.ModRevision)
		}
	}
	return true
}

// refuse: the cluster would not let the follower watch (authentication is
// on, most likely). The cache stays off; the follower tries again later.
func (f *cacheFollower) refuse(r *receiver, _ api.Header, reason string) {
	if r == f.r {
		f.p.log.Info("the read cache is off: the cluster refused its watch", "reason", reason)
		f.lost(r)
	}
}

// linked is told when the receiver's broadcast loses its stream (false) and
// has it again (true). While the proxy cannot see the changes, it serves
// nothing from the cache: the answers would grow older without bound.
func (f *cacheFollower) linked(r *receiver, up bool) {
	if r != f.r {
		return
	}
	if !up {
		f.p.cache.disarm()
	} else if !f.p.authOn() {
		f.p.cache.arm(r.nextRev - 1)
	}
}

// lost forgets the follower's receiver (called under the hub's mutex); the
// next read the cache cannot answer starts it again.
func (f *cacheFollower) lost(r *receiver) {
	f.r = nil
	f.p.cache.disarm()
}
