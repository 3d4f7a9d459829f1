package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/raftkv/raftkv/raft"
)

// A raft node's life: bootstrap, start from what is durable, crash (losing
// or tearing the write in flight), restart, and compact its log.

// simNode is one raft node with its "disk" (the MemoryStorage holds exactly
// what was made durable) and its state machine (a hash chain of applied
// entries).
type simNode struct {
	idx         int
	id          uint64
	up          bool
	incarnation int
	node        *raft.Node
	storage     *raft.MemoryStorage
	// inflight is a Ready whose disk write has not completed.
	inflight    *raft.Ready
	applied     uint64
	stateHash   uint64
	lastCommit  uint64
	lastTerm    uint64
	wasLeaderIn uint64 // term in which leader completeness was last checked
	role        raft.StateType
	waitingRead []string
}

func (s *raftSim) bootstrap() error {
	var changes []raft.ConfChange
	for i := range s.cfg.Nodes {
		changes = append(changes, raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: uint64(i + 1)})
	}
	ents, hs, err := raft.BootstrapLog(changes)
	if err != nil {
		return err
	}
	for i := range s.cfg.Nodes {
		n := &simNode{idx: i, id: uint64(i + 1), storage: raft.NewMemoryStorage()}
		if err := n.storage.Append(ents); err != nil {
			return err
		}
		_ = n.storage.SetHardState(hs)
		s.nodes = append(s.nodes, n)
		if err := s.start(n); err != nil {
			return err
		}
	}
	return nil
}

// start creates a node from its durable state, as a process restart would:
// the state machine is rebuilt from the snapshot and the log replayed.
func (s *raftSim) start(n *simNode) error {
	n.incarnation++
	snap, _ := n.storage.Snapshot()
	n.applied, n.stateHash = 0, 0
	if !snap.IsEmpty() {
		idx, h, err := decodeSimSnapshot(snap.Data)
		if err != nil {
			return err
		}
		n.applied, n.stateHash = idx, h
	}
	cfg := raft.Config{
		ID: n.id, ElectionTick: max(s.cfg.ElectionTicks, 10*b2i(s.cfg.ElectionTicks == 0)), HeartbeatTick: 1, Storage: n.storage, Applied: n.applied,
		Rand:           rand.New(rand.NewPCG(s.cfg.Seed, n.id*1000+uint64(n.incarnation))),
		DisablePreVote: s.cfg.DisablePreVote, DisableCheckQuorum: s.cfg.DisableCheckQuorum,
		Unsafe: s.cfg.Unsafe, MaxSizePerMsg: 64 << 10,
	}
	if s.cfg.MaxMsgSize != 0 {
		cfg.MaxSizePerMsg = s.cfg.MaxMsgSize
	}
	if s.cfg.Trace > 1 {
		cfg.Logger = traceLogger{s}
	}
	node, err := raft.NewNode(cfg)
	if err != nil {
		return fmt.Errorf("n%d restart: %w", n.id, err)
	}
	n.node, n.up, n.inflight = node, true, nil
	n.lastCommit, n.lastTerm, n.waitingRead, n.role = 0, 0, nil, raft.StateFollower
	// Ticks start at a random phase: real clocks are not aligned.
	s.queue.schedule(event{at: s.now + Time(s.rng.Int64N(int64(tickInterval))), kind: evTick, node: n.idx, incarnation: n.incarnation})
	s.pump(n)
	return nil
}

// crash stops a node. A disk write in flight is lost, or torn: a prefix of
// its entries reached the disk but not the hard state, as with a WAL whose
// last record was cut short.
func (s *raftSim) crash(n *simNode) {
	if !n.up {
		return
	}
	s.res.Stats.Crashes++
	torn := ""
	if rd := n.inflight; rd != nil && len(rd.Entries) > 0 && rd.Snapshot.IsEmpty() && s.rng.IntN(2) == 0 {
		k := s.rng.IntN(len(rd.Entries) + 1)
		_ = n.storage.Append(rd.Entries[:k])
		torn = fmt.Sprintf(" (torn write: %d of %d entries reached the disk)", k, len(rd.Entries))
	} else if n.inflight != nil {
		torn = " (a write in flight was lost)"
	}
	n.up, n.inflight, n.node, n.role = false, nil, nil, raft.StateFollower
	s.tracef("fault: crash n%d%s", n.id, torn)
}

func (s *raftSim) restart(n *simNode) {
	if n.up {
		return
	}
	s.tracef("fault: restart n%d", n.id)
	if err := s.start(n); err != nil {
		s.check.fail("%v", err)
	}
}

// compact snapshots a node's state at its applied index and drops the log
// before it, keeping a short tail for followers that are only a little behind.
func (s *raftSim) compact(n *simNode) {
	if !n.up || n.inflight != nil || n.applied == 0 {
		return
	}
	snap, _ := n.storage.Snapshot()
	if n.applied <= snap.Meta.Index {
		return
	}
	if _, err := n.storage.CreateSnapshot(n.applied, n.node.ConfState(), encodeSimSnapshot(n.applied, n.stateHash)); err != nil {
		s.check.fail("n%d: create snapshot: %v", n.id, err)
		return
	}
	keep := uint64(s.rng.IntN(20))
	if n.applied > keep+1 {
		first, _ := n.storage.FirstIndex()
		if at := n.applied - keep; at >= first {
			_ = n.storage.Compact(at)
		}
	}
	s.tracef("n%d compacted its log at %d (snapshot)", n.id, n.applied)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
