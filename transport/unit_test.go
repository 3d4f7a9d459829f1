package transport

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/raft"
)

func TestQueueIsBoundedAndSwaps(t *testing.T) {
	q := newQueue(3)
	for i := range 3 {
		if !q.push(heartbeat(1, 2, uint64(i))) {
			t.Fatalf("push %d refused below the limit", i)
		}
	}
	if q.push(heartbeat(1, 2, 3)) {
		t.Fatalf("push past the limit accepted")
	}
	select {
	case <-q.ready:
	default:
		t.Fatalf("no wake-up token after the first push")
	}
	spare := make([]raft.Message, 0, 3)
	got := q.swap(spare)
	if len(got) != 3 || got[2].ReadRound != 2 {
		t.Fatalf("swap returned %v", got)
	}
	if !q.push(heartbeat(1, 2, 4)) {
		t.Fatalf("push refused after the queue was drained")
	}
	select {
	case <-q.ready:
	default:
		t.Fatalf("no wake-up token for the push that made the queue non-empty")
	}
	if got = recycle(got); len(got) != 0 || cap(got) < 3 {
		t.Fatalf("recycle returned len %d cap %d, want an empty slice with room", len(got), cap(got))
	}
}

func TestBackoffDoublesToTheCapWithJitter(t *testing.T) {
	newBO := func() backoff {
		return newBackoff(10*time.Millisecond, 80*time.Millisecond, rand.New(rand.NewPCG(1, 2)))
	}
	b := newBO()
	steps := []time.Duration{10, 20, 40, 80, 80, 80}
	var got []time.Duration
	for _, step := range steps {
		step *= time.Millisecond
		d := b.next()
		if d < step/2 || d > step {
			t.Fatalf("wait %v outside [%v, %v]", d, step/2, step)
		}
		got = append(got, d)
	}
	b.reset()
	if d := b.next(); d > 10*time.Millisecond {
		t.Fatalf("after reset, wait %v", d)
	}
	// The same seed gives the same schedule: a test can replay it.
	b2 := newBO()
	for i, want := range got {
		if d := b2.next(); d != want {
			t.Fatalf("wait %d: %v, then %v with the same seed", i, want, d)
		}
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	cfg, err := Config{ClusterID: 1, LocalID: 2, Handler: newRecorder()}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QueueSize != 4096 || cfg.MaxFrameBytes != 32<<20 || cfg.PingInterval != time.Second || cfg.Logger == nil {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{ClusterID: 1, Handler: newRecorder()}, "LocalID"},
		{Config{LocalID: 1, Handler: newRecorder()}, "ClusterID"},
		{Config{ClusterID: 1, LocalID: 2}, "Handler"},
		{Config{ClusterID: 1, LocalID: 2, Handler: newRecorder(), PingInterval: time.Minute}, "IdleTimeout"},
		{Config{ClusterID: 1, LocalID: 2, Handler: newRecorder(), QueueSize: -1}, "negative"},
		{Config{ClusterID: 1, LocalID: 2, Handler: newRecorder(), BackoffMin: time.Hour}, "BackoffMax"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error about %s", tc.cfg, err, tc.want)
		}
	}
}

func TestLogLimiter(t *testing.T) {
	l := logLimiter{every: time.Minute}
	now := time.Now()
	if !l.allow("a", now) || l.allow("a", now.Add(time.Second)) || !l.allow("b", now) {
		t.Fatalf("limiter allowed the wrong lines")
	}
	if !l.allow("a", now.Add(2*time.Minute)) {
		t.Fatalf("limiter never forgets")
	}
}
