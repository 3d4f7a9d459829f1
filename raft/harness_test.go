package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// testCluster is a tiny, perfectly deterministic network of nodes for unit
// tests: storage is memory, "persisting" is appending to it, and messages
// are delivered in FIFO order unless a test holds or drops them. The
// simulator in package sim does the same with faults and a virtual clock.
type testCluster struct {
	t     testing.TB
	ids   []uint64
	nodes map[uint64]*testNode
	queue []Message
	// blocked[from][to] drops messages on that link.
	blocked map[[2]uint64]bool
	// hold, if set, is asked about each message; true parks it in held.
	hold func(m Message) bool
	held []Message
	cfg  func(c *Config)
}

type testNode struct {
	id      uint64
	node    *Node
	storage *MemoryStorage
	applied []Entry
	reads   []ReadIndexResult
	stopped bool
}

type clusterOption func(c *Config)

func withoutPreVote(c *Config)     { c.DisablePreVote = true }
func withoutCheckQuorum(c *Config) { c.DisableCheckQuorum = true }

func newTestCluster(t testing.TB, n int, opts ...clusterOption) *testCluster {
	t.Helper()
	var changes []ConfChange
	c := &testCluster{t: t, nodes: map[uint64]*testNode{}, blocked: map[[2]uint64]bool{}}
	for i := 1; i <= n; i++ {
		c.ids = append(c.ids, uint64(i))
		changes = append(changes, ConfChange{Type: ConfChangeAddVoter, NodeID: uint64(i)})
	}
	c.cfg = func(cfg *Config) {
		for _, o := range opts {
			o(cfg)
		}
	}
	ents, hs, err := BootstrapLog(changes)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range c.ids {
		ms := NewMemoryStorage()
		if err := ms.Append(ents); err != nil {
			t.Fatal(err)
		}
		_ = ms.SetHardState(hs)
		c.nodes[id] = &testNode{id: id, storage: ms}
		c.start(id, 0)
	}
	c.stabilize()
	return c
}

// addNode creates an empty node (to be added by a configuration change).
func (c *testCluster) addNode(id uint64) {
	c.ids = append(c.ids, id)
	c.nodes[id] = &testNode{id: id, storage: NewMemoryStorage()}
	c.start(id, 0)
}

func (c *testCluster) start(id uint64, applied uint64) {
	tn := c.nodes[id]
	cfg := Config{
		ID: id, ElectionTick: 10, HeartbeatTick: 1, Storage: tn.storage,
		Applied: applied, Rand: rand.New(rand.NewPCG(id, 42)),
	}
	c.cfg(&cfg)
	n, err := NewNode(cfg)
	if err != nil {
		c.t.Fatalf("node %d: %v", id, err)
	}
	tn.node = n
	tn.stopped = false
}

// crash stops a node: everything not in its storage is lost.
func (c *testCluster) crash(id uint64) { c.nodes[id].stopped = true }

// restart brings a crashed node back from its storage.
func (c *testCluster) restart(id uint64) {
	tn := c.nodes[id]
	var applied uint64
	if n := len(tn.applied); n > 0 {
		applied = tn.applied[n-1].Index
	}
	if s, _ := tn.storage.Snapshot(); s.Meta.Index > applied {
		applied = s.Meta.Index
	}
	c.start(id, applied)
}

// processReady does what a member does with a Ready, with no faults.
func (c *testCluster) processReady(id uint64) bool {
	tn := c.nodes[id]
	if tn.stopped || !tn.node.HasReady() {
		return false
	}
	rd := tn.node.Ready()
	c.queue = append(c.queue, rd.Messages...)
	c.handleReady(id, rd)
	c.queue = append(c.queue, rd.MessagesAfterPersist...)
	return true
}

// handleReady persists rd, applies its committed entries and advances the
// node; sending rd's messages is left to the caller.
func (c *testCluster) handleReady(id uint64, rd Ready) {
	tn := c.nodes[id]
	if !rd.Snapshot.IsEmpty() {
		if err := tn.storage.ApplySnapshot(rd.Snapshot); err != nil {
			c.t.Fatalf("node %d: apply snapshot: %v", id, err)
		}
		tn.applied = append(tn.applied[:0], Entry{Index: rd.Snapshot.Meta.Index, Term: rd.Snapshot.Meta.Term})
	}
	if err := tn.storage.Append(rd.Entries); err != nil {
		c.t.Fatalf("node %d: append: %v", id, err)
	}
	if !rd.HardState.IsEmpty() {
		_ = tn.storage.SetHardState(rd.HardState)
	}
	tn.applied = append(tn.applied, rd.CommittedEntries...)
	tn.reads = append(tn.reads, rd.ReadIndexResults...)
	tn.node.Advance(rd)
}

// stepReady delivers m to its recipient alone, ignoring the network, and
// handles the Ready that results like processReady — except that the
// messages it sends are returned in it, not delivered, for the test to look
// at. The Ready is empty if the step produced nothing to do.
func (c *testCluster) stepReady(m Message) Ready {
	c.t.Helper()
	tn := c.nodes[m.To]
	if err := tn.node.Step(m); err != nil {
		c.t.Fatalf("node %d: step %v: %v", m.To, m, err)
	}
	if !tn.node.HasReady() {
		return Ready{}
	}
	rd := tn.node.Ready()
	c.handleReady(m.To, rd)
	return rd
}

// sent returns the messages of rd, both those that may leave at once and
// those that wait for persistence.
func sent(rd Ready) []Message {
	return append(slices.Clone(rd.Messages), rd.MessagesAfterPersist...)
}

