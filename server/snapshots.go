package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
	"github.com/raftkv/raftkv/wal"
)

// Log compaction (§7). Every --snapshot-count applied entries the member
// writes its whole state (membership + key-value store) to a snapshot file,
// then:
//
//  1. records the snapshot in the WAL (the file first, then the marker: on
//     restart only a snapshot the WAL knows about is trusted);
//  2. tells raft, and drops the in-memory log before the snapshot — but
//     keeps --snapshot-catchup-entries of it, so a follower that is only a
//     little behind catches up from the log instead of needing a snapshot;
//  3. releases WAL segments wholly before the snapshot and old snapshot files.
//
// A restart then loads the snapshot and replays only the WAL after it; the
// snapshot's index is the applied index, so replay starts exactly where the
// snapshot's state ends.

// keepSnapshots is how many snapshot files are kept.
const keepSnapshots = snapshot.DefaultKeep

func (m *Member) maybeSnapshot() error {
	if m.snapshotting || m.applied-m.snapshotIndex < m.cfg.SnapshotCount {
		return nil
	}
	return m.takeSnapshot()
}

// takeSnapshot freezes the state at the applied index — on the member's
// goroutine, so the state, the membership and the index agree — and writes
// the file in the background while the member goes on serving; the file
// can be large, and writing it in the loop would stall every request.
func (m *Member) takeSnapshot() error {
	index := m.applied
	term, err := m.storage.Term(index)
	if err != nil {
		return fmt.Errorf("server: snapshot at %d: %w", index, err)
	}
	meta := raft.SnapshotMeta{Index: index, Term: term, ConfState: m.node.ConfState()}
	frozen, members := m.store.Freeze(), m.cluster.withAuth(m.auth.State())
	write := func() error {
		return m.snaps.Save(meta, func(w io.Writer) error { return writeSnapshotPayload(w, members, frozen.Encode) })
	}
	m.snapshotting = true
	if m.env.Background == nil {
		m.finishSnapshot(meta, write())
		return m.fatal
	}
	m.env.Background(write, func(err error) { m.finishSnapshot(meta, err) })
	return nil
}

// finishSnapshot runs on the member's goroutine once the file is durable.
func (m *Member) finishSnapshot(meta raft.SnapshotMeta, err error) {
	m.snapshotting = false
	if err == nil {
		err = m.installSnapshot(meta)
	}
	if err != nil && m.fatal == nil {
		m.fatal = err
		m.logf("stopping: %v", err)
		m.failAllWaiting(ErrStopped)
	}
}

func (m *Member) installSnapshot(meta raft.SnapshotMeta) error {
	index := meta.Index
	if index <= m.snapshotIndex {
		return nil // a snapshot from the leader overtook this one
	}
	if err := m.wal.SaveSnapshot(wal.Snapshot{Index: index, Term: meta.Term}); err != nil {
		return fmt.Errorf("server: record snapshot in WAL: %w", err)
	}
	if _, err := m.storage.CreateSnapshot(index, meta.ConfState, nil); err != nil && !errors.Is(err, raft.ErrSnapshotOutOfDate) {
		return fmt.Errorf("server: snapshot in memory: %w", err)
	}
	if index > m.cfg.SnapshotCatchUpEntries {
		if err := m.storage.Compact(index - m.cfg.SnapshotCatchUpEntries); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return fmt.Errorf("server: compact the in-memory log: %w", err)
		}
	}
	m.snapshotIndex = index
	m.stats.Snapshots++
	m.logf("saved snapshot at index %d", index)
	return m.releaseOld(index)
}

func (m *Member) releaseOld(index uint64) error {
	if err := m.wal.ReleaseBefore(index); err != nil {
		return fmt.Errorf("server: release WAL segments: %w", err)
	}
	if err := m.snaps.Purge(keepSnapshots); err != nil {
		m.logf("could not purge old snapshots: %v", err)
	}
	return nil
}

// saveIncomingSnapshot makes a snapshot received from the leader durable,
// before the WAL that follows it (InstallSnapshot, §7).
func (m *Member) saveIncomingSnapshot(s raft.Snapshot) error {
	if err := m.snaps.Save(s.Meta, func(w io.Writer) error {
		_, err := w.Write(s.Data)
		return err
	}); err != nil {
		return fmt.Errorf("server: save received snapshot: %w", err)
	}
	if err := m.wal.SaveSnapshot(wal.Snapshot{Index: s.Meta.Index, Term: s.Meta.Term}); err != nil {
		return fmt.Errorf("server: record received snapshot in WAL: %w", err)
	}
	return nil
}

// applyIncomingSnapshot replaces the state with the snapshot's.
func (m *Member) applyIncomingSnapshot(s raft.Snapshot) error {
	old := m.cluster
	c, err := readSnapshotPayload(bytes.NewReader(s.Data), m.store)
	if err != nil {
		return fmt.Errorf("server: restore received snapshot %d: %w", s.Meta.Index, err)
	}
	if err := m.restoreAuth(c.takeAuth()); err != nil {
		return fmt.Errorf("server: restore received snapshot %d: %w", s.Meta.Index, err)
	}
	m.cluster = c
	if c.Removed[m.id] {
		m.removed = true
		m.logf("the member has been permanently removed from the cluster")
	}
	if err := m.storage.ApplySnapshot(raft.Snapshot{Meta: s.Meta}); err != nil && !errors.Is(err, raft.ErrSnapshotOutOfDate) {
		return fmt.Errorf("server: apply received snapshot: %w", err)
	}
	m.applied, m.snapshotIndex = s.Meta.Index, s.Meta.Index
	m.syncPeers(old)
	m.logf("restored snapshot at index %d (term %d) from the leader", s.Meta.Index, s.Meta.Term)
	m.reads.serve(m)
	return m.releaseOld(s.Meta.Index)
}
