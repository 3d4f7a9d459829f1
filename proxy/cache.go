package proxy

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"sync"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// The serializable read cache. A serializable read promises less than a
// linearizable one — it may miss the latest writes — and that is exactly
// the room a proxy needs to answer it itself: from a cache of earlier
// answers. A linearizable read promises that it reflects every write
// acknowledged before it began, which only the cluster can tell (Raft's
// ReadIndex: the leader confirms with a quorum that it still leads), so it
// always goes to the cluster; its answer may fill the cache for later
// serializable reads.
//
// Stale, yes; stale without bound, no. Every write that passes through the
// proxy removes the answers it may have changed, and the proxy follows the
// cluster's own history — one watch over the whole namespace — removing the
// answers each change touches, whoever made it: an answer is never older
// than the watch's delay, as a follower's state is never older than its
// replication's. One rule keeps the two in step: an answer may be cached
// only if it is at least as new as the newest change the proxy has seen
// (floor). An older answer could already have been invalidated by a change
// the watch delivered before the answer arrived; it is passed on, not kept.
//
// Who may read what is the cluster's to decide. With authentication on,
// a cached answer could be handed to a client that may not read it, so the
// cache serves — and keeps — only the answers to requests that carry no
// credentials, and only while the cluster says authentication is off: the
// follower's watch, itself without credentials, is refused once it is on,
// and the proxy checks the cluster's auth status every StatusInterval.
type rangeCache struct {
	metrics  *metrics
	capacity int
	// unarmed is called when a read finds the cache off (to start the
	// follower that arms it).
	unarmed func()

	mu      sync.Mutex
	entries map[string]*list.Element // of *cacheEntry, by request
	lru     *list.List               // most recently used first
	single  map[string]map[*cacheEntry]struct{}
	ranges  map[*cacheEntry]struct{}
	// armed: the follower's watch is established and authentication is
	// off; nothing is served or kept otherwise.
	armed bool
	floor int64
}

type cacheEntry struct {
	id     string
	span   interval
	resp   *kv.RangeResponse
	header api.Header
}

func newRangeCache(m *metrics, capacity int, unarmed func()) *rangeCache {
	return &rangeCache{
		metrics: m, capacity: capacity, unarmed: unarmed, entries: map[string]*list.Element{}, lru: list.New(),
		single: map[string]map[*cacheEntry]struct{}{}, ranges: map[*cacheEntry]struct{}{},
	}
}

// cacheable reports whether a request's answer may come from (or go into)
// the cache: a read of the current state, for a client without
// credentials.
func cacheable(req *kv.RangeRequest, creds api.Credentials) bool {
	return req.Revision == 0 && creds == (api.Credentials{})
}

// get returns the cached answer to req, if there is one.
func (c *rangeCache) get(req *kv.RangeRequest) (*kv.RangeResponse, api.Header, bool) {
	if c.capacity <= 0 {
		return nil, api.Header{}, false
	}
	id := cacheID(req)
	c.mu.Lock()
	if !c.armed {
		c.mu.Unlock()
		c.metrics.cacheMisses.Inc()
		c.unarmed()
		return nil, api.Header{}, false
	}
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		c.metrics.cacheMisses.Inc()
		return nil, api.Header{}, false
	}
	c.metrics.cacheHits.Inc()
	c.lru.MoveToFront(el)
	e := el.Value.(*cacheEntry)
	return e.resp, e.header, true
}

// add keeps an answer, unless a change newer than it has been seen (it may
// already be out of date, and nothing would remove it).
func (c *rangeCache) add(req *kv.RangeRequest, resp *kv.RangeResponse, hdr api.Header) {
	if c.capacity <= 0 {
		return
	}
	id := cacheID(req)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed || hdr.Revision < c.floor {
		return
	}
	if el, ok := c.entries[id]; ok {
		c.removeLocked(el.Value.(*cacheEntry))
	}
	e := &cacheEntry{id: id, span: newInterval(req.Key, req.RangeEnd), resp: resp, header: hdr}
	c.entries[id] = c.lru.PushFront(e)
	if e.span.single {
		set := c.single[string(e.span.start)]
		if set == nil {
			set = map[*cacheEntry]struct{}{}
			c.single[string(e.span.start)] = set
		}
		set[e] = struct{}{}
	} else {
		c.ranges[e] = struct{}{}
	}
	for c.lru.Len() > c.capacity {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry))
	}
}

