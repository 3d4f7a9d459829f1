package raftbench

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"testing"

	ours "github.com/raftkv/raftkv/raft"
	etcd "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Both drivers do the same work per round: propose a batch at the leader,
// then loop — take each node's Ready, append its entries and hard state to
// its MemoryStorage, deliver its messages, Advance — until nothing moves.

type oursCluster struct {
	nodes    []*ours.Node
	storages []*ours.MemoryStorage
	queue    []ours.Message
}

func newOurs(b *testing.B) *oursCluster {
	var changes []ours.ConfChange
	for i := 1; i <= 3; i++ {
		changes = append(changes, ours.ConfChange{Type: ours.ConfChangeAddVoter, NodeID: uint64(i)})
	}
	ents, hs, _ := ours.BootstrapLog(changes)
	c := &oursCluster{}
	for i := 1; i <= 3; i++ {
		ms := ours.NewMemoryStorage()
		_ = ms.Append(ents)
		_ = ms.SetHardState(hs)
		n, err := ours.NewNode(ours.Config{ID: uint64(i), ElectionTick: 10, HeartbeatTick: 1, Storage: ms,
			Rand: rand.New(rand.NewPCG(uint64(i), 1))})
		if err != nil {
			b.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
		c.storages = append(c.storages, ms)
	}
	c.stabilize()
	_ = c.nodes[0].Campaign()
	c.stabilize()
	return c
}

func (c *oursCluster) stabilize() {
	for {
		moved := false
		for i, n := range c.nodes {
			for n.HasReady() {
				moved = true
				rd := n.Ready()
				c.queue = append(c.queue, rd.Messages...)
				_ = c.storages[i].Append(rd.Entries)
				if !rd.HardState.IsEmpty() {
					_ = c.storages[i].SetHardState(rd.HardState)
				}
				c.queue = append(c.queue, rd.MessagesAfterPersist...)
				n.Advance(rd)
			}
		}
		if len(c.queue) == 0 && !moved {
			return
		}
		msgs := c.queue
		c.queue = nil
		for _, m := range msgs {
			_ = c.nodes[m.To-1].Step(m)
		}
	}
}

type etcdCluster struct {
	nodes    []*etcd.RawNode
	storages []*etcd.MemoryStorage
	queue    []*raftpb.Message
}

func newEtcd(b *testing.B) *etcdCluster {
	peers := []etcd.Peer{{ID: 1}, {ID: 2}, {ID: 3}}
	c := &etcdCluster{}
	for i := 1; i <= 3; i++ {
		ms := etcd.NewMemoryStorage()
		n, err := etcd.NewRawNode(&etcd.Config{ID: uint64(i), ElectionTick: 10, HeartbeatTick: 1, Storage: ms,
			MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, PreVote: true, CheckQuorum: true,
			Logger: &etcd.DefaultLogger{Logger: log.New(io.Discard, "", 0)}})
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Bootstrap(peers); err != nil {
			b.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
		c.storages = append(c.storages, ms)
	}
	c.stabilize()
	_ = c.nodes[0].Campaign()
	c.stabilize()
	return c
}

func (c *etcdCluster) stabilize() {
	for {
		moved := false
		for i, n := range c.nodes {
			for n.HasReady() {
				moved = true
				rd := n.Ready()
				_ = c.storages[i].Append(rd.Entries)
				if rd.HardState != nil && !etcd.IsEmptyHardState(rd.HardState) {
					_ = c.storages[i].SetHardState(rd.HardState)
				}
				c.queue = append(c.queue, rd.Messages...)
				for _, e := range rd.CommittedEntries {
					if e.GetType() == raftpb.EntryType_EntryConfChange {
						cc := &raftpb.ConfChange{}
						_ = proto.Unmarshal(e.GetData(), cc)
						n.ApplyConfChange(cc)
					}
				}
				n.Advance(rd)
			}
		}
		if len(c.queue) == 0 && !moved {
			return
		}
		msgs := c.queue
		c.queue = nil
		for _, m := range msgs {
			_ = c.nodes[m.GetTo()-1].Step(m)
		}
	}
}

// BenchmarkPropose3Nodes reports entries committed per second for raftkv's
// raft and etcd's raft side by side, for 128-byte and 1 KiB entries, one
// proposal per round (latency-bound) and 64 per round (throughput-bound).
func BenchmarkPropose3Nodes(b *testing.B) {
	for _, size := range []int{128, 1024} {
		for _, batch := range []int{1, 64} {
			data := make([]byte, size)
			name := fmt.Sprintf("size=%d/batch=%d", size, batch)
			b.Run("raftkv/"+name, func(b *testing.B) {
				c := newOurs(b)
				run(b, batch, func() error { _, err := c.nodes[0].Propose(data); return err }, c.stabilize)
			})
			b.Run("etcd/"+name, func(b *testing.B) {
				c := newEtcd(b)
				run(b, batch, func() error { return c.nodes[0].Propose(data) }, c.stabilize)
			})
		}
	}
}

func run(b *testing.B, batch int, propose func() error, stabilize func()) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := propose(); err != nil {
			b.Fatal(err)
		}
		n++
		if n%batch == 0 {
			stabilize()
		}
	}
	stabilize()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
}
