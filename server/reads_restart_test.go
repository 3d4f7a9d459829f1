package server

import (
	"testing"
	"time"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
)

// A follower's read asks the leader for a read index with a context that
// names the request; the answer is matched to the read by that context. A
// follower that crashed with a request out and restarted must not take the
// old request's answer, still on its way, for its new read's: the old
// answer's index predates writes the new read must see. With contexts that
// started from 1 in every life of the member, the restarted follower served
// its first read at the old index and returned a value that had already
// been overwritten — a stale read.
func TestReadIndex_ARestartedFollowerIgnoresAnAnswerMeantForItsPreviousLife(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	c.put(lead, "k", "old")
	f := c.followers(lead)[0]
	fName := c.byID[f.ID()]

	// step processes every member and delivers what they sent, except the
	// messages that keep returns false for (which it may hold on to).
	step := func(keep func(raft.Message) bool) {
		t.Helper()
		for range 20 {
			for _, name := range c.names {
				if m := c.members[name]; m != nil {
					if err := m.Process(); err != nil {
						t.Fatal(err)
					}
				}
			}
			msgs := c.queue
			c.queue = nil
			for _, msg := range msgs {
				if m := c.members[c.byID[msg.To]]; m != nil && keep(msg) {
					m.Step(msg)
				}
			}
		}
	}

	// The follower asks for a read index; the leader answers, and the
	// answer is held on the way back.
	f.ReadBarrier(true, c.now.Add(5*time.Second), func(error) {})
	var held []raft.Message
	step(func(msg raft.Message) bool {
		if msg.Type == raft.MsgReadIndexResp && msg.To == f.ID() {
			held = append(held, msg)
			return false
		}
		return true
	})
	if len(held) == 0 {
		t.Fatal("the leader never answered the follower's read index request")
	}

	// The follower crashes and restarts, and hears the leader's
	// heartbeats again — but not its appends, so it misses an overwrite.
	c.crash(fName)
	c.start(fName)
	f = c.members[fName]
	noAppendsToF := func(msg raft.Message) bool {
		return !(msg.To == f.ID() && (msg.Type == raft.MsgApp || msg.Type == raft.MsgSnap))
	}
	for range 5 {
		c.now = c.now.Add(100 * time.Millisecond)
		for _, name := range c.names {
			c.members[name].Tick()
		}
		step(noAppendsToF)
	}
	if lead, _ := f.Leader(); lead == 0 {
		t.Fatal("the restarted follower does not know the leader")
	}
	var res *Result
	lead.Write(&kv.Request{Put: &kv.PutRequest{Key: []byte("k"), Value: []byte("new")}}, c.now.Add(5*time.Second), func(r Result) { res = &r })
	step(noAppendsToF)
	if res == nil || res.Err != nil {
		t.Fatalf("overwrite: %+v", res)
	}
	if got, _ := f.Store().Range(&kv.RangeRequest{Key: []byte("k")}); len(got.Kvs) != 1 || string(got.Kvs[0].Value) != "old" {
		t.Fatalf("the restarted follower should still have the old value (it missed the overwrite), has %+v", got.Kvs)
	}

	// Its new read asks the leader again, and that request is lost; the
	// old answer arrives instead.
	passed := false
	f.ReadBarrier(true, c.now.Add(5*time.Second), func(err error) { passed = err == nil })
	if err := f.Process(); err != nil {
		t.Fatal(err)
	}
	c.queue = nil
	for _, msg := range held {
		f.Step(msg)
	}
	if err := f.Process(); err != nil {
		t.Fatal(err)
	}
	if passed {
		v, _ := f.Store().Range(&kv.RangeRequest{Key: []byte("k")})
		t.Fatalf("the restarted follower served a read with its previous life's read index: it would read %q after \"new\" was acknowledged", v.Kvs[0].Value)
	}

	// Once it hears from the leader again, the read completes, and sees the overwrite.
	if v, _ := c.get(f, "k"); v != "new" {
		t.Fatalf("read after healing: %q, want \"new\"", v)
	}
}
