package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/raftkv/raftkv/raft"
)

// RaftConfig describes one raft-level simulation run: N raft nodes with
// in-memory storage, a simulated network and disk, a client load, and faults.
type RaftConfig struct {
	Seed     uint64
	Nodes    int
	Duration Time
	Faults   FaultSet
	// Schedule, if set, replaces the schedule generated from the seed.
	Schedule []Fault
	// HealBefore is how long before the end all faults stop, for the
	// liveness check.
	HealBefore Time
	// ProposalEvery and ReadEvery set the mean gap between client requests.
	ProposalEvery Time
	ReadEvery     Time
	// Trace: 0 = none, 1 = readable events, 2 = also raft's own log lines.
	Trace int
	// MinFsync, if set, is the least time a durable write takes.
	MinFsync Time
	// ElectionTicks overrides the election timeout in ticks (default 10).
	ElectionTicks int
	// DropRate, if set, replaces the random message loss rate.
	DropRate float64
	// LoseCurrentTermAppends makes the network lose the entries of every
	// append that the sender wrote in its current term (the rest of the
	// message arrives). Only entries a leader wrote in an earlier term get
	// through: the adversary of the Figure 8 scenario.
	LoseCurrentTermAppends bool
	// Script, if set, stages the run step by step (script.go).
	Script []ScriptStep
	// Record keeps a timeline of the run for ui.TimelinePage (RaftResult.Timeline).
	Record bool
	// MaxMsgSize caps the entries of one append (raft.Config.MaxSizePerMsg;
	// 0 means 64 KiB). A tiny cap sends one entry per message.
	MaxMsgSize uint64
	// Raft options a teaching run may switch.
	DisablePreVote     bool
	DisableCheckQuorum bool
	Unsafe             raft.UnsafeRules
}

// DefaultRaftConfig is what `raftsim -seed N` runs.
func DefaultRaftConfig(seed uint64) RaftConfig {
	return RaftConfig{
		Seed: seed, Nodes: 3 + 2*int(seed%2), Duration: 30 * Second, Faults: AllFaults,
		HealBefore: 10 * Second, ProposalEvery: 20 * Millisecond, ReadEvery: 50 * Millisecond,
	}
}

// RaftResult is the outcome of a run.
type RaftResult struct {
	Seed      uint64
	Violation string // empty when every check passed
	At        Time   // when the violation was found
	Trace     []string
	// Digest hashes every event processed, so two runs of one seed can be
	// compared byte for byte without storing everything.
	Digest uint64
	Stats  RaftStats
	// Timeline is the recorded run (JSON for ui.TimelinePage) when Record is set.
	Timeline []byte
}

// RaftStats counts what happened in a run.
type RaftStats struct {
	Events, Messages, Dropped, Elections, MaxTerm   int
	Proposals, ProposalsDropped, Applied, Snapshots int
	Reads, ReadsServed, ReadsDropped, Crashes       int
}

// Passed reports whether every check held.
func (r RaftResult) Passed() bool { return r.Violation == "" }

const tickInterval = 100 * Millisecond // --heartbeat-interval's default

type raftSim struct {
	cfg   RaftConfig
	rng   *rand.Rand
	now   Time
	queue eventQueue
	net   *network
	nodes []*simNode
	check *checker
	res   RaftResult
	msgs  []raft.Message
	// faults is the schedule; healed is set once the final calm begins.
	faults   []Fault
	healAt   Time
	healed   bool
	propSeq  int
	readSeq  int
	proposed map[string]proposal
	reads    map[string]*readReq
	// probes are proposals made after healing; one must commit everywhere.
	probes []string
	digest uint64
	member membershipDriver
	rec    *recorder
	script *ScriptState
	// lastGrant is the newest vote grant sent (for scripts).
	lastGrant voteGrant
}

type voteGrant struct{ voter, candidate, term uint64 }

type proposal struct {
	node        int
	incarnation int
}

type readReq struct {
	node        int
	incarnation int
	required    uint64
	index       uint64
	answered    bool
}

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

