package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"strings"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/server"
	"github.com/raftkv/raftkv/wal"
)

// A slot is one machine of the simulated cluster: a name, a peer URL and a
// disk that outlive the member processes run on it. A member crashes and
// restarts on the same disk; a member replaced by the operator leaves its
// slot, whose disk is wiped, and a new member (a new ID) joins in its place.
type slot struct {
	sim     *memberSim
	idx     int
	name    string
	peerURL string
	disk    *vfs.SimDisk
	cfg     server.Config

	m           *server.Member // nil while the machine is down
	id          uint64         // the ID of the member on this slot (0: none yet)
	incarnation int
	lastCrash   Time
	// state says whether the slot may be (re)started; corrupted is set
	// when a bit was flipped in its files while it was down.
	state     slotState
	corrupted bool
	// mustRefuse: the damage is where a restart must find it.
	mustRefuse bool
	// disks counts the disks the slot has had (a replaced member's
	// machine gets a wiped one).
	disks uint64
	// moves counts the times the operator moved it to a new address.
	moves int

	// peers is the transport's peer list, kept by the member itself.
	peers map[uint64]bool

	// A member is busy while an fsync it started has not finished (offset
	// is the virtual time consumed by its current step), and does nothing
	// while paused; its inputs wait in inbox meanwhile.
	offset    Time
	busyUntil Time
	paused    bool
	slowDisk  bool
	// fsyncTakes, if set, is how long every fsync takes (a script's slow
	// disk, slow by a known amount).
	fsyncTakes    Time
	inbox         []func(*server.Member)
	tickQueued    bool
	wakeScheduled bool
	// lastUnreachable rate-limits ReportUnreachable per peer slot.
	lastUnreachable []Time

	// life holds what the checker observed during this member's current
	// life (reset at each start): commit and apply must not go backwards.
	life lifeObs
	role string

	streams []*watchStream
}

type slotState uint8

const (
	slotNormal  slotState = iota
	slotCorrupt           // refused to start: waits for the operator to replace it
	slotRetired           // removed from the cluster: waits to be added back
	slotMoving            // stopped by the operator, who is moving it to a new address
)

// maxInbox bounds the inputs a busy or paused member queues (production
// bounds its channels the same way); beyond it messages are dropped.
const maxInbox = 8192

// boot creates the slots and starts a brand-new cluster on them.
func (s *memberSim) boot() {
	var initial []string
	for i := range s.cfg.Members {
		name := fmt.Sprintf("m%d", i+1)
		sl := &slot{
			sim: s, idx: i, name: name, peerURL: "http://" + name + ":2380",
			disk:            vfs.NewSimDisk(rand.New(rand.NewPCG(s.cfg.Seed, 0xd15c+uint64(i)))),
			lastUnreachable: make([]Time, s.cfg.Members),
			lastCrash:       -1,
		}
		s.slots = append(s.slots, sl)
		initial = append(initial, name+"="+sl.peerURL)
	}
	s.initial = strings.Join(initial, ",")
	for _, sl := range s.slots {
		sl.cfg = s.memberConfig(sl, "new", s.initial)
		if err := s.start(sl); err != nil {
			s.fail("%s: bootstrap: %v", sl.name, err)
		}
	}
}

// memberConfig is the configuration an operator would give the member on
// slot sl: etcd's defaults (100 ms heartbeat, 1 s election timeout) with
// small snapshot settings, so that snapshots happen during a short run.
func (s *memberSim) memberConfig(sl *slot, state, initial string) server.Config {
	cfg := server.DefaultConfig()
	cfg.Name = sl.name
	cfg.DataDir = "/data/" + sl.name
	cfg.ListenClientURLs = []string{"http://" + sl.name + ":2379"}
	cfg.AdvertiseClientURLs = cfg.ListenClientURLs
	cfg.ListenPeerURLs = []string{sl.peerURL}
	cfg.InitialAdvertisePeerURLs = []string{sl.peerURL}
	cfg.InitialCluster = initial
	cfg.InitialClusterState = state
	cfg.InitialClusterToken = s.token
	cfg.SnapshotCount = s.cfg.SnapshotCount
	cfg.SnapshotCatchUpEntries = s.cfg.SnapshotCatchUpEntries
	return cfg
}

