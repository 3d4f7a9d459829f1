package sim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"
)

// MemberConfig describes one member-level simulation run: N real members
// (package server) on simulated disks and a simulated network, clients
// issuing every kind of request, and faults.
type MemberConfig struct {
	Seed     uint64
	Members  int
	Duration Time
	Faults   FaultSet
	// Schedule, if set, replaces the fault schedule generated from the seed.
	Schedule []Fault
	// HealBefore is how long before the end all faults stop; the cluster
	// must then make progress (the liveness check).
	HealBefore Time
	// Clients issue key-value operations; Watchers keep watch streams open;
	// Leasers grant leases, attach keys and keep them alive.
	Clients, Watchers, Leasers int
	// Keys is the number of keys the clients share (fewer keys, more
	// contention, harder linearizability checks).
	Keys int
	// SnapshotCount and SnapshotCatchUpEntries are the members' settings:
	// small, so that snapshots are taken and sent while faults happen.
	SnapshotCount          uint64
	SnapshotCatchUpEntries uint64
	// Trace: 0 = none, 1 = readable events, 2 = also the members' log
	// lines and every client operation, 3 = also the leader's view of
	// each follower's progress, every second.
	Trace int
	// Timeline records what the HTML trace draws (roles, faults, client
	// operations, and the messages between WindowStart and WindowEnd).
	Timeline               bool
	WindowStart, WindowEnd Time
	// Script, if set, stages the run step by step (member_script.go); the
	// operator then runs too, to replace the members the script asks it to.
	Script []MemberStep
	// LinearizabilityTimeout is the wall time porcupine may search for a
	// linearization (0: 20 s). A search that runs out fails the seed: a
	// history nobody checked is not a history that passed.
	LinearizabilityTimeout time.Duration
	// Auth turns authentication on at the start of the run, through the
	// log as an operator would (root, users, roles, permissions over the
	// clients' keys, then auth enable); the clients then write as their
	// users, and a revoker takes permissions away and gives them back
	// while writes are in flight (member_auth.go).
	Auth bool
}

// DefaultMemberConfig is what `raftsim -mode member -seed N` runs. The
// seed also varies the cluster size, the load and how often snapshots are
// taken, so that a sweep over seeds covers them all.
func DefaultMemberConfig(seed uint64) MemberConfig {
	return MemberConfig{
		Seed: seed, Members: 3 + 2*int(seed%2), Duration: 30 * Second, Faults: AllFaults,
		HealBefore: 10 * Second, Clients: 3 + int(seed/2%4), Watchers: 2, Leasers: 2, Keys: 6,
		SnapshotCount: 50 << (seed / 8 % 3), SnapshotCatchUpEntries: 10 + 10*(seed/24%2),
	}
}

// MemberResult is the outcome of a member-level run.
type MemberResult struct {
	Seed      uint64
	Violation string // empty when every check passed
	At        Time   // when the violation was found
	Trace     []string
	// Digest hashes every event and every client outcome, so two runs of
	// one seed can be compared byte for byte.
	Digest uint64
	Stats  MemberStats
	// Timeline is set when MemberConfig.Timeline was, and Page with it:
	// the run as JSON for ui.TimelinePage — the live /ui picture of the
	// members over time, with Timeline's lanes beneath.
	Timeline *Timeline
	Page     []byte
	// Linearizability is porcupine's verdict on the single-key history; on
	// a failure Porcupine holds what VisualizePorcupine draws.
	Linearizability string
	Porcupine       *PorcupineReport
	// ScriptSteps is how many steps of the configuration's script happened.
	ScriptSteps int
}

// Passed reports whether every check held.
func (r MemberResult) Passed() bool { return r.Violation == "" }

// MemberStats counts what happened in a run.
type MemberStats struct {
	Events, Messages, Dropped, Elections, MaxTerm      int
	Ops, OpsOK, OpsFailed, OpsUnknown                  int
	Crashes, TornCrashes, Restarts, Corruptions        int
	Replacements, SnapshotsSent, SnapshotsSaved        int
	Moves                                              int
	WatchEvents, WatchReconnects, LeasesGranted        int
	LeasesExpired, KeepAlives, Pauses, SlowDisks       int
	CheckedOps, CheckedRanges, CheckedWatchRevs, Revs  int
	LinearizabilityMicros                              int64
	Fsyncs                                             int
	HealedLeaderAfter, HealedWriteAfter, MaxTermHealed Time
	// OutcomesCompared counts the times a member applied a key-value
	// write entry that a member (another, or the same before a restart)
	// had applied already, and the two decisions were compared;
	// RefusalsCompared those where the entry was refused
	// (checkWriteOutcome).
	OutcomesCompared, RefusalsCompared int
	Auth                               AuthStats
}

// AuthStats counts what authentication did in a run with
// MemberConfig.Auth, as the clients and the revoker saw it.
type AuthStats struct {
	// Allowed: writes applied with authentication on. Denied: writes
	// refused for want of a permission (definite failures, not retried).
	Allowed, Denied int
	// Stale: writes refused at apply because the auth state changed
	// after their caller's revision was read ("revision of auth store is
	// old", or "user name is empty" for one sent before auth was
	// enabled); RevokedInFlight of them the new state no longer allowed:
	// a permission revoked while the write was in flight. Retries:
	// requests (reads too) sent again with a revision read anew, as a
	// client that logs in again.
	Stale, RevokedInFlight, Retries int
	// Changes: the revoker's changes that were acknowledged.
	Changes int
}