// RunRaft runs one raft-level simulation.
func RunRaft(cfg RaftConfig) RaftResult {
	s := &raftSim{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x5eed)),
		net:      newNetwork(cfg.Nodes),
		check:    newChecker(),
		proposed: map[string]proposal{},
		reads:    map[string]*readReq{},
		digest:   digestSeed,
	}
	s.res.Seed = cfg.Seed
	if cfg.Record {
		s.rec = &recorder{maxMsgs: 200000, name: nodeName}
	}
	s.net.configure(s.rng, cfg.Faults)
	if cfg.DropRate > 0 {
		s.net.dropRate = cfg.DropRate
	}
	s.healAt = cfg.Duration - cfg.HealBefore
	s.faults = cfg.Schedule
	if s.faults == nil {
		s.faults = GenerateSchedule(s.rng, cfg.Nodes, s.healAt, cfg.Faults)
	}
	if err := s.bootstrap(); err != nil {
		s.res.Violation = err.Error()
		return s.res
	}
	for i := range s.faults {
		s.queue.schedule(event{at: s.faults[i].At, kind: evFault, fault: i})
	}
	s.queue.schedule(event{at: s.healAt, kind: evFault, fault: -1})
	s.queue.schedule(event{at: s.jitter(cfg.ProposalEvery), kind: evPropose})
	s.queue.schedule(event{at: s.jitter(cfg.ReadEvery), kind: evRead})
	s.queue.schedule(event{at: Second, kind: evSample})
	if cfg.Faults.Membership {
		s.queue.schedule(event{at: 2 * Second, kind: evMembership})
	}
	if len(cfg.Script) > 0 {
		s.script = &ScriptState{s: s, labels: map[string]int{}, cut: map[int]bool{}}
		s.queue.schedule(event{at: scriptEvery, kind: evScript})
	}
	for s.queue.Len() > 0 && s.check.violation == "" {
		e := s.queue.next()
		if e.at > cfg.Duration {
			break
		}
		s.now = e.at
		s.res.Stats.Events++
		s.dispatch(e)
		if s.rec != nil {
			s.rec.frame(s)
		}
	}
	if s.check.violation == "" {
		s.checkLiveness()
	}
	if s.check.violation != "" {
		s.res.Violation = s.check.violation
		s.res.At = s.now
		s.tracef("VIOLATION: %s", s.check.violation)
	}
	s.res.Digest = s.digest
	if s.rec != nil {
		s.rec.frame(s)
		s.res.Timeline = s.rec.json(fmt.Sprintf("raftsim seed %d: %d nodes", cfg.Seed, cfg.Nodes), s.now)
	}
	return s.res
}

func (s *raftSim) jitter(mean Time) Time {
	return s.now + mean/2 + Time(s.rng.Int64N(int64(mean)+1))
}

func (s *raftSim) tracef(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	line := s.now.String() + "  " + text
	s.mix([]byte(line))
	if s.rec != nil {
		s.rec.event(s.now, text)
	}
	if s.cfg.Trace > 0 {
		s.res.Trace = append(s.res.Trace, line)
	}
}

// mix folds bytes into the run's digest.
func (s *raftSim) mix(b []byte) { s.digest = mixDigest(s.digest, b) }

type traceLogger struct{ s *raftSim }

func (l traceLogger) Printf(format string, args ...any) {
	l.s.res.Trace = append(l.s.res.Trace, l.s.now.String()+"    raft: "+fmt.Sprintf(format, args...))
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

func (s *raftSim) dispatch(e event) {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:], uint64(e.at))
	b[8], b[9] = byte(e.kind), byte(e.node)
	binary.LittleEndian.PutUint64(b[16:], uint64(e.msgIndex))
	s.mix(b[:])
	switch e.kind {
	case evTick:
		n := s.nodes[e.node]
		if !n.up || n.incarnation != e.incarnation {
			return
		}
		n.node.Tick()
		s.pump(n)
		s.queue.schedule(event{at: s.now + tickInterval, kind: evTick, node: n.idx, incarnation: n.incarnation})
	case evDeliver:
		s.deliver(s.msgs[e.msgIndex])
	case evPersistDone:
		n := s.nodes[e.node]
		if !n.up || n.incarnation != e.incarnation || n.inflight == nil {
			return
		}
		s.finishReady(n)
	case evPropose:
		s.propose()
		s.queue.schedule(event{at: s.jitter(s.cfg.ProposalEvery), kind: evPropose})
	case evRead:
		s.startRead()
		s.queue.schedule(event{at: s.jitter(s.cfg.ReadEvery), kind: evRead})
	case evFault:
		if e.fault < 0 {
			s.healAll()
		} else if !s.healed {
			s.applyFault(s.faults[e.fault])
		}
	case evReport:
		m := s.msgs[e.msgIndex]
		from := s.nodeByID(m.From)
		if from != nil && from.up && from.incarnation == e.incarnation {
			from.node.ReportSnapshot(m.To, e.node == 1)
			s.pump(from)
		}
	case evSample:
		s.sample()
		s.queue.schedule(event{at: s.now + Second, kind: evSample})
	case evScript:
		s.scriptTick()
		s.queue.schedule(event{at: s.now + scriptEvery, kind: evScript})
	case evMembership:
		s.membershipStep()
		s.queue.schedule(event{at: s.jitter(700 * Millisecond), kind: evMembership})
	}
}

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