// walSegmentSize is small so that runs cut and release segments often.
const walSegmentSize = 64 << 10

// start runs a member process on the slot's disk, as `raftkv` starting
// with the slot's flags would: a restart if the disk holds a WAL, else a
// bootstrap or a join.
func (s *memberSim) start(sl *slot) error {
	sl.incarnation++
	sl.offset, sl.busyUntil, sl.paused, sl.inbox, sl.tickQueued = 0, 0, false, nil, false
	sl.peers = map[uint64]bool{}
	m, err := server.NewMember(sl.cfg, server.Env{
		FS:           timedFS{sl},
		Transport:    memberTransport{sl},
		Clock:        memberClock{sl},
		Rand:         rand.New(rand.NewPCG(s.cfg.Seed, uint64(sl.idx)<<32|uint64(sl.incarnation))),
		Logger:       memberLogger{sl},
		WALOptions:   []wal.Option{wal.WithSegmentSize(walSegmentSize)},
		FetchCluster: s.fetchCluster,
		WriteApplied: func(index uint64, caller auth.Caller, err error) { s.checkWriteOutcome(sl, index, caller, err) },
	})
	if err != nil {
		sl.offset = 0
		return err
	}
	sl.m, sl.id = m, m.ID()
	s.byID[sl.id] = sl
	sl.life = lifeObs{}
	sl.role = ""
	// Ticks start at a random phase: real clocks are not aligned.
	s.scheduleTick(sl, sl.incarnation, s.now+s.between(0, tickInterval))
	if s.tl != nil {
		s.tl.up(s, sl)
	}
	m.AdvanceElectionTicks()
	s.process(sl)
	return nil
}

// fetchCluster is how a joining member learns the cluster's ID and its own.
// Production asks every peer over HTTP and believes the most advanced one
// that answers; here, the running member that has applied the most (paused
// ones do not answer).
func (s *memberSim) fetchCluster([]string) (uint64, []server.MemberInfo, error) {
	var best *slot
	for _, sl := range s.slots {
		if sl.m != nil && !sl.paused && !sl.m.Removed() && (best == nil || sl.m.Applied() > best.m.Applied()) {
			best = sl
		}
	}
	if best == nil {
		return 0, nil, errors.New("no member is running")
	}
	return best.m.ClusterID(), best.m.Members(), nil
}

func (s *memberSim) scheduleTick(sl *slot, inc int, at Time) {
	s.at(at, func() {
		if sl.incarnation != inc || sl.m == nil {
			return
		}
		s.scheduleTick(sl, inc, s.now+tickInterval)
		if sl.paused || s.now < sl.busyUntil {
			// A ticker's channel holds one tick: a member that is blocked
			// or paused sees one tick when it comes back, not all of them.
			if sl.tickQueued {
				return
			}
			sl.tickQueued = true
		}
		s.input(sl, func(m *server.Member) { m.Tick() })
	})
}

// input hands something to the member (a message, a tick, a request) and
// processes it — or queues it while the member is blocked in an fsync or
// paused. It reports false if the machine is down.
func (s *memberSim) input(sl *slot, fn func(*server.Member)) bool {
	if sl.m == nil {
		return false
	}
	if sl.paused || s.now < sl.busyUntil {
		if len(sl.inbox) < maxInbox {
			sl.inbox = append(sl.inbox, fn)
		}
		s.wakeLater(sl)
		return true
	}
	fn(sl.m)
	s.process(sl)
	return true
}

func (s *memberSim) wakeLater(sl *slot) {
	if sl.paused || sl.wakeScheduled {
		return
	}
	sl.wakeScheduled = true
	inc := sl.incarnation
	s.at(sl.busyUntil, func() {
		if sl.incarnation != inc {
			return
		}
		sl.wakeScheduled = false
		s.wake(sl)
	})
}

// wake runs the inputs that queued up while the member was busy, then one
// Process for all of them: a slow fsync batches the next writes (group
// commit), as it does in production.
func (s *memberSim) wake(sl *slot) {
	if sl.m == nil || sl.paused || len(sl.inbox) == 0 {
		return
	}
	if s.now < sl.busyUntil {
		s.wakeLater(sl)
		return
	}
	inbox := sl.inbox
	sl.inbox, sl.tickQueued = nil, false
	for _, fn := range inbox {
		fn(sl.m)
	}
	s.process(sl)
}

