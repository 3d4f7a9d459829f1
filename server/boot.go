package server

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/snapshot"
	"github.com/raftkv/raftkv/wal"
)

// NewMember opens (or creates) a member's data directory and returns the
// member, ready to be driven. Three ways to start, as in etcd:
//
//   - restart: the data directory holds a WAL. The newest snapshot the WAL
//     knows about is loaded and the WAL replayed after it; the initial-cluster
//     flags are not needed (but must not describe another cluster).
//   - bootstrap (--initial-cluster-state new, empty data directory): every
//     initial member computes the same IDs from the same flags and writes the
//     same first log entries.
//   - join (--initial-cluster-state existing, empty data directory): the
//     member was added with `member add`; it asks its peers for the cluster's
//     ID and its own, then waits for the leader to send it the log.
func NewMember(cfg Config, env Env) (*Member, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if env.Rand == nil || env.Clock == nil || env.FS == nil || env.Transport == nil {
		return nil, errors.New("server: Env needs FS, Transport, Clock and Rand")
	}
	lock, err := lockDataDir(env.FS, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	m := &Member{
		cfg:     cfg,
		env:     env,
		lock:    lock,
		snaps:   snapshot.New(env.FS, snapDir(cfg.DataDir)),
		store:   kv.New(kv.Config{MaxTxnOps: cfg.MaxTxnOps, MinLeaseTTL: minLeaseTTL(cfg)}),
		auth:    auth.New(),
		tokens:  newSimpleTokens(cfg.AuthTokenTTL),
		waiting: map[uint64]*proposal{},
	}
	m.leases.init()
	m.compactor.init(cfg)
	m.quota = quotaBytes(cfg)
	if err := env.FS.MkdirAll(snapDir(cfg.DataDir)); err != nil {
		lock.Close()
		return nil, fmt.Errorf("cannot create %s: %w", snapDir(cfg.DataDir), err)
	}
	switch {
	case wal.Exist(env.FS, walDir(cfg.DataDir)):
		err = m.restart()
	case m.hasSnapshots():
		// Snapshots without the WAL that knows them: the WAL was lost or
		// removed. Starting afresh here would silently begin an empty
		// member where data was — and overwrite those snapshots later.
		err = fmt.Errorf("data directory %s has snapshots in %s but no WAL in %s: refusing to start a new member over them "+
			"(restore the directory from a backup, or remove it to start afresh)", cfg.DataDir, snapDir(cfg.DataDir), walDir(cfg.DataDir))
	case cfg.InitialClusterState == "new":
		err = m.bootstrap()
	default:
		err = m.join()
	}
	if err == nil {
		err = m.startRaft()
	}
	if err != nil {
		if m.wal != nil {
			m.wal.Close()
		}
		lock.Close()
		return nil, err
	}
	m.ids = newRequestIDs(m.id, env.Clock.Now().UnixMilli())
	return m, nil
}

// hasSnapshots reports whether the snapshot directory holds snapshot files.
func (m *Member) hasSnapshots() bool {
	names, _ := m.env.FS.ReadDir(snapDir(m.cfg.DataDir)) // just created: a failure means none
	for _, n := range names {
		if strings.HasSuffix(n, ".snap") {
			return true
		}
	}
	return false
}

// minLeaseTTL is etcd's: a lease must outlive a leader election, so its
// TTL is at least 1.5 election timeouts, rounded up to whole seconds.
func minLeaseTTL(cfg Config) int64 {
	ms := cfg.ElectionTimeout.Milliseconds() * 3 / 2
	return (ms + 999) / 1000
}

func (m *Member) bootstrap() error {
	initial, err := ParseInitialCluster(m.cfg.InitialCluster)
	if err != nil {
		return err
	}
	c, changes := initialCluster(initial, m.cfg.InitialClusterToken)
	m.clusterID = c.ID
	m.id = MemberID(m.cfg.InitialAdvertisePeerURLs, m.cfg.InitialClusterToken, 0)
	m.cluster = newCluster(c.ID)
	ents, hs, err := raft.BootstrapLog(changes)
	if err != nil {
		return err
	}
	w, err := wal.Create(m.env.FS, walDir(m.cfg.DataDir), wal.Metadata{ClusterID: m.clusterID, MemberID: m.id}, m.env.WALOptions...)
	if err != nil {
		return fmt.Errorf("cannot create WAL: %w", err)
	}
	m.wal = w
	if err := w.Save(hs, ents, true); err != nil {
		return fmt.Errorf("cannot write WAL: %w", err)
	}
	m.storage = &raftStorage{MemoryStorage: raft.NewMemoryStorage(), snaps: m.snaps}
	_ = m.storage.SetHardState(hs)
	if err := m.storage.Append(ents); err != nil {
		return err
	}
	m.logf("starting a new cluster %x as member %x (%s); initial members: %s", m.clusterID, m.id, m.cfg.Name, m.cfg.InitialCluster)
	return nil
}

func (m *Member) restart() error {
	dir := walDir(m.cfg.DataDir)
	markers, err := wal.ValidSnapshots(m.env.FS, dir)
	if err != nil {
		return fmt.Errorf("cannot read WAL: %w", err)
	}
	var meta raft.SnapshotMeta
	m.cluster = newCluster(0)
	var broken []snapshot.BrokenFile
	loaded, err := m.snaps.LoadNewest(wal.Knows(markers))
	switch {
	case errors.Is(err, snapshot.ErrNoSnapshot):
	case err != nil:
		return fmt.Errorf("cannot load snapshot: %w", err)
	default:
		broken = loaded.Broken
		for _, b := range broken {
			m.logf("snapshot %s is corrupt (%v): set aside as %s; starting from an older snapshot", b.Path, b.Err, b.Renamed)
		}
		c, rerr := readSnapshotPayload(loaded, m.store)
		loaded.Close()
		if rerr == nil {
			rerr = m.restoreAuth(c.takeAuth())
		}
		if rerr != nil {
			return fmt.Errorf("cannot restore snapshot %s: %w", loaded.Path, rerr)
		}
		m.cluster = c
		meta = loaded.Meta
		m.logf("loaded snapshot at index %d (term %d)", meta.Index, meta.Term)
	}
	w, err := wal.Open(m.env.FS, dir, wal.Snapshot{Index: meta.Index, Term: meta.Term}, m.env.WALOptions...)
	if err != nil {
		return fmt.Errorf("cannot open WAL: %w", err)
	}
	m.wal = w
	md, hs, ents, err := w.ReadAll()
	if err != nil {
		return fmt.Errorf("cannot replay WAL: %w", err)
	}
	if cut, ok := w.CutTail(); ok {
		// A write the crash tore before its sync returned: never
		// acknowledged, so nothing a client or a peer was told is lost,
		// and the leader sends whatever the member lacks. An operator
		// still wants to know that the disk lost a write.
		m.logf("WAL %v; a crash tore that write before it was synced, so it was never acknowledged: starting, and catching up from the leader", cut)
	}
	if err := m.checkIdentity(md, ents, hs.Commit); err != nil {
		return err
	}
	if last := lastIndex(meta.Index, ents); hs.Commit > last {
		// Entries were committed that neither the WAL nor a snapshot
		// holds: typically a damaged newest snapshot was set aside, and
		// the WAL was released up to it. Starting would lose them.
		var why []string
		for _, b := range broken {
			why = append(why, fmt.Sprintf("snapshot %s is damaged (%v; set aside as %s)", b.Path, b.Err, b.Renamed))
		}
		return fmt.Errorf("cannot restart from %s: entries up to index %d were committed, but the snapshots and the WAL hold only up to %d: %s",
			m.cfg.DataDir, hs.Commit, last, strings.Join(append(why, "restore this member from a backup, or remove it and add it back as a new member"), "; "))
	}
	m.id, m.clusterID = md.MemberID, md.ClusterID
	if m.cluster.ID == 0 {
		m.cluster.ID = md.ClusterID
	}
	if m.cluster.Removed[m.id] {
		return fmt.Errorf("%s (member %x)", ErrRemoved.Message, m.id)
	}
	m.storage = &raftStorage{MemoryStorage: raft.NewMemoryStorage(), snaps: m.snaps}
	if meta.Index > 0 {
		if err := m.storage.ApplySnapshot(raft.Snapshot{Meta: meta}); err != nil {
			return err
		}
	}
	_ = m.storage.SetHardState(hs)
	if err := m.storage.Append(ents); err != nil {
		return err
	}
	m.applied, m.snapshotIndex = meta.Index, meta.Index
	m.term = hs.Term
	if len(m.cluster.Members) == 0 && m.cfg.InitialClusterState == "existing" {
		// Joined, and stopped before the log brought the membership:
		// without this the member would know no peer to answer.
		m.rediscoverPeers()
	}
	m.logf("restarting member %x (%s) in cluster %x: term %d, commit %d, %d entries after the snapshot",
		m.id, m.cfg.Name, m.clusterID, hs.Term, hs.Commit, len(ents))
	return nil
}

func (m *Member) join() error {
	initial, err := ParseInitialCluster(m.cfg.InitialCluster)
	if err != nil {
		return err
	}
	var peers []string
	for _, im := range initial {
		if im.Name != m.cfg.Name {
			peers = append(peers, im.PeerURLs...)
		}
	}
	if len(peers) == 0 || m.env.FetchCluster == nil {
		return errors.New("--initial-cluster-state existing needs the peer URLs of the cluster's members in --initial-cluster")
	}
	cid, members, err := m.env.FetchCluster(peers)
	if err != nil {
		return fmt.Errorf("cannot fetch cluster info from peer urls %s: %w", strings.Join(peers, ","), err)
	}
	want := slices.Sorted(slices.Values(m.cfg.InitialAdvertisePeerURLs))
	for _, info := range members {
		if slices.Equal(slices.Sorted(slices.Values(info.PeerURLs)), want) {
			m.id = info.ID
		}
	}
	if m.id == 0 {
		return fmt.Errorf("member with peer URLs %s is not in cluster %x: add it first with `raftkvctl member add %s --peer-urls=%s`",
			strings.Join(want, ","), cid, m.cfg.Name, strings.Join(want, ","))
	}
	m.clusterID = cid
	m.cluster = newCluster(cid)
	w, err := wal.Create(m.env.FS, walDir(m.cfg.DataDir), wal.Metadata{ClusterID: cid, MemberID: m.id}, m.env.WALOptions...)
	if err != nil {
		return fmt.Errorf("cannot create WAL: %w", err)
	}
	m.wal = w
	m.storage = &raftStorage{MemoryStorage: raft.NewMemoryStorage(), snaps: m.snaps}
	// Until the log arrives we know the peers only from what they told us.
	for _, info := range members {
		if info.ID != m.id {
			m.env.Transport.AddPeer(info.ID, info.PeerURLs)
		}
	}
	m.logf("joining cluster %x as member %x (%s)", cid, m.id, m.cfg.Name)
	return nil
}

func (m *Member) startRaft() error {
	var logger raft.Logger
	if m.env.Logger != nil {
		logger = m.env.Logger
	}
	node, err := raft.NewNode(raft.Config{
		ID:            m.id,
		ElectionTick:  m.cfg.ElectionTicks(),
		HeartbeatTick: 1,
		Storage:       m.storage,
		Applied:       m.applied,
		Rand:          m.env.Rand,
		Logger:        logger,
	})
	if err != nil {
		return err
	}
	m.node = node
	for _, info := range m.cluster.list() {
		if info.ID != m.id {
			m.env.Transport.AddPeer(info.ID, info.PeerURLs)
		}
	}
	return nil
}

var _ io.Closer = (*Member)(nil)

// lastIndex is the index of the last entry of a log that starts after
// a snapshot at snapIndex and holds ents.
func lastIndex(snapIndex uint64, ents []raft.Entry) uint64 {
	if len(ents) == 0 {
		return snapIndex
	}
	return ents[len(ents)-1].Index
}