// observeReady checks what a Ready reveals: role changes (traced, and
// leaders checked for Election Safety and Leader Completeness).
func (s *raftSim) observeReady(n *simNode, rd raft.Ready) {
	if rd.SoftState == nil {
		// A candidate whose election timed out campaigns again in a new
		// term: its role and leader (the SoftState) are unchanged, only
		// its HardState (a new term, its vote for itself) shows it. The
		// storage still holds the HardState of the previous Ready.
		if n.role == raft.StateCandidate && rd.HardState.Vote == n.id {
			if hs, _, _ := n.storage.InitialState(); rd.HardState.Term > hs.Term {
				s.tracef("n%d became candidate (term %d)", n.id, rd.HardState.Term)
			}
		}
		return
	}
	st := n.node.Status()
	if rd.SoftState.State == raft.StateLeader {
		s.check.observeLeader(n.id, st.Term)
		if n.wasLeaderIn != st.Term {
			n.wasLeaderIn = st.Term
			s.res.Stats.Elections++
			s.tracef("n%d became leader at term %d", n.id, st.Term)
			s.checkCompleteness(n, st.Term, rd.Entries)
		}
		n.role = raft.StateLeader
		return
	}
	switch {
	case n.role == raft.StateLeader:
		s.tracef("n%d stepped down at term %d (now %s)", n.id, st.Term, rd.SoftState.State)
	case rd.SoftState.State != n.role && rd.SoftState.State != raft.StateFollower:
		s.tracef("n%d became %s (term %d)", n.id, rd.SoftState.State, st.Term)
	}
	n.role = rd.SoftState.State
}

func (s *raftSim) checkCompleteness(n *simNode, term uint64, unstable []raft.Entry) {
	first, _ := n.storage.FirstIndex()
	last, _ := n.storage.LastIndex()
	termAt := func(i uint64) (uint64, bool) {
		if len(unstable) > 0 && i >= unstable[0].Index {
			if j := i - unstable[0].Index; j < uint64(len(unstable)) {
				return unstable[j].Term, true
			}
			return 0, false
		}
		t, err := n.storage.Term(i)
		return t, err == nil
	}
	if k := len(unstable); k > 0 {
		last = unstable[k-1].Index
	}
	s.check.checkLeaderCompleteness(n.id, term, first, last, termAt)
}

// observeStatus checks monotonic commit/apply and records leader commits.
func (s *raftSim) observeStatus(n *simNode) {
	if !n.up {
		return
	}
	st := n.node.Status()
	if st.Commit < n.lastCommit {
		s.check.fail("n%d commit index went back from %d to %d", n.id, n.lastCommit, st.Commit)
	}
	if st.Term < n.lastTerm {
		s.check.fail("n%d term went back from %d to %d", n.id, n.lastTerm, st.Term)
	}
	n.lastCommit, n.lastTerm = st.Commit, st.Term
	s.res.Stats.MaxTerm = max(s.res.Stats.MaxTerm, int(st.Term))
	if st.State == raft.StateLeader && st.Commit > s.check.maxCommitted {
		s.check.observeLeaderCommit(st.Term, st.Commit, func(i uint64) (uint64, bool) {
			t, err := n.storage.Term(i)
			return t, err == nil
		})
	}
}