// process runs the member loop until raft has nothing more to do, then
// checks what can be observed.
func (s *memberSim) process(sl *slot) {
	m := sl.m
	fsyncs := m.Stats().Fsync.Count
	err := m.Process()
	s.res.Stats.Fsyncs += int(m.Stats().Fsync.Count - fsyncs)
	end := s.now + sl.offset
	if err != nil {
		if errors.Is(err, vfs.ErrInjected) {
			s.crash(sl, "its disk failed in the middle of a write", true)
			return
		}
		s.fail("%s stopped: %v", sl.name, err)
		return
	}
	s.observe(sl, end)
	s.pumpWatches(sl)
	if sl.offset > 0 {
		sl.busyUntil = end
		sl.offset = 0
		if len(sl.inbox) > 0 {
			s.wakeLater(sl)
		}
	}
	if m.Removed() {
		s.retire(sl)
	}
}

// fsyncDelay is called for each fsync a member makes: it takes 0.1–2 ms,
// or 20–400 ms while the member's disk is slow.
func (s *memberSim) fsyncDelay(sl *slot) {
	d := s.between(100*Microsecond, 2*Millisecond)
	switch {
	case sl.fsyncTakes > 0:
		d = sl.fsyncTakes
	case sl.slowDisk:
		d = s.between(20*Millisecond, 400*Millisecond)
	}
	sl.offset += d
}

// send puts one message on the simulated network.
func (s *memberSim) send(from *slot, msg raft.Message) {
	s.res.Stats.Messages++
	if s.script != nil && s.script.watch != nil {
		s.script.watch(from.idx, msg)
	}
	if msg.Type == raft.MsgVoteResp && !msg.Reject {
		s.obs.grant(s, msg.From, msg.To, msg.Term)
	}
	to := s.byID[msg.To]
	if to == nil || !from.peers[msg.To] {
		// Nowhere to send it (the transport does not know the peer, or
		// nothing runs at that address yet). Raft retries; a snapshot
		// must be reported as failed, or raft would wait for it forever.
		s.res.Stats.Dropped++
		if msg.Type == raft.MsgSnap {
			inc, id := from.incarnation, msg.To
			s.at(s.now+from.offset, func() {
				if from.incarnation == inc {
					s.input(from, func(m *server.Member) { m.ReportSnapshot(id, false) })
				}
			})
		}
		return
	}
	sentAt, release := s.now, s.now+from.offset
	copies, delays := s.net.fate(s.rng, from.idx, to.idx)
	if copies == 2 && msg.Type == raft.MsgProp {
		// Raft takes duplicated messages in its stride — except a
		// proposal forwarded to the leader: a second copy is a second
		// request, applied twice (a delete applied again after a later
		// put; the regression script proposals-are-not-doubled-by-the-
		// network). Only client sessions with serial numbers (Raft thesis
		// §6.3) could filter it, and raftkv, like etcd, has none; its
		// transport, over TCP, never delivers a message twice. So
		// proposals are lost, delayed and reordered here, not doubled.
		copies = 1
		s.proposalsNotDoubled++
	}
	if copies == 0 {
		s.res.Stats.Dropped++
		if s.net.blocked[from.idx][to.idx] && release-from.lastUnreachable[to.idx] >= tickInterval {
			// A connection that cannot be made is reported, as the real
			// transport does; raft then probes that follower gently.
			from.lastUnreachable[to.idx] = release
			id := msg.To
			s.at(release, func() {
				if from.lastCrash < sentAt {
					s.input(from, func(m *server.Member) { m.ReportUnreachable(id) })
				}
			})
		}
	}
	toInc := to.incarnation
	for i := range copies {
		arrive := release + delays[i]
		if s.tl != nil {
			s.tl.message(from, to, msg, release, arrive)
			s.pic.message(release, msg)
		}
		s.at(arrive, func() {
			// The sender died before the message could leave (it was to
			// go after an fsync that never finished): it never left.
			if from.lastCrash >= sentAt && from.lastCrash < release {
				return
			}
			// A restart breaks the connection: what was in flight is lost.
			if to.incarnation != toInc || to.m == nil || to.id != msg.To {
				return
			}
			s.input(to, func(m *server.Member) { m.Step(msg) })
		})
	}
	if msg.Type == raft.MsgSnap {
		s.res.Stats.SnapshotsSent++
		s.tracef("%s sends a snapshot (index %d, term %d) to %s, whose log is behind what it keeps",
			from.name, msg.Snapshot.Meta.Index, msg.Snapshot.Meta.Term, to.name)
		// The transport tells the sender whether the snapshot arrived; a
		// lost one is reported after a timeout.
		ok, after := copies > 0, 500*Millisecond
		if ok {
			after = delays[0]
		}
		inc, id := from.incarnation, msg.To
		s.at(release+after, func() {
			if from.incarnation == inc {
				s.input(from, func(m *server.Member) { m.ReportSnapshot(id, ok) })
			}
		})
	}
}