// tickUntil ticks every running node until cond holds, failing after a
// bound of 500 ticks.
func (c *testCluster) tickUntil(what string, cond func() bool) {
	c.t.Helper()
	for range 500 {
		if cond() {
			return
		}
		c.tickAll(1)
	}
	c.t.Fatalf("after 500 ticks, still waiting for %s", what)
}

// stabilize processes Readies and delivers messages until nothing moves.
func (c *testCluster) stabilize() {
	for round := 0; ; round++ {
		if round > 10000 {
			c.t.Fatal("cluster did not stabilize")
		}
		progressed := false
		for _, id := range c.ids {
			for c.processReady(id) {
				progressed = true
			}
		}
		if len(c.queue) > 0 {
			progressed = true
			msgs := c.queue
			c.queue = nil
			for _, m := range msgs {
				c.deliver(m)
			}
		}
		if !progressed {
			return
		}
	}
}

func (c *testCluster) deliver(m Message) {
	to := c.nodes[m.To]
	if to == nil || to.stopped || c.nodes[m.From] == nil || c.nodes[m.From].stopped {
		return
	}
	if c.blocked[[2]uint64{m.From, m.To}] {
		return
	}
	if c.hold != nil && c.hold(m) {
		c.held = append(c.held, m)
		return
	}
	if err := to.node.Step(m); err != nil {
		c.t.Logf("node %d: step %v: %v", m.To, m, err)
	}
}

// releaseHeld delivers parked messages that match keep (all if nil).
func (c *testCluster) releaseHeld(keep func(Message) bool) {
	var rest []Message
	held := c.held
	c.held = nil
	hold := c.hold
	c.hold = nil
	for _, m := range held {
		if keep == nil || keep(m) {
			c.deliver(m)
		} else {
			rest = append(rest, m)
		}
	}
	c.held = rest
	c.hold = hold
}

func (c *testCluster) isolate(id uint64) {
	for _, other := range c.ids {
		if other != id {
			c.blocked[[2]uint64{id, other}] = true
			c.blocked[[2]uint64{other, id}] = true
		}
	}
}

func (c *testCluster) cut(a, b uint64) {
	c.blocked[[2]uint64{a, b}] = true
	c.blocked[[2]uint64{b, a}] = true
}

// drop blocks messages from one node to another, in that direction only.
func (c *testCluster) drop(from, to uint64) { c.blocked[[2]uint64{from, to}] = true }

func (c *testCluster) heal() { c.blocked = map[[2]uint64]bool{} }

// tickAll ticks every running node n times, stabilizing after each tick.
func (c *testCluster) tickAll(n int) {
	for range n {
		for _, id := range c.ids {
			if !c.nodes[id].stopped {
				c.nodes[id].node.Tick()
			}
		}
		c.stabilize()
	}
}

func (c *testCluster) tick(id uint64, n int) {
	for range n {
		c.nodes[id].node.Tick()
		c.stabilize()
	}
}

// campaign makes id start an election and runs the cluster until quiet.
func (c *testCluster) campaign(id uint64) {
	if err := c.nodes[id].node.Campaign(); err != nil {
		c.t.Fatalf("node %d campaign: %v", id, err)
	}
	c.stabilize()
}

func (c *testCluster) status(id uint64) Status { return c.nodes[id].node.Status() }

// leaders returns the nodes that believe they lead, with their terms.
func (c *testCluster) leaders() map[uint64]uint64 {
	out := map[uint64]uint64{}
	for _, id := range c.ids {
		if tn := c.nodes[id]; !tn.stopped {
			if st := tn.node.Status(); st.State == StateLeader {
				out[id] = st.Term
			}
		}
	}
	return out
}

// leader returns the unique leader among running nodes, failing otherwise.
func (c *testCluster) leader() uint64 {
	c.t.Helper()
	ls := c.leaders()
	if len(ls) != 1 {
		c.t.Fatalf("want exactly one leader, have %v", ls)
	}
	for id := range ls {
		return id
	}
	return 0
}

// waitLeader ticks until exactly one running node leads (bounded).
func (c *testCluster) waitLeader(among ...uint64) uint64 {
	c.t.Helper()
	for range 50 * 10 {
		ls := c.leaders()
		if len(ls) == 1 {
			for id := range ls {
				if len(among) == 0 || slices.Contains(among, id) {
					return id
				}
			}
		}
		c.tickAll(1)
	}
	c.t.Fatalf("no leader emerged; leaders=%v", c.leaders())
	return 0
}

func (c *testCluster) propose(id uint64, data string) {
	c.t.Helper()
	if _, err := c.nodes[id].node.Propose([]byte(data)); err != nil {
		c.t.Fatalf("node %d propose %q: %v", id, data, err)
	}
	c.stabilize()
}

// appliedData returns the non-empty normal entries a node applied.
func (c *testCluster) appliedData(id uint64) []string {
	var out []string
	for _, e := range c.nodes[id].applied {
		if e.Type == EntryNormal && len(e.Data) > 0 {
			out = append(out, string(e.Data))
		}
	}
	return out
}

// logTerms returns the terms of a node's whole log, for comparing logs.
func (c *testCluster) logTerms(id uint64) string {
	ms := c.nodes[id].storage
	first, _ := ms.FirstIndex()
	last, _ := ms.LastIndex()
	s := fmt.Sprintf("[%d..%d]", first, last)
	for i := first; i <= last; i++ {
		t, _ := ms.Term(i)
		s += fmt.Sprintf(" %d", t)
	}
	return s
}
