package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client"
	"github.com/stretchr/testify/require"
)

// The chaos test is the member-level simulator's check run on real
// processes, real disks and real sockets, which the simulator replaces: the
// production shell (goroutines, HTTP, fsync) under kill -9 and SIGSTOP.
// `make test` runs it briefly; `make chaos` for longer.
var (
	chaosDuration = flag.Duration("chaos.duration", 8*time.Second, "how long TestProcess_Chaos injects faults")
	chaosSeed     = flag.Uint64("chaos.seed", 0, "seed of TestProcess_Chaos's faults (0: from the clock)")
)

// Clients increment a counter with compare-and-swap transactions that each
// also create a unique ack key, while members are killed (-9) and restarted
// or stopped (SIGSTOP) and resumed at random. Afterwards every acknowledged
// ack key must be there, the counter must equal the number of ack keys (no
// transaction half applied), and every member must hold the same history.
//
// A compare-and-swap applied twice cannot be seen: the second application
// finds the counter moved and does nothing. So other clients put blindly,
// each to a key of its own, with no comparison: every put applied bumps the
// key's Version, and a put applied twice (a proposal retried by a member,
// an entry replayed after a restart) leaves the Version above the number
// of puts sent (blindPuts.check).
func TestProcess_Chaos(t *testing.T) {
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	// The seed fixes which faults come in which order; their timing is the
	// wall clock's, so a re-run is similar, not identical.
	t.Logf("chaos seed %d (the same faults again: go test ./cmd/raftkv -run Chaos -chaos.seed %d -chaos.duration %v)", seed, seed, *chaosDuration)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := newProcCluster(t, 3, "--snapshot-count", "200", "--snapshot-catchup-entries", "50")
	ctx := context.Background()
	admin := c.client()
	if _, err := admin.Put(ctx, "counter", "0"); err != nil {
		t.Fatal(err)
	}

	var acked sync.Map
	var nAcked, nUnknown atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		eps := c.endpoints()
		cl := c.client(eps[w%3], eps[(w+1)%3], eps[(w+2)%3])
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				g, err := cl.Get(ctx, "counter")
				if err != nil || len(g.Kvs) == 0 {
					continue // the client has already waited out its timeout
				}
				v, _ := strconv.Atoi(string(g.Kvs[0].Value))
				ack := fmt.Sprintf("ack/%d/%d", w, i)
				r, err := cl.Txn(ctx).If(client.Compare(client.ModRevision("counter"), "=", g.Kvs[0].ModRevision)).
					Then(client.OpPut("counter", strconv.Itoa(v+1)), client.OpPut(ack, "1")).Commit()
				switch {
				case err != nil:
					nUnknown.Add(1) // may or may not have happened
				case r.Succeeded:
					acked.Store(ack, true)
					nAcked.Add(1)
				}
			}
		})
	}

	blind := make([]blindPuts, 2)
	for w := range blind {
		blind[w].key = fmt.Sprintf("blind/%d", w)
		eps := c.endpoints()
		cl := c.client(eps[w%3], eps[(w+1)%3], eps[(w+2)%3])
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := cl.Put(ctx, blind[w].key, strconv.Itoa(i)); err != nil {
					blind[w].unknown++ // may or may not have happened
				} else {
					blind[w].acked++
				}
			}
		})
	}

	// Faults are paced by the wall clock: they are what happens to the
	// processes, not something the test waits for.
	pace := func(lo, hi int) { <-time.After(time.Duration(lo+rng.IntN(hi-lo)) * time.Millisecond) }
	faults := 0
	for end := time.Now().Add(*chaosDuration); time.Now().Before(end); faults++ {
		pace(300, 1500)
		m := c.members[rng.IntN(len(c.members))]
		if rng.IntN(3) < 2 {
			c.kill(m)
			pace(100, 1200)
			c.start(m, "new")
		} else {
			m.cmd.Process.Signal(syscall.SIGSTOP)
			pace(300, 2000)
			m.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	close(stop)
	wg.Wait()
	c.waitHealthy()

	var present map[string]bool
	var counter int
	versions := map[string]int64{}
	require.Eventually(t, func() bool {
		g, err := admin.Get(ctx, "ack/", client.WithPrefix())
		if err != nil {
			return false
		}
		cnt, err := admin.Get(ctx, "counter")
		if err != nil {
			return false
		}
		b, err := admin.Get(ctx, "blind/", client.WithPrefix())
		if err != nil {
			return false
		}
		present = map[string]bool{}
		for _, kv := range g.Kvs {
			present[string(kv.Key)] = true
		}
		counter, _ = strconv.Atoi(string(cnt.Kvs[0].Value))
		for _, kv := range b.Kvs {
			versions[string(kv.Key)] = kv.Version
		}
		return true
	}, 30*time.Second, pollEvery, "a final read")
	acked.Range(func(k, _ any) bool {
		if !present[k.(string)] {
			t.Errorf("seed %d: acknowledged transaction %s is lost", seed, k)
		}
		return true
	})
	if counter != len(present) {
		t.Errorf("seed %d: counter %d but %d ack keys: a transaction applied in part or twice", seed, counter, len(present))
	}
	for _, b := range blind {
		if err := b.check(versions[b.key]); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
		if b.acked < 10 {
			t.Errorf("seed %d: only %d puts to %s acknowledged: the cluster made no progress under faults", seed, b.acked, b.key)
		}
	}
	if nAcked.Load() < 10 {
		t.Errorf("seed %d: only %d transactions acknowledged: the cluster made no progress under faults", seed, nAcked.Load())
	}
	require.Eventually(t, func() bool {
		var first uint32
		for i, ep := range c.endpoints() {
			h, err := admin.HashKV(ctx, ep, 0)
			if err != nil || (i > 0 && h.Hash != first) {
				return false
			}
			first = h.Hash
		}
		return true
	}, 30*time.Second, pollEvery, "every member to hold the same history")
	t.Logf("%d faults; %d transactions acknowledged, %d of unknown outcome; counter %d", faults, nAcked.Load(), nUnknown.Load(), counter)
	for _, b := range blind {
		t.Logf("%s: %d puts acknowledged, %d of unknown outcome; Version %d", b.key, b.acked, b.unknown, versions[b.key])
	}
}

// blindPuts counts one client's puts to its own key by outcome.
type blindPuts struct {
	key            string
	acked, unknown int64
}

// check compares the puts with the key's Version, which counts the puts
// applied since the key was created (the test never deletes it). Each
// acknowledged put was applied once, so the Version is at least their
// number; each put of unknown outcome was applied once or not at all, so
// it is at most that number plus theirs. A put applied twice, and not
// hidden by the slack of the unknown ones, lands above.
func (b blindPuts) check(version int64) error {
	switch {
	case version < b.acked:
		return fmt.Errorf("%s: %d puts acknowledged, but its Version is %d: an acknowledged put is lost", b.key, b.acked, version)
	case version > b.acked+b.unknown:
		return fmt.Errorf("%s: Version %d, but only %d puts could have been applied (%d acknowledged, %d of unknown outcome): a put was applied twice",
			b.key, version, b.acked+b.unknown, b.acked, b.unknown)
	}
	return nil
}

// The blind-put check can fail: on a history where a put was applied
// twice, and where one was lost.
func TestBlindPutsCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       blindPuts
		version int64
		want    string // in the error; "" for none
	}{
		{"every put applied once", blindPuts{"k", 5, 0}, 5, ""},
		{"unknown ones applied", blindPuts{"k", 5, 2}, 7, ""},
		{"unknown ones not applied", blindPuts{"k", 5, 2}, 5, ""},
		{"an acknowledged put applied twice", blindPuts{"k", 5, 0}, 6, "applied twice"},
		{"applied twice beyond the unknown ones", blindPuts{"k", 5, 2}, 8, "applied twice"},
		{"an acknowledged put lost", blindPuts{"k", 5, 3}, 4, "is lost"},
	} {
		err := tc.b.check(tc.version)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
