package proxy

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

var watchSeed = flag.Uint64("seed", 0, "the seed of TestRandomWatchesSeeEveryEventOnce (0: a new one)")

// randomWatcher is one client watch of the random test, with a sender that
// the test can hold (a client that stops reading) and release.
type randomWatcher struct {
	key, end string
	from     int64 // first revision it must see (known once created)
	stream   api.WatchStream

	mu       sync.Mutex
	gate     chan struct{} // closed: the client reads
	got      []string
	revs     []int64 // of got
	created  bool
	canceled bool
	// progress are the stream's progress answers: the revision, and how
	// many events had come before it.
	progress []progressSeen
	// dropped: the test canceled it.
	dropped bool
}

type progressSeen struct {
	rev    int64
	before int
}

func (w *randomWatcher) send(resp *api.WatchResponse) error {
	w.mu.Lock()
	gate := w.gate
	w.mu.Unlock()
	<-gate
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case resp.Created:
		w.created = true
		if w.from == 0 {
			w.from = resp.Header.Revision + 1
		}
	case resp.Canceled:
		w.canceled = true
	case resp.WatchID == -1:
		w.progress = append(w.progress, progressSeen{resp.Header.Revision, len(w.got)})
	}
	for _, e := range resp.Events {
		w.got = append(w.got, fmt.Sprintf("%s@%d", e.Kv.Key, e.Kv.ModRevision))
		w.revs = append(w.revs, e.Kv.ModRevision)
	}
	return nil
}

func (w *randomWatcher) hold() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.gate: // open: shut it
		w.gate = make(chan struct{})
	default: // held already
	}
}

func (w *randomWatcher) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.gate:
	default:
		close(w.gate)
	}
}

func (w *randomWatcher) covers(key string) bool {
	if w.end == "" {
		return key == w.key
	}
	return key >= w.key && key < w.end
}

// Watches created from now and from the past, on keys and on ranges, some
// of whose clients stop reading for a while, are joined, split, merged and
// rejoined by the hub as the writes go on: whatever it does, every watch
// sees exactly the writes of its range from its start revision, in order,
// once. The seed is printed; run with -seed to replay one.
func TestRandomWatchesSeeEveryEventOnce(t *testing.T) {
	seed := *watchSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (go test -run TestRandomWatchesSeeEveryEventOnce -seed %d ./proxy/ replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	p.queueLimit = 3 // so that a held client overflows its queue
	kvc := pb.NewKVClient(grpcConn(t, p.addr))

	keys := []string{"/rw/a", "/rw/b", "/rw/c"}
	type write struct {
		key string
		rev int64
	}
	var writes []write
	var watchers []*randomWatcher
	open := func(from int64) {
		w := &randomWatcher{gate: make(chan struct{}), from: from}
		close(w.gate)
		if rng.IntN(3) == 0 {
			w.key, w.end = "/rw/", "/rw0"
		} else {
			w.key = keys[rng.IntN(len(keys))]
		}
		stream, err := p.Watch(context.Background(), w.send)
		require.NoError(t, err)
		w.stream = stream
		req := &api.WatchCreateRequest{WatchRequest: kv.WatchRequest{Key: []byte(w.key), RangeEnd: []byte(w.end), StartRevision: from}}
		stream.Create(req)
		watchers = append(watchers, w)
	}
	t.Cleanup(func() {
		for _, w := range watchers {
			w.release()
			w.stream.Close()
		}
	})
	for step := range 150 {
		switch op := rng.IntN(10); {
		case op < 5 || len(writes) == 0:
			key := keys[rng.IntN(len(keys))]
			writes = append(writes, write{key, put(t, kvc, key, fmt.Sprint(step))})
		case op < 7:
			from := int64(0)
			if rng.IntN(2) == 0 {
				from = writes[rng.IntN(len(writes))].rev // from the past
			}
			open(from)
		case op < 8 && len(watchers) > 0:
			watchers[rng.IntN(len(watchers))].hold()
		case op < 9 && len(watchers) > 0:
			w := watchers[rng.IntN(len(watchers))]
			switch {
			case rng.IntN(4) == 0:
				w.stream.Cancel(0) // each stream holds one watch, ID 0
				w.mu.Lock()
				w.dropped = true
				w.mu.Unlock()
			default:
				w.stream.RequestProgress()
			}
		default:
			for _, w := range watchers {
				if rng.IntN(2) == 0 {
					w.release()
				}
			}
		}
	}
	for _, w := range watchers {
		w.release()
	}
	// The last write of every key, which every watch of it must reach.
	for _, key := range keys {
		writes = append(writes, write{key, put(t, kvc, key, "last")})
	}
	for i, w := range watchers {
		var want []string
		w.mu.Lock()
		from, dropped := w.from, w.dropped
		w.mu.Unlock()
		if dropped {
			continue
		}
		for _, wr := range writes {
			if w.covers(wr.key) && wr.rev >= from {
				want = append(want, fmt.Sprintf("%s@%d", wr.key, wr.rev))
			}
		}
		assert.Eventually(t, func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return len(w.got) >= len(want) || w.canceled
		}, waitFor, pollEvery, "watch %d (%s %s from %d) to see %d events", i, w.key, w.end, from, len(want))
		w.mu.Lock()
		require.False(t, w.canceled, "watch %d was canceled", i)
		got, revs, progress := slices.Clone(w.got), slices.Clone(w.revs), slices.Clone(w.progress)
		w.mu.Unlock()
		require.True(t, slices.Equal(want, got), "watch %d (%s %s from %d), seed %d:\nwant %s\n got %s",
			i, w.key, w.end, from, seed, strings.Join(want, " "), strings.Join(got, " "))
		// A progress answer at P came after every event up to P.
		for _, pr := range progress {
			for j, rev := range revs {
				require.False(t, rev <= pr.rev && j >= pr.before, "watch %d (%s %s from %d): event %s came after the progress answer at %d (%d events before it), seed %d\ngot %s",
					i, w.key, w.end, from, got[j], pr.rev, pr.before, seed, strings.Join(got, " "))
			}
		}
	}
	t.Logf("%d watches, %d writes; the hub now holds %+v", len(watchers), len(writes), p.hub.stats())
}