func (c *rangeCache) removeLocked(e *cacheEntry) {
	el, ok := c.entries[e.id]
	if !ok || el.Value.(*cacheEntry) != e {
		return
	}
	delete(c.entries, e.id)
	c.lru.Remove(el)
	if e.span.single {
		set := c.single[string(e.span.start)]
		delete(set, e)
		if len(set) == 0 {
			delete(c.single, string(e.span.start))
		}
	} else {
		delete(c.ranges, e)
	}
}

// changed removes every answer that a change to key at rev may have made
// out of date, and raises the floor to rev.
func (c *rangeCache) changed(key []byte, rev int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.floor = max(c.floor, rev)
	for e := range c.single[string(key)] {
		c.removeLocked(e)
	}
	for e := range c.ranges {
		if e.span.contains(key) {
			c.removeLocked(e)
		}
	}
}

// changedRange removes every answer that a write to [key, end) at rev may
// have made out of date (a write that passed through the proxy).
func (c *rangeCache) changedRange(key, end []byte, rev int64) {
	span := newInterval(key, end)
	if span.single {
		c.changed(key, rev)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.floor = max(c.floor, rev)
	for _, el := range c.entries {
		if e := el.Value.(*cacheEntry); e.span.intersects(span) {
			c.removeLocked(e)
		}
	}
}

// arm starts serving: the follower sees every change after rev.
func (c *rangeCache) arm(rev int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = true
	c.floor = max(c.floor, rev)
}

// disarm stops serving and forgets every answer (the follower lost track of
// the changes, or authentication is on).
func (c *rangeCache) disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	c.entries = map[string]*list.Element{}
	c.lru.Init()
	c.single = map[string]map[*cacheEntry]struct{}{}
	c.ranges = map[*cacheEntry]struct{}{}
}

func (c *rangeCache) isArmed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armed
}

func (c *rangeCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// cacheID names a request by everything that shapes its answer. Whether
// it was serializable does not: a linearizable read's answer is a fine
// answer to a serializable one.
func cacheID(r *kv.RangeRequest) string {
	b := make([]byte, 0, 32+len(r.Key)+len(r.RangeEnd))
	b = binary.AppendUvarint(b, uint64(len(r.Key)))
	b = append(b, r.Key...)
	b = binary.AppendUvarint(b, uint64(len(r.RangeEnd)))
	b = append(b, r.RangeEnd...)
	for _, n := range []int64{r.Limit, int64(r.SortOrder), int64(r.SortTarget), r.MinModRevision, r.MaxModRevision, r.MinCreateRevision, r.MaxCreateRevision} {
		b = binary.AppendVarint(b, n)
	}
	var flags byte
	if r.KeysOnly {
		flags |= 1
	}
	if r.CountOnly {
		flags |= 2
	}
	return string(append(b, flags))
}

// interval is a key range as requests give it: one key (no end), the keys
// from start on (end "\x00"), or [start, end).
type interval struct {
	start, end    []byte
	single, toEnd bool
}

func newInterval(key, end []byte) interval {
	switch {
	case len(end) == 0:
		return interval{start: key, single: true}
	case len(end) == 1 && end[0] == 0:
		return interval{start: key, toEnd: true}
	}
	return interval{start: key, end: end}
}

func (i interval) contains(k []byte) bool {
	switch {
	case i.single:
		return bytes.Equal(k, i.start)
	case bytes.Compare(k, i.start) < 0:
		return false
	}
	return i.toEnd || bytes.Compare(k, i.end) < 0
}

func (i interval) intersects(o interval) bool {
	switch {
	case i.single:
		return o.contains(i.start)
	case o.single:
		return i.contains(o.start)
	}
	// Two proper ranges meet if each starts before the other ends.
	return (i.toEnd || bytes.Compare(o.start, i.end) < 0) && (o.toEnd || bytes.Compare(i.start, o.end) < 0)
}
