package kv

import "slices"

// notify queues the changes of a newly committed revision for the watchers
// that are synced and interested. It runs inside Apply, so it must be cheap
// and must never wait for a consumer.
func (h *watchHub) notify(s *Store, rev int64, changes []change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.watchers) == 0 {
		return
	}
	for _, c := range changes {
		for _, w := range h.byKey[string(c.ki.key)] {
			h.offer(w, rev, c)
		}
		for _, w := range h.ranges {
			if w.kr.contains(c.ki.key) {
				h.offer(w, rev, c)
			}
		}
	}
	for _, w := range h.touched {
		w.flush(rev, s.cfg.WatchQueueLimit)
	}
	clear(h.touched)
	h.touched = h.touched[:0]
}

// offer adds one change to w's events for the revision being applied.
func (h *watchHub) offer(w *Watcher, rev int64, c change) {
	if !w.synced || rev < w.next {
		return // catching up from history, or starting at a later revision
	}
	ev, keep := w.event(c.ki, c.version())
	if !keep {
		return
	}
	if len(w.pending) == 0 {
		h.touched = append(h.touched, w)
	}
	w.pending = append(w.pending, ev)
}

// flush queues w's events of revision rev as one response — unless the queue
// is already over its limit, in which case w stops being synced and will read
// this revision and the following ones from history when it is drained.
func (w *Watcher) flush(rev int64, limit int) {
	if w.queued > 0 && w.queued+len(w.pending) > limit {
		w.synced, w.next = false, rev
	} else {
		w.queue = append(w.queue, WatchResponse{Header: ResponseHeader{Revision: rev}, Events: w.pending})
		w.queued += len(w.pending)
		w.next = rev + 1
	}
	w.pending = nil
	w.poke()
}

// event builds the event for version v of ki's key as w wants it, and reports
// whether w's filters keep it.
func (w *Watcher) event(ki *keyIndex, v *version) (Event, bool) {
	ev := Event{Kv: v.keyValue(ki.key)}
	if v.tombstone() {
		ev.Type = EventDelete
	}
	if (ev.Type == EventPut && w.noPut) || (ev.Type == EventDelete && w.noDelete) {
		return Event{}, false
	}
	if w.prevKV {
		// As etcd: the previous value is the key as it was at the revision
		// before the change (if the history still has it).
		if p := ki.at(v.mod - 1); p != nil {
			kv := p.keyValue(ki.key)
			ev.PrevKv = &kv
		}
	}
	return ev, true
}

// catchUp reads the next batch of w's events from the history: whole
// revisions, from w.next on, until about WatchBatchLimit events are queued or
// w has reached the current revision — at which point it is synced again and
// gets live events. The caller holds s.mu (read) and s.hub.mu.
func (s *Store) catchUp(w *Watcher) {
	if w.next < s.compactRev {
		// Possible after Restore installed a newer, compacted state.
		w.cancelCompacted(s.compactRev)
		s.hub.remove(w)
		return
	}
	n := 0
	for ; w.next <= s.rev && n < s.cfg.WatchBatchLimit; w.next++ {
		var evs []Event
		for sub, k := range s.log.changes(w.next) {
			if !w.kr.contains(k) {
				continue
			}
			ki, ok := s.index.Get(k)
			if !ok {
				continue
			}
			if v := ki.find(w.next, int32(sub)); v != nil {
				if ev, keep := w.event(ki, v); keep {
					evs = append(evs, ev)
				}
			}
		}
		if len(evs) > 0 {
			w.queue = append(w.queue, WatchResponse{Header: ResponseHeader{Revision: w.next}, Events: evs})
			w.queued += len(evs)
			n += len(evs)
		}
	}
	if w.next > s.rev {
		w.synced = true
	}
}

// compacted cancels the watchers that still need history older than rev.
func (h *watchHub) compacted(rev int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range slices.Clone(h.watchers) {
		if !w.synced && w.next < rev {
			w.cancelCompacted(rev)
			h.remove(w)
		}
	}
}

// restored makes every watcher read from the history again after Restore
// replaced the state under it: what happened between the old and the new
// state reaches it as events, or, if compacted away, as a cancellation.
func (h *watchHub) restored(oldRev int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.watchers {
		if w.synced {
			w.synced, w.next = false, max(w.next, oldRev+1)
		}
		w.poke()
	}
}