func (s *raftSim) sendAll(from *simNode, msgs []raft.Message) {
	for _, m := range msgs {
		s.res.Stats.Messages++
		if s.rec != nil {
			s.rec.message(s.now, m)
		}
		if m.Type == raft.MsgVoteResp && !m.Reject {
			s.check.observeGrant(m.From, m.To, m.Term)
			s.lastGrant = voteGrant{voter: m.From, candidate: m.To, term: m.Term}
		}
		to := s.nodeByID(m.To)
		if to == nil {
			continue
		}
		if s.cfg.LoseCurrentTermAppends && !s.healed && m.Type == raft.MsgApp {
			// The adversary of the Figure 8 scenario: entries the sender
			// wrote in its current term are lost on the way; the rest of the
			// message (its consistency check, older entries) arrives.
			for i, e := range m.Entries {
				if e.Term == m.Term {
					m.Entries = m.Entries[:i:i]
					break
				}
			}
		}
		s.msgs = append(s.msgs, m)
		idx := len(s.msgs) - 1
		copies, delays := s.net.fate(s.rng, from.idx, to.idx)
		if copies == 0 {
			s.res.Stats.Dropped++
		}
		for i := range copies {
			s.queue.schedule(event{at: s.now + delays[i], kind: evDeliver, msgIndex: idx})
		}
		if m.Type == raft.MsgSnap {
			s.res.Stats.Snapshots++
			// The transport learns whether the snapshot arrived (node=1) or
			// not; a lost one is reported after a timeout.
			ok, after := 0, 200*Millisecond
			if copies > 0 {
				ok, after = 1, delays[0]
			}
			s.queue.schedule(event{at: s.now + after, kind: evReport, msgIndex: idx, node: ok, incarnation: from.incarnation})
		}
	}
}

func (s *raftSim) deliver(m raft.Message) {
	n := s.nodeByID(m.To)
	if n == nil || !n.up {
		return // the node is down, or that ID was removed from the cluster
	}
	if err := n.node.Step(m); err != nil {
		if errors.Is(err, raft.ErrProposalDropped) {
			return
		}
		s.check.fail("n%d: step %v: %v", n.id, m, err)
		return
	}
	s.pump(n)
}

func (s *raftSim) propose() {
	n := s.nodes[s.rng.IntN(len(s.nodes))]
	if !n.up {
		return
	}
	s.propSeq++
	data := fmt.Sprintf("p%d", s.propSeq)
	s.res.Stats.Proposals++
	if _, err := n.node.Propose([]byte(data)); err != nil {
		s.res.Stats.ProposalsDropped++
		return
	}
	s.proposed[data] = proposal{node: n.idx, incarnation: n.incarnation}
	if s.healed {
		s.probes = append(s.probes, data)
	}
	s.pump(n)
}

func (s *raftSim) startRead() {
	n := s.nodes[s.rng.IntN(len(s.nodes))]
	if !n.up {
		return
	}
	s.readSeq++
	ctx := fmt.Sprintf("r%d", s.readSeq)
	s.res.Stats.Reads++
	if err := n.node.ReadIndex([]byte(ctx)); err != nil {
		s.res.Stats.ReadsDropped++
		return
	}
	s.reads[ctx] = &readReq{node: n.idx, incarnation: n.incarnation, required: s.check.ackedMax}
	s.pump(n)
}

// readAnswered checks a ReadIndex answer: its index must cover every write
// acknowledged before the read was issued (linearizability, thesis §6.4).
func (s *raftSim) readAnswered(n *simNode, rs raft.ReadIndexResult) {
	r, ok := s.reads[string(rs.RequestCtx)]
	if !ok || r.node != n.idx || r.incarnation != n.incarnation || r.answered {
		return
	}
	if rs.Dropped {
		s.res.Stats.ReadsDropped++
		delete(s.reads, string(rs.RequestCtx))
		return
	}
	if rs.Index < r.required {
		s.check.fail("linearizable read: n%d answered read %s at index %d, but index %d was acknowledged before the read began",
			n.id, rs.RequestCtx, rs.Index, r.required)
		return
	}
	r.answered, r.index = true, rs.Index
	n.waitingRead = append(n.waitingRead, string(rs.RequestCtx))
}

// serveReads answers reads whose index the state machine has reached.
func (s *raftSim) serveReads(n *simNode) {
	kept := n.waitingRead[:0]
	for _, ctx := range n.waitingRead {
		r := s.reads[ctx]
		if n.applied >= r.index {
			s.res.Stats.ReadsServed++
			delete(s.reads, ctx)
			continue
		}
		kept = append(kept, ctx)
	}
	n.waitingRead = kept
}

