package server

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
	"github.com/raftkv/raftkv/wal"
)

// Restoring a backup (raftkvutl snapshot restore, etcdutl's command): the
// backup holds a key-value store and the membership of the cluster it was
// taken from, and the SHA-256 of both (backup.go), checked before anything
// is written. A restore keeps the store and throws the membership away: it
// starts a *new* cluster, described by the flags, whose every member begins
// with the backup's data. Each member is restored from the same backup with
// the same --initial-cluster and token, so they all start from the same
// state at the same log index, and none needs a snapshot from another.
//
// The data directory is what a member writes when it bootstraps (boot.go),
// with the bootstrap's configuration entries folded into a snapshot: the
// snapshot (at the index of the last of those entries, term 1) holds the
// backup's store and the new membership, the WAL holds only its marker and
// a hard state that says it is committed. A restart then takes the normal
// path: load the snapshot the WAL knows about, replay the (empty) rest.

// RestoreResult describes a restored data directory.
type RestoreResult struct {
	ClusterID, MemberID uint64
	// OldClusterID is the cluster the backup was taken from.
	OldClusterID uint64
	Revision     int64
	Keys         int64
}

// SnapshotStatus describes a backup file (raftkvutl snapshot status).
type SnapshotStatus struct {
	// Hash is the backup's key-value history as HashKV hashes it (etcd's
	// hash, kv.Store.HashKV): it equals the member's hashkv at the
	// backup's revision, so a backup can be checked against its member.
	Hash      uint32
	Revision  int64
	TotalKeys int64
	TotalSize int64  // the payload's bytes: the file without its digest, as etcd counts
	ClusterID uint64 // the cluster the backup was taken from
}

// ReadSnapshotStatus reads a backup whole, checking it as a restore would:
// the SHA-256 at its end, and everything the store's decoder checks.
func ReadSnapshotStatus(backup io.Reader) (SnapshotStatus, error) {
	store := kv.New(kv.Config{})
	c, size, err := readBackup(backup, store)
	if err != nil {
		return SnapshotStatus{}, err
	}
	keys, err := countKeys(store)
	if err != nil {
		return SnapshotStatus{}, err
	}
	h, rev, err := store.HashKV(0)
	if err != nil {
		return SnapshotStatus{}, err
	}
	return SnapshotStatus{Hash: h.Hash, Revision: rev, TotalKeys: keys, TotalSize: size, ClusterID: c.ID}, nil
}

// RestoreOptions are a restore's choices beyond the new member's flags.
type RestoreOptions struct {
	// SkipHashCheck restores a backup without checking the SHA-256 at its
	// end, or one that has none (etcdutl's --skip-hash-check). The store's
	// own CRC is still checked.
	SkipHashCheck bool
}

// RestoreSnapshot writes cfg.DataDir for member cfg.Name of the new cluster
// that cfg's initial-cluster flags describe, holding backup's store. The
// data directory must not exist yet or be empty: a restore never overwrites.
// The backup is read and checked whole before anything is written.
func RestoreSnapshot(fsys vfs.FS, backup io.ReadSeeker, cfg Config, opts RestoreOptions) (RestoreResult, error) {
	var res RestoreResult
	cfg.InitialClusterState = "new"
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	if names, err := fsys.ReadDir(cfg.DataDir); err == nil && len(names) > 0 {
		return res, fmt.Errorf("data-dir %q not empty or could not be read", cfg.DataDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("data-dir %q not empty or could not be read: %w", cfg.DataDir, err)
	}
	store := kv.New(kv.Config{MaxTxnOps: cfg.MaxTxnOps, MinLeaseTTL: minLeaseTTL(cfg)})
	var old *cluster
	var err error
	if opts.SkipHashCheck {
		old, err = readUncheckedBackup(backup, store)
	} else {
		old, _, err = readBackup(backup, store)
	}
	if err != nil {
		return res, fmt.Errorf("cannot read the backup: %w", err)
	}
	initial, err := ParseInitialCluster(cfg.InitialCluster)
	if err != nil {
		return res, err
	}
	c, changes := initialCluster(initial, cfg.InitialClusterToken)
	var conf raft.ConfState
	for _, cc := range changes {
		if _, err := c.apply(cc); err != nil {
			return res, err
		}
		conf.Voters = append(conf.Voters, cc.NodeID)
	}
	// Users, roles and whether authentication is on are replicated state
	// like the keys (etcd keeps them in the backend it backs up): the new
	// cluster starts with the backup's, under its own membership.
	c = c.withAuth(old.takeAuth())
	self := MemberID(cfg.InitialAdvertisePeerURLs, cfg.InitialClusterToken, 0)
	// The bootstrap would write len(changes) entries of term 1, all
	// committed: the snapshot stands for exactly those.
	meta := raft.SnapshotMeta{Index: uint64(len(changes)), Term: 1, ConfState: conf}

	lock, err := lockDataDir(fsys, cfg.DataDir)
	if err != nil {
		return res, err
	}
	defer lock.Close()
	if err := fsys.MkdirAll(snapDir(cfg.DataDir)); err != nil {
		return res, fmt.Errorf("cannot create %s: %w", snapDir(cfg.DataDir), err)
	}
	// The snapshot file first, then the WAL that knows it (as takeSnapshot).
	snaps := snapshot.New(fsys, snapDir(cfg.DataDir))
	if err := snaps.Save(meta, func(w io.Writer) error { return writeSnapshotPayload(w, c, store.Snapshot) }); err != nil {
		return res, fmt.Errorf("cannot write the snapshot: %w", err)
	}
	w, err := wal.Create(fsys, walDir(cfg.DataDir), wal.Metadata{ClusterID: c.ID, MemberID: self})
	if err != nil {
		return res, fmt.Errorf("cannot create WAL: %w", err)
	}
	if err := w.SaveSnapshot(wal.Snapshot{Index: meta.Index, Term: meta.Term}); err != nil {
		w.Close()
		return res, fmt.Errorf("cannot write WAL: %w", err)
	}
	if err := w.Save(raft.HardState{Term: meta.Term, Commit: meta.Index}, nil, true); err != nil {
		w.Close()
		return res, fmt.Errorf("cannot write WAL: %w", err)
	}
	if err := w.Close(); err != nil {
		return res, fmt.Errorf("cannot close WAL: %w", err)
	}
	keys, err := countKeys(store)
	if err != nil {
		return res, err
	}
	return RestoreResult{ClusterID: c.ID, MemberID: self, OldClusterID: old.ID, Revision: store.Rev(), Keys: keys}, nil
}

// countKeys counts the live keys: a range over the whole key space.
func countKeys(store *kv.Store) (int64, error) {
	resp, err := store.Range(&kv.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true})
	if err != nil {
		return 0, fmt.Errorf("counting keys: %w", err)
	}
	return resp.Count, nil
}
