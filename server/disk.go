package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
)

// A member's data directory has etcd's layout, so operators' habits carry
// over:
//
//	<data-dir>/member/wal/   the write-ahead log (package wal)
//	<data-dir>/member/snap/  snapshot files (package snapshot)
//	<data-dir>/LOCK          held while a member runs, so two can't share it
func memberDir(dataDir string) string { return filepath.Join(dataDir, "member") }
func walDir(dataDir string) string    { return filepath.Join(memberDir(dataDir), "wal") }
func snapDir(dataDir string) string   { return filepath.Join(memberDir(dataDir), "snap") }

// A member's snapshot payload — the opaque Data of a raft snapshot — is the
// whole replicated state: the membership and the key-value store.
//
//	magic "RKVMEMB" + version byte | uvarint length | membership (JSON) | kv snapshot stream
//
// The kv part streams (kv.Store.Snapshot / Restore), so a large store is
// never built twice in memory; the snapshot file around it carries the CRC.
const snapshotMagic = "RKVMEMB\x01"

func writeSnapshotPayload(w io.Writer, c *cluster, state func(io.Writer) error) error {
	return writeSnapshotPayloadPadded(w, c, state, 0)
}

// writeSnapshotPayloadPadded writes a payload whose membership JSON is
// followed by pad spaces (which a JSON reader skips): backups use it to
// align their length (backup.go).
func writeSnapshotPayloadPadded(w io.Writer, c *cluster, state func(io.Writer) error, pad int) error {
	js, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("server: encode membership: %w", err)
	}
	js = append(js, bytes.Repeat([]byte{' '}, pad)...)
	head := append([]byte(snapshotMagic), binary.AppendUvarint(nil, uint64(len(js)))...)
	if _, err := w.Write(append(head, js...)); err != nil {
		return err
	}
	return state(w)
}

// maxMembershipBytes bounds the membership section so a corrupt length
// cannot make a member allocate gigabytes.
const maxMembershipBytes = 16 << 20

// errNotSnapshot is the error for input that does not even begin like a
// snapshot payload: not a damaged backup, but some other file.
var errNotSnapshot = errors.New("server: not a raftkv snapshot (bad magic)")

// readSnapshotPayload restores store from a payload and returns the
// membership it holds. On error the store is unchanged.
func readSnapshotPayload(r io.Reader, store *kv.Store) (*cluster, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, errNotSnapshot
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > maxMembershipBytes {
		return nil, fmt.Errorf("server: snapshot payload: bad membership length %d (%v)", n, err)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(br, js); err != nil {
		return nil, fmt.Errorf("server: snapshot payload: membership: %w", err)
	}
	c := newCluster(0)
	if err := json.Unmarshal(js, c); err != nil {
		return nil, fmt.Errorf("server: snapshot payload: membership: %w", err)
	}
	if c.Members == nil {
		c.Members = map[uint64]*MemberInfo{}
	}
	if c.Removed == nil {
		c.Removed = map[uint64]bool{}
	}
	if err := store.Restore(br); err != nil {
		return nil, fmt.Errorf("server: snapshot payload: %w", err)
	}
	return c, nil
}

// raftStorage is raft's view of the log: entries in memory (they are in the
// WAL too), and the latest snapshot's bytes read from its file only when a
// follower actually needs it, instead of pinning a copy of the whole state
// in memory.
type raftStorage struct {
	*raft.MemoryStorage
	snaps *snapshot.Snapshotter
}

func (s *raftStorage) Snapshot() (raft.Snapshot, error) {
	snap, err := s.MemoryStorage.Snapshot()
	if err != nil || snap.IsEmpty() || snap.Data != nil {
		return snap, err
	}
	l, err := s.snaps.LoadNewest(func(index, _ uint64) bool { return index == snap.Meta.Index })
	if err != nil {
		// Not fatal: the leader asks again later; meanwhile a new snapshot
		// may have replaced this one.
		return raft.Snapshot{}, raft.ErrSnapshotTemporarilyUnavailable
	}
	defer l.Close()
	data, err := io.ReadAll(l)
	if err != nil {
		return raft.Snapshot{}, raft.ErrSnapshotTemporarilyUnavailable
	}
	snap.Data = data
	return snap, nil
}

// errDataDirInUse wraps vfs.ErrLocked with the operator's words.
var errDataDirInUse = errors.New("data directory is in use by another process")

func lockDataDir(fs vfs.FS, dataDir string) (io.Closer, error) {
	if err := fs.MkdirAll(dataDir); err != nil {
		return nil, fmt.Errorf("cannot access data directory %s: %w", dataDir, err)
	}
	lock, err := fs.Lock(dataDir)
	if errors.Is(err, vfs.ErrLocked) {
		return nil, fmt.Errorf("%w: %s", errDataDirInUse, dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot lock data directory %s: %w", dataDir, err)
	}
	return lock, nil
}
