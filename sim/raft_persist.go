package sim

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/raftkv/raftkv/raft"
)

// Persistence: a node's Ready is written to its "disk" (the MemoryStorage
// holds exactly what is durable) after a simulated fsync, and only then are
// its entries applied and its after-persist messages sent.

// pump takes a Ready from a node if it has one and no disk write is in flight.
func (s *raftSim) pump(n *simNode) {
	for n.up && n.inflight == nil && n.node.HasReady() && s.check.violation == "" {
		rd := n.node.Ready()
		s.observeReady(n, rd)
		// Messages that may leave before the write (leader appends,
		// heartbeats...) leave now, while the "disk" works.
		s.sendAll(n, rd.Messages)
		n.inflight = &rd
		latency := 5 * Microsecond
		if rd.MustSync {
			latency = s.fsyncLatency()
		}
		s.queue.schedule(event{at: s.now + latency, kind: evPersistDone, node: n.idx, incarnation: n.incarnation})
	}
	s.observeStatus(n)
}

func (s *raftSim) fsyncLatency() Time {
	base := s.cfg.MinFsync + 100*Microsecond + Time(s.rng.Int64N(int64(900*Microsecond)))
	if s.cfg.Faults.SlowDisk && !s.healed && s.rng.IntN(50) == 0 {
		base += 10*Millisecond + Time(s.rng.Int64N(int64(300*Millisecond)))
	}
	return base
}

// finishReady completes a Ready whose write is now durable: store it, send
// what had to wait, apply, Advance.
func (s *raftSim) finishReady(n *simNode) {
	rd := *n.inflight
	n.inflight = nil
	if !rd.Snapshot.IsEmpty() {
		if err := n.storage.ApplySnapshot(rd.Snapshot); err != nil && !errors.Is(err, raft.ErrSnapshotOutOfDate) {
			s.check.fail("n%d: apply snapshot: %v", n.id, err)
			return
		}
		idx, h, err := decodeSimSnapshot(rd.Snapshot.Data)
		if err != nil {
			s.check.fail("n%d: corrupt snapshot: %v", n.id, err)
			return
		}
		s.check.observeRestored(n.id, idx, h)
		n.applied, n.stateHash = idx, h
		s.tracef("n%d restored snapshot %d/%d", n.id, rd.Snapshot.Meta.Index, rd.Snapshot.Meta.Term)
	}
	if err := n.storage.Append(rd.Entries); err != nil {
		s.check.fail("n%d: append: %v", n.id, err)
		return
	}
	s.check.observeStored(n.id, rd.Entries, func(i uint64) (uint64, bool) {
		t, err := n.storage.Term(i)
		return t, err == nil
	})
	if !rd.HardState.IsEmpty() {
		_ = n.storage.SetHardState(rd.HardState)
	}
	s.sendAll(n, rd.MessagesAfterPersist)
	for _, e := range rd.CommittedEntries {
		s.apply(n, e)
	}
	for _, rs := range rd.ReadIndexResults {
		s.readAnswered(n, rs)
	}
	s.serveReads(n)
	n.node.Advance(rd)
	s.pump(n)
}

func (s *raftSim) apply(n *simNode, e raft.Entry) {
	if e.Index != n.applied+1 {
		if e.Index <= n.applied {
			return // covered by a snapshot restored in the same Ready
		}
		s.check.fail("n%d applied index %d after %d: a gap", n.id, e.Index, n.applied)
		return
	}
	n.applied = e.Index
	n.stateHash = chainHash(n.stateHash, e)
	s.check.observeApplied(n.id, e, n.stateHash)
	s.res.Stats.Applied++
	if e.Type != raft.EntryNormal || len(e.Data) == 0 {
		return
	}
	if p, ok := s.proposed[string(e.Data)]; ok && p.node == n.idx && p.incarnation == n.incarnation {
		// The node the client asked has applied it: the client hears "done".
		s.check.ackedMax = max(s.check.ackedMax, e.Index)
		delete(s.proposed, string(e.Data))
	}
}

// The simulated state machine's snapshot is its applied index and state hash.
func encodeSimSnapshot(index, hash uint64) []byte {
	return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, index), hash)
}

func decodeSimSnapshot(b []byte) (index, hash uint64, err error) {
	if len(b) != 16 {
		return 0, 0, fmt.Errorf("sim snapshot: %d bytes, want 16", len(b))
	}
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), nil
}