// nodeByID finds the node currently holding id (IDs are never reused: a
// node that rejoins after removal does so under a new ID, as in etcd).
func (s *raftSim) nodeByID(id uint64) *simNode {
	for _, n := range s.nodes {
		if n.id == id {
			return n
		}
	}
	return nil
}

func (s *raftSim) leaderIndex() int {
	best, bestTerm := -1, uint64(0)
	for _, n := range s.nodes {
		if n.up {
			if st := n.node.Status(); st.State == raft.StateLeader && st.Term >= bestTerm {
				best, bestTerm = n.idx, st.Term
			}
		}
	}
	return best
}

func (s *raftSim) applyFault(f Fault) {
	switch f.Kind {
	case FaultPartition, FaultOneWay, FaultIsolateLeader, FaultBridge:
		lead := s.leaderIndex()
		s.net.apply(f, lead)
		if f.Kind == FaultIsolateLeader {
			if lead < 0 {
				s.tracef("fault: isolate leader (there is none)")
				return
			}
			s.tracef("fault: isolate leader n%d", lead+1)
			return
		}
		s.tracef("fault: %s", f)
	case FaultHeal:
		s.net.heal()
		s.tracef("fault: heal network")
	case FaultCrash:
		s.crash(s.nodes[f.Node])
	case FaultRestart:
		s.restart(s.nodes[f.Node])
	case FaultCompact:
		s.compact(s.nodes[f.Node])
	}
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

// healAll ends the faults: every link restored, every node restarted. From
// here on the cluster must make progress (the liveness check).
func (s *raftSim) healAll() {
	s.healed = true
	s.net.heal()
	s.net.dropRate, s.net.dupRate = 0, 0
	for _, n := range s.nodes {
		s.restart(n)
	}
	s.tracef("all faults healed; the cluster must now make progress")
}

func (s *raftSim) checkLiveness() {
	lead := s.leaderIndex()
	if lead < 0 {
		s.check.fail("liveness: no leader %s after all faults healed", s.cfg.HealBefore)
		return
	}
	var committed []string
	for _, p := range s.probes {
		if _, pending := s.proposed[p]; !pending {
			committed = append(committed, p)
		}
	}
	if len(s.probes) > 0 && len(committed) == 0 {
		s.check.fail("liveness: none of %d proposals made after healing committed within %s", len(s.probes), s.cfg.HealBefore)
		return
	}
	applied := s.nodes[lead].applied
	conf := s.nodes[lead].node.Status().Config
	for _, n := range s.nodes {
		if !slices.Contains(conf.Voters, n.id) && !slices.Contains(conf.Learners, n.id) {
			continue // removed, and not (yet) added back
		}
		if n.applied+uint64(s.cfg.Nodes*4) < applied {
			s.check.fail("liveness: n%d applied only %d, leader n%d applied %d, %s after healing",
				n.id, n.applied, lead+1, applied, s.cfg.HealBefore)
			return
		}
	}
}

func (s *raftSim) sample() {
	if s.cfg.Trace == 0 {
		return
	}
	var parts []string
	for _, n := range s.nodes {
		if !n.up {
			parts = append(parts, fmt.Sprintf("n%d:down", n.id))
			continue
		}
		st := n.node.Status()
		parts = append(parts, fmt.Sprintf("n%d:%s/t%d/c%d/a%d", n.id, shortRole(st), st.Term, st.Commit, n.applied))
	}
	s.tracef("%s", strings.Join(parts, " "))
}

// shortRole is a node's letter in the status lines: L leader, F follower,
// P pre-candidate, C candidate, l learner (a non-voting member, always a
// follower).
func shortRole(st raft.Status) string {
	switch st.State {
	case raft.StateLeader:
		return "L"
	case raft.StateCandidate:
		return "C"
	case raft.StatePreCandidate:
		return "P"
	}
	if slices.Contains(st.Config.Learners, st.ID) {
		return "l"
	}
	return "F"
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

// SortedFaults returns a copy of a schedule sorted by time (for display).
func SortedFaults(fs []Fault) []Fault {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b Fault) int { return int(a.At - b.At) })
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
