package sim

import (
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server"
)

// A watch client keeps one watch open, like client.Watch: on a random
// member, from the revision after the last one it has seen; when the
// stream breaks (the member crashed, was removed, or the client moves on
// to another member now and then) it resumes elsewhere from there. What it
// receives must be the committed history of its range, in order, without
// a gap or a repeat — across every reconnection (checkWatches).
type watchClient struct {
	id       int
	key, end []byte
	next     int64 // the first revision not received yet
	stream   *watchStream
	got      []kv.WatchResponse
	token    int
}

// watchStream is one open watch: the member-side Watcher and the client
// it delivers to. Responses leave in order (one TCP stream).
type watchStream struct {
	wc       *watchClient
	sl       *slot
	w        *kv.Watcher
	token    int
	lastSent Time
	closed   bool
}

func newWatchClient(s *memberSim, i int) *watchClient {
	wc := &watchClient{id: i, next: 1}
	if i%2 == 0 {
		wc.key, wc.end = []byte{0}, []byte{0} // every key
	} else {
		wc.key, wc.end = []byte("k"), []byte("l") // the clients' keys
	}
	return wc
}

// openWatch opens the client's watch on a random running member.
func (s *memberSim) openWatch(wc *watchClient) {
	wc.token++
	token := wc.token
	sl := s.slots[s.rng.IntN(len(s.slots))]
	s.after(s.netDelay(), func() {
		up := s.input(sl, func(m *server.Member) {
			w, _ := m.Store().Watch(kv.WatchRequest{Key: wc.key, RangeEnd: wc.end, StartRevision: wc.next})
			st := &watchStream{wc: wc, sl: sl, w: w, token: token}
			sl.streams = append(sl.streams, st)
			wc.stream = st
			s.pumpStream(st)
		})
		if !up {
			s.after(s.between(50*Millisecond, 300*Millisecond), func() { s.openWatch(wc) })
			return
		}
		// Move to another member now and then, to exercise resumption.
		s.after(s.between(2*Second, 8*Second), func() {
			if wc.token == token {
				s.closeStream(wc.stream)
				s.res.Stats.WatchReconnects++
				s.openWatch(wc)
			}
		})
	})
}

// pumpWatches delivers what the watchers on sl have queued.
func (s *memberSim) pumpWatches(sl *slot) {
	for _, st := range sl.streams {
		s.pumpStream(st)
	}
}

func (s *memberSim) pumpStream(st *watchStream) {
	for !st.closed {
		resp, ok := st.w.Next()
		if !ok {
			return
		}
		at := max(st.lastSent, s.now+st.sl.offset+s.netDelay())
		st.lastSent = at
		s.at(at, func() { s.watchReceive(st, resp) })
		if resp.Canceled {
			s.closeStream(st)
			return
		}
	}
}

// watchReceive is the client reading one response: it checks order at
// once; completeness and content are checked against the committed
// history at the end.
func (s *memberSim) watchReceive(st *watchStream, resp kv.WatchResponse) {
	wc := st.wc
	if wc.token != st.token {
		return // from a stream the client has left
	}
	if resp.Canceled {
		s.res.Stats.WatchReconnects++
		s.after(s.between(50*Millisecond, 300*Millisecond), func() { s.openWatch(wc) })
		return
	}
	if resp.ProgressNotify {
		return
	}
	rev := resp.Header.Revision
	if rev < wc.next {
		s.fail("watch %d: got revision %d from %s after revision %d (out of order or repeated)", wc.id, rev, st.sl.name, wc.next-1)
		return
	}
	for _, ev := range resp.Events {
		if ev.Kv.ModRevision != rev {
			s.fail("watch %d: an event of revision %d in the response for revision %d", wc.id, ev.Kv.ModRevision, rev)
			return
		}
	}
	wc.next = rev + 1
	wc.got = append(wc.got, resp)
	s.res.Stats.WatchEvents += len(resp.Events)
}

// closeStream ends a stream from the client's side.
func (s *memberSim) closeStream(st *watchStream) {
	if st == nil || st.closed {
		return
	}
	st.closed = true
	st.w.Cancel()
	sl := st.sl
	for i, x := range sl.streams {
		if x == st {
			sl.streams = append(sl.streams[:i], sl.streams[i+1:]...)
			break
		}
	}
}

// breakWatches is what a member's death does to its watch streams: they
// break, and each client resumes elsewhere once it notices.
func (s *memberSim) breakWatches(sl *slot) {
	for _, st := range sl.streams {
		st.closed = true
		wc := st.wc
		if wc.stream == st {
			wc.token++
			s.res.Stats.WatchReconnects++
			s.after(s.between(100*Millisecond, 500*Millisecond), func() { s.openWatch(wc) })
		}
	}
	sl.streams = nil
}