// memberSim is one run. Everything happens on one goroutine, in the order
// the event queue dictates: a run is a pure function of its configuration.
type memberSim struct {
	cfg   MemberConfig
	rng   *rand.Rand
	now   Time
	queue eventQueue
	net   *network
	slots []*slot
	// byID maps every member ID ever used to its slot (IDs are never reused).
	byID map[uint64]*slot
	// token is the cluster token; initial is the --initial-cluster flag.
	token   string
	initial string

	faults []Fault
	healAt Time
	healed bool

	obs      observer
	hist     *history
	clients  []*client
	watchers []*watchClient
	leasers  []*leaseClient
	op       operator
	admin    authAdmin

	res       MemberResult
	violation string
	digest    uint64
	tl        *Timeline
	pic       *recorder
	script    *MemberScript
	// proposalsNotDoubled counts the forwarded proposals the network would
	// have delivered twice (send).
	proposalsNotDoubled int
}

// RunMember runs one member-level simulation.
func RunMember(cfg MemberConfig) MemberResult { return newMemberSim(cfg).run() }

func newMemberSim(cfg MemberConfig) *memberSim {
	s := &memberSim{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(cfg.Seed, 0x3e3be2)),
		net:    newNetwork(cfg.Members),
		byID:   map[uint64]*slot{},
		token:  fmt.Sprintf("sim-%d", cfg.Seed),
		digest: digestSeed,
		hist:   newHistory(),
	}
	s.obs.init()
	return s
}

func (s *memberSim) run() MemberResult {
	cfg := s.cfg
	s.res.Seed = cfg.Seed
	if cfg.Timeline {
		s.tl = newTimeline(cfg)
		s.pic = &recorder{maxMsgs: 200000, name: hexName}
	}
	s.net.configure(s.rng, cfg.Faults)
	s.healAt = cfg.Duration - cfg.HealBefore
	s.faults = cfg.Schedule
	if s.faults == nil {
		s.faults = generateMemberSchedule(s.rng, cfg.Members, s.healAt, cfg.Faults)
	}
	if s.tl != nil && s.tl.WindowEnd <= s.tl.WindowStart {
		// By default, draw the messages around the first fault.
		first := 2 * Second
		if len(s.faults) > 0 {
			first = s.faults[0].At
		}
		s.tl.WindowStart, s.tl.WindowEnd = max(0, first-500*Millisecond), first+2500*Millisecond
	}
	if len(cfg.Script) > 0 {
		s.script = newMemberScript(s)
	}
	s.boot()
	for i := range s.faults {
		f := s.faults[i]
		s.at(f.At, func() {
			if !s.healed {
				s.applyFault(f)
			}
		})
	}
	s.at(s.healAt, s.healAll)
	s.startClients()
	if cfg.Auth {
		s.startAuth()
	}
	s.every(Second, s.sample)
	if cfg.Faults.Membership || cfg.Faults.Corrupt || len(cfg.Script) > 0 {
		s.every(500*Millisecond, s.operatorStep)
	}
	if s.script != nil {
		s.every(scriptEvery, s.scriptTick)
	}
	for s.queue.Len() > 0 && s.violation == "" {
		e := s.queue.next()
		if e.at > cfg.Duration {
			break
		}
		s.now = e.at
		s.res.Stats.Events++
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], uint64(e.at))
		binary.LittleEndian.PutUint64(b[8:], e.seq)
		s.mix(b[:])
		e.call()
		if s.pic != nil {
			s.recordPicture()
		}
	}
	s.now = min(s.now, cfg.Duration)
	if s.violation == "" && s.script != nil {
		if why := s.script.unfinished(); why != "" {
			s.fail("%s", s.script.expand(why))
		}
	}
	if s.violation == "" {
		s.finalChecks()
	}
	if s.violation != "" {
		s.tracef("VIOLATION: %s", s.violation)
	}
	s.res.Violation = s.violation
	if s.script != nil {
		s.res.ScriptSteps = s.script.i
	}
	s.res.Digest = s.digest
	if s.tl != nil {
		s.tl.finish(s)
		s.res.Timeline = s.tl
		s.pic.tl.Lanes = s.tl
		s.res.Page = s.pic.json(fmt.Sprintf("raftsim -mode member -seed %d", cfg.Seed), cfg.Duration)
	}
	return s.res
}

// at schedules fn at virtual time t (never in the past).
func (s *memberSim) at(t Time, fn func()) {
	s.queue.schedule(event{at: max(t, s.now), call: fn})
}

// after schedules fn d from now.
func (s *memberSim) after(d Time, fn func()) { s.at(s.now+d, fn) }

// every runs fn every period, starting one period from now.
func (s *memberSim) every(period Time, fn func()) {
	var loop func()
	loop = func() {
		fn()
		s.after(period, loop)
	}
	s.after(period, loop)
}

// between draws a duration in [lo, hi].
func (s *memberSim) between(lo, hi Time) Time {
	return lo + Time(s.rng.Int64N(int64(hi-lo)+1))
}

func (s *memberSim) fail(format string, args ...any) {
	if s.violation == "" {
		s.violation = fmt.Sprintf(format, args...)
		s.res.At = s.now
	}
}

func (s *memberSim) tracef(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	line := s.now.String() + "  " + text
	s.mix([]byte(line))
	if s.pic != nil {
		s.pic.event(s.now, text)
	}
	if s.cfg.Trace > 0 {
		s.res.Trace = append(s.res.Trace, line)
	}
}

// mix folds bytes into the run's digest.
func (s *memberSim) mix(b []byte) { s.digest = mixDigest(s.digest, b) }
