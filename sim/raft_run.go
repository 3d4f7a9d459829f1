package sim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/raftkv/raftkv/raft"
)

// The raft-level simulation's event loop: RunRaft sets a run up, then takes
// events from the queue in virtual-time order and dispatches them until the
// run ends or a check fails.

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
	script *RaftScript
	// lastGrant is the newest vote grant sent (for scripts).
	lastGrant voteGrant
}

type voteGrant struct{ voter, candidate, term uint64 }

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
		s.script = newRaftScript(s)
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
	if s.check.violation == "" && s.script != nil {
		if why := s.script.unfinished(); why != "" {
			s.check.fail("%s", s.script.expand(why))
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