// crash stops the member on sl without warning: a power failure. The disk
// keeps what was synced, and a random part of the rest, possibly torn.
func (s *memberSim) crash(sl *slot, why string, midWrite bool) {
	if sl.m == nil {
		return
	}
	s.res.Stats.Crashes++
	s.breakWatches(sl)
	sl.m = nil
	sl.inbox, sl.paused, sl.busyUntil, sl.offset, sl.tickQueued = nil, false, 0, 0, false
	sl.lastCrash = s.now
	sl.role = ""
	if midWrite {
		// The power failed during a write: most likely it reached the
		// disk in part — a torn tail for the WAL to find and cut.
		sl.disk.SetFaults(vfs.Faults{KeepProb: 0.8, TearProb: 0.8})
	}
	sl.disk.Crash()
	sl.disk.SetFaults(vfs.DefaultFaults())
	s.tracef("%s crashed: %s", sl.name, why)
	s.traceTornTail(sl)
	if s.tl != nil {
		s.tl.down(s, sl, "crashed")
		s.tl.point(s, "crash", sl.name+" crashed: "+why, sl.idx)
	}
}

// restart starts the member on sl again from its disk. A member that
// refuses to start because its files are damaged is left for the operator
// to replace; any other refusal is a bug.
func (s *memberSim) restart(sl *slot, corrupted bool) {
	if sl.m != nil || sl.state != slotNormal {
		return
	}
	s.res.Stats.Restarts++
	mustRefuse := corrupted && sl.mustRefuse
	sl.corrupted, sl.mustRefuse = false, false
	err := s.start(sl)
	if err == nil {
		s.tracef("%s restarted (member %x)", sl.name, sl.id)
		if mustRefuse {
			s.fail("%s started despite a flipped bit in a WAL record it must replay", sl.name)
		}
		return
	}
	if !corrupted {
		s.fail("%s could not restart: %v", sl.name, err)
		return
	}
	s.tracef("%s refuses to start: %v", sl.name, err)
	if !strings.Contains(err.Error(), sl.cfg.DataDir) {
		s.fail("%s refused to start with an error that does not name the damaged file: %v", sl.name, err)
		return
	}
	sl.state = slotCorrupt
}

// retire takes a member that applied its own removal off its slot: the
// process exits, as raftkv does when it learns it was removed.
func (s *memberSim) retire(sl *slot) {
	if sl.m == nil {
		return
	}
	s.breakWatches(sl)
	_ = sl.m.Close()
	sl.m = nil
	sl.inbox, sl.paused, sl.busyUntil = nil, false, 0
	sl.lastCrash = s.now
	sl.role = ""
	sl.state = slotRetired
	s.tracef("%s (member %x) was removed from the cluster and stopped", sl.name, sl.id)
	if s.tl != nil {
		s.tl.down(s, sl, "removed")
	}
}

// traceTornTail says what a crash left at the end of the member's WAL: a
// torn write, which the restart will cut off (it was never synced, so never
// acknowledged).
func (s *memberSim) traceTornTail(sl *slot) {
	end, err := wal.Walk(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"), func(wal.Record) error { return nil })
	if err != nil || end.Torn == nil {
		return
	}
	s.tracef("%s's WAL now ends in a torn write at offset %d of %s (%v): the restart will cut it off", sl.name, end.Offset, end.Segment, end.Torn)
}
