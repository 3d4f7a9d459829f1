package kv

import (
	"cmp"
	"slices"
	"sync"
)

// WatchFilter drops one kind of event (etcd's WatchCreateRequest.FilterType).
type WatchFilter int32

// Watch filters, with etcd's numbers.
const (
	FilterNoPut    WatchFilter = 0
	FilterNoDelete WatchFilter = 1
)

// WatchRequest asks for the changes to a key or a range of keys (same range
// rules as RangeRequest) from StartRevision on (0: from the next write).
type WatchRequest struct {
	Key           []byte
	RangeEnd      []byte
	StartRevision int64
	PrevKv        bool
	Filters       []WatchFilter
}

// WatchResponse is one message for a watcher: the events of one revision, a
// progress notification, or a cancellation.
type WatchResponse struct {
	// Header.Revision is the revision of the events, or for a progress
	// notification the revision up to which everything has been delivered.
	Header ResponseHeader
	Events []Event
	// Canceled ends the watch. With CompactRevision set, the watcher needed
	// revisions that compaction has dropped (etcd's compacted cancel): the
	// client must start again from CompactRevision or later.
	Canceled        bool
	CompactRevision int64
	// ProgressNotify marks a progress notification, which carries no events.
	ProgressNotify bool
}

// Watcher receives the changes a WatchRequest asked for, without goroutines:
// the store queues responses as it applies writes, and the consumer pulls
// them with Next. Ready tells a consumer in another goroutine when to pull;
// a single-threaded simulator can just call Next after each step.
//
// Guarantees: events come in revision order, all events of one revision in
// one response, in the order the writes made them; none is skipped and none
// repeated. A consumer that stops pulling does not slow the writers and does
// not make the queue grow without bound: past WatchQueueLimit queued events
// the store stops queueing for it, and Next later reads what it missed from
// the history. If a compaction removes history it still needed, it gets a
// canceled response with the compaction's revision.
type Watcher struct {
	s        *Store
	id       int64
	kr       keyRange
	prevKV   bool
	noPut    bool
	noDelete bool
	ready    chan struct{}

	// The fields below are guarded by s.hub.mu.
	queue  []WatchResponse
	queued int // events in queue
	// synced: every revision before the current one has been queued (or did
	// not concern this watcher), and new writes are queued as they happen.
	// Otherwise next is the first revision to read from the history.
	synced   bool
	next     int64
	progress bool    // a progress notification was requested
	done     bool    // canceled; no longer in the hub
	pending  []Event // events of the revision being applied
}

// watchHub is the store's registry of watchers.
type watchHub struct {
	mu       sync.Mutex
	nextID   int64
	watchers []*Watcher            // every live watcher, by ascending id
	byKey    map[string][]*Watcher // single-key watchers, by key
	ranges   []*Watcher            // range watchers (a linear scan per change; an interval tree would scale further)
	touched  []*Watcher            // scratch for notify
}

func (h *watchHub) init() { h.byKey = map[string][]*Watcher{} }

// Watchers counts the live watchers (for metrics: a dashboard, or a test,
// can see when a client's watch stream is open).
func (s *Store) Watchers() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return len(s.hub.watchers)
}

// Watch registers a watcher. The returned header carries the current
// revision (etcd's "created" response).
func (s *Store) Watch(req WatchRequest) (*Watcher, ResponseHeader) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := &s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	w := &Watcher{
		s:      s,
		kr:     newKeyRange(req.Key, req.RangeEnd),
		prevKV: req.PrevKv,
		ready:  make(chan struct{}, 1),
	}
	// Keep the request's key bytes private to the watcher.
	w.kr.start, w.kr.end = slices.Clone(w.kr.start), slices.Clone(w.kr.end)
	for _, f := range req.Filters {
		w.noPut = w.noPut || f == FilterNoPut
		w.noDelete = w.noDelete || f == FilterNoDelete
	}
	hdr := ResponseHeader{Revision: s.rev}
	switch start := req.StartRevision; {
	case start > 0 && start < s.compactRev:
		w.cancelCompacted(s.compactRev)
		return w, hdr
	case start > 0 && start <= s.rev:
		w.next = start // replay history first
		w.poke()
	default:
		w.synced, w.next = true, max(start, s.rev+1)
	}
	h.nextID++
	w.id = h.nextID
	h.watchers = append(h.watchers, w)
	if w.kr.single {
		h.byKey[string(w.kr.start)] = append(h.byKey[string(w.kr.start)], w)
	} else {
		h.ranges = append(h.ranges, w)
	}
	return w, hdr
}

// Ready returns a channel that receives a value when Next may have something
// new. After it fires, call Next until it returns false.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// poke signals Ready without ever blocking (a pending signal is enough).
func (w *Watcher) poke() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// Next returns the next response for the watcher, or false if there is none
// for now. It reads the history when the watcher is behind.
func (w *Watcher) Next() (WatchResponse, bool) {
	s := w.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := &s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(w.queue) == 0 && !w.synced && !w.done {
		s.catchUp(w)
	}
	if len(w.queue) > 0 {
		resp := w.queue[0]
		w.queue[0] = WatchResponse{}
		w.queue = w.queue[1:]
		w.queued -= len(resp.Events)
		return resp, true
	}
	if w.progress && w.synced && !w.done {
		// Nothing is queued and nothing is missing: every event up to the
		// current revision has been delivered.
		w.progress = false
		return WatchResponse{Header: ResponseHeader{Revision: s.rev}, ProgressNotify: true}, true
	}
	return WatchResponse{}, false
}

// RequestProgress asks for a progress notification: once everything queued
// has been read, Next returns one carrying the current revision.
func (w *Watcher) RequestProgress() {
	h := &w.s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if !w.done {
		w.progress = true
		w.poke()
	}
}

// Cancel stops the watcher and drops what it has queued.
func (w *Watcher) Cancel() {
	h := &w.s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if w.done {
		return
	}
	w.done, w.queue, w.queued = true, nil, 0
	h.remove(w)
}

// cancelCompacted ends the watcher with etcd's compacted cancel. What was
// queued before stays and is delivered first.
func (w *Watcher) cancelCompacted(compactRev int64) {
	w.done = true
	w.queue = append(w.queue, WatchResponse{Canceled: true, CompactRevision: compactRev})
	w.poke()
}

func (h *watchHub) remove(w *Watcher) {
	if i, ok := slices.BinarySearchFunc(h.watchers, w.id, func(x *Watcher, id int64) int { return cmp.Compare(x.id, id) }); ok {
		h.watchers = slices.Delete(h.watchers, i, i+1)
	}
	if w.kr.single {
		k := string(w.kr.start)
		h.byKey[k] = slices.DeleteFunc(h.byKey[k], func(x *Watcher) bool { return x == w })
		if len(h.byKey[k]) == 0 {
			delete(h.byKey, k)
		}
	} else {
		h.ranges = slices.DeleteFunc(h.ranges, func(x *Watcher) bool { return x == w })
	}
}
