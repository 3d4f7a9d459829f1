package sim

import (
	"fmt"
	"path"
	"slices"

	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/server"
	"github.com/raftkv/raftkv/wal"
)

// A Regression is a bug the member-level simulator found, kept as a script
// that stages the situation the bug needed — deterministically, whatever
// the seed — and fails if that situation no longer arises (a step with
// Within), before the run's checks judge the outcome.
//
// The seeds that first found these bugs used to be kept instead, and one by
// one they stopped reproducing their situation as unrelated code changed
// (a few more bytes in an entry, and a crash no longer tears the same
// write): a seed that no longer builds its situation passes whether the bug
// is fixed or not. Seeds are for exploration; these scripts are what keeps
// the bugs fixed. TestRegressions runs every one; `raftsim -mode member
// -regression NAME` runs one with its trace.
type Regression struct {
	// Name is named after the bug.
	Name string
	// Bug says what went wrong, Fix where it was fixed, Found which seeds
	// first showed it.
	Bug, Fix, Found string
	// Config returns the scripted run; the seed only varies the load
	// around the story.
	Config func(seed uint64) MemberConfig
	// Replays: the bug was a run that did not replay; the test runs it
	// twice and compares the runs.
	Replays bool
}

// Regressions lists the member-level simulator's regression scripts.
var Regressions = []Regression{
	{
		Name:  "waiting-requests-retried-in-the-order-made",
		Bug:   "requests waiting for a leader were retried and answered in Go's map order, so a run did not replay from its seed",
		Fix:   "server/requests.go (waitingWhere: oldest first, by request ID)",
		Found: "seed 2",
		Config: func(seed uint64) MemberConfig {
			cfg := scripted(seed, 3, orderOfRequestsScript())
			cfg.Clients = 12 // several requests waiting at each member
			return cfg
		},
		Replays: true,
	},
	{
		Name:  "only-the-leader-answers-a-keep-alive",
		Bug:   "a follower answered a keep-alive from its own apply, \"renewed\", while the leader's revocation of the lease was right behind it in the log",
		Fix:   "server/api.go (KeepAlive: only the leader answers; a follower's gateway forwards), server/gateway_lease.go",
		Found: "seeds 205, 558, 690",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 5, keepAliveThroughFollowerScript())
		},
	},
	{
		Name:  "re-elected-leader-refuses-a-renewal-ahead-of-its-revocation",
		Bug:   "a re-elected leader renewed, then revoked, a lease it had already found expired: the keep-alive was acknowledged and the lease deleted right after",
		Fix:   "server/leases.go (revocations this member decided on outlive its leadership changes; applyRenewal)",
		Found: "seeds 302, 1482",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, reelectedLeaderScript(1))
		},
	},
	{
		Name:  "every-renewal-ahead-of-a-revocation-is-refused",
		Bug:   "with two keep-alives ahead of a revocation in the log, the first was refused and the second acknowledged, and the lease deleted right after",
		Fix:   "server/leases.go (a revocation remembers its log index: every renewal before it is refused)",
		Found: "seed 222",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, reelectedLeaderScript(2))
		},
	},
	{
		Name:  "replacement-done-only-when-every-member-applied-the-promotion",
		Bug:   "the operator called a promotion done when the leader had applied it, then the leader's disk failed for good: the two others, neither of which knew the promotion had committed, could never elect a leader (a bug of the simulator's operator)",
		Fix:   "sim/member_operator.go (operatorStep: done once every running member lists the new member as a voter)",
		Found: "seed 2948",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, promotionAppliedScript())
		},
	},
	{
		Name:  "member-add-unanswered-and-a-stale-leader",
		Bug:   "with its member add unanswered (the leader crashed), the operator took a just-elected leader's stale member list — the removed member still under the URL — for the addition, and the new member took the removed member's ID (a bug of the simulator's operator)",
		Fix:   "sim/member_operator.go (opAdding: the ID member add returns, or one under the URL that is not the removed member's; start only once the peer asked lists it)",
		Found: "seed 21010, with -duration 60s",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 5, staleLeaderScript())
		},
	},
	{
		Name:  "proposals-are-not-doubled-by-the-network",
		Bug:   "the simulated network delivered a forwarded proposal twice, and it was applied twice — which raftkv's TCP transport never does (a bug of the simulator)",
		Fix:   "sim/member_slot.go (send: proposals are lost, delayed and reordered, never doubled)",
		Found: "seed 2655",
		Config: func(seed uint64) MemberConfig {
			cfg := scripted(seed, 3, duplicatingNetworkScript())
			// Many writes to few keys: a second copy would land after
			// another client's write to its key.
			cfg.Clients, cfg.Keys = 8, 2
			return cfg
		},
	},
	{
		Name:  "write-pending-at-the-end-is-in-the-history",
		Bug:   "writes still waiting for an answer when the run ended were left out of the history, so a read of what one wrote looked like a read of a value nobody wrote (a bug of the simulator's checks)",
		Fix:   "sim/member_checks.go (finalChecks: a write still waiting is an operation of unknown outcome)",
		Found: "seed 135",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, pendingAtTheEndScript())
		},
	},
	{
		Name:  "torn-wal-tail-is-cut",
		Bug:   "a crash in the middle of a WAL write left a tail the restart took for corruption: the member refused to start after an ordinary crash",
		Fix:   "wal/scanner.go, wal/repair.go (a torn last write is cut, and kept in a .broken file)",
		Found: "seeds 67, 131, 654, 1845",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, tornTailScript())
		},
	},
	{
		Name:  "wal-flip-before-a-completed-write-is-corruption",
		Bug:   "a bit flipped in a hard-state record was taken for a torn tail, and the acknowledged entries after it were cut",
		Fix:   "wal/scanner.go (tornUnlessFollowed: damage that a valid record follows is corruption)",
		Found: "seed 18",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, walFlipScript())
		},
	},
	{
		Name:  "wal-flip-in-the-last-write-may-be-cut",
		Bug:   "the simulator required a member to refuse to start over a bit flipped in its WAL's last write, which the WAL cannot tell from a torn write (a bug of the simulator)",
		Fix:   "sim/member_faults.go (completedWriteAfter: only damage that a completed write follows must be refused)",
		Found: "seeds 836, 966",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, walFlipInLastWriteScript())
		},
	},
	{
		Name:  "joined-member-restarted-before-its-first-entries",
		Bug:   "a member that joined and stopped before its first entries restarted knowing no peer, and stayed at index 0 for ever",
		Fix:   "server/boot.go (restart asks the peers when the membership on disk is empty)",
		Found: "seed 14",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 3, joinedRestartScript())
		},
	},
	{
		Name:  "member-down-while-its-new-leader-joined",
		Bug:   "a member that was down while a new member joined could never answer that member once it led: its transport had no address for it",
		Fix:   "server/rediscover.go (a message from an unknown member makes the member ask its peers who is in the cluster)",
		Found: "seed 29",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 5, downWhileJoinedScript())
		},
	},
	{
		Name:  "joining-member-believes-the-most-advanced-peer",
		Bug:   "a joining member took the ID of a just-removed member from a lagging peer's member list, and was never sent the log",
		Fix:   "server/peers.go (fetchCluster asks every peer and believes the most advanced); the simulator's fetchCluster does the same (sim/member_slot.go)",
		Found: "seed 5",
		Config: func(seed uint64) MemberConfig {
			return scripted(seed, 5, laggingPeerScript())
		},
	},
	{
		Name:  "restart-missing-committed-entries-names-the-damaged-snapshot",
		Bug:   "a restart that would miss committed entries (its newest snapshot, received from the leader, damaged) failed with raft's message, which names no file",
		Fix:   "server/boot.go (restart checks that the snapshots and the WAL reach the commit index)",
		Found: "seed 2430",
		Config: func(seed uint64) MemberConfig {
			cfg := scripted(seed, 3, damagedSnapshotScript())
			// Snapshots far enough apart that the member does not take one
			// of its own right after the leader's.
			cfg.SnapshotCount, cfg.SnapshotCatchUpEntries = 100, 10
			return cfg
		},
	},
}

// FindRegression looks a regression script up by name.
func FindRegression(name string) (Regression, error) {
	for _, r := range Regressions {
		if r.Name == name {
			return r, nil
		}
	}
	var names []string
	for _, r := range Regressions {
		names = append(names, r.Name)
	}
	return Regression{}, fmt.Errorf("unknown regression %q (known: %v)", name, names)
}

// scripted is a run of members members with no random faults, clients at
// the default load, and script: it must stage its story in the first 14 s,
// before the final calm of 6 s in which the cluster must make progress.
func scripted(seed uint64, members int, script []MemberStep) MemberConfig {
	cfg := DefaultMemberConfig(seed)
	cfg.Members = members
	cfg.Faults = FaultSet{}
	cfg.Duration, cfg.HealBefore = 20*Second, 6*Second
	cfg.Script = script
	return cfg
}

// leads is a condition: some member leads and has applied at least n
// entries (the clients are at work).
func leads(n uint64) func(*MemberScript) bool {
	return func(sc *MemberScript) bool {
		l := sc.Leader()
		return l >= 0 && sc.Member(l).Applied() >= n
	}
}

// caughtUp is a condition: the member labelled name runs and has applied
// as much as the leader, give or take what is in flight.
func caughtUp(name string) func(*MemberScript) bool {
	return func(sc *MemberScript) bool {
		i, l := sc.Node(name), sc.Leader()
		return i >= 0 && l >= 0 && sc.Up(i) && sc.Member(i).Applied()+10 >= sc.Member(l).Applied()
	}
}

// tornWAL returns why slot i's WAL ends in a torn write (nil if it does
// not): the bytes after its last valid record are a write that never
// completed, which the restart will cut off.
func (sc *MemberScript) tornWAL(i int) error {
	sl := sc.s.slots[i]
	end, err := wal.Walk(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"), func(wal.Record) error { return nil })
	if err != nil {
		return nil
	}
	return end.Torn
}

// tornTailScript: a member's disk fails in the middle of a WAL write and
// the power goes; the restart must cut the torn write off and start (it was
// never synced, so never acknowledged), then catch up.
func tornTailScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {F}'s disk will fail in the middle of its next write",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.FailDiskAfter(sc.Node("F"), 1)
			}},
		{Say: "{F} crashed in the middle of a write, and its WAL ends in a torn write",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				f := sc.Node("F")
				if sc.Up(f) {
					return false
				}
				if sc.tornWAL(f) != nil {
					return true
				}
				// The write that failed was not a WAL write, or the crash
				// kept all of it or none: try again.
				sc.Note("{F}'s crash left no torn write; restart it and fail its disk again")
				sc.Restart(f)
				sc.FailDiskAfter(f, 1)
				return false
			}},
		{Say: "restart {F}: it must cut the torn write off and start",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} started, said it cut a torn write, and caught up with the leader",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				return caughtUp("F")(sc) && sc.Logged(sc.Node("F"), "ended in a torn write")
			}},
	}
}

// walRecords returns the records of slot i's WAL, oldest first (their
// entries left out).
func (sc *MemberScript) walRecords(i int) []wal.Record {
	sl := sc.s.slots[i]
	var recs []wal.Record
	_, _ = wal.Walk(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"), func(r wal.Record) error {
		r.Entries = nil
		recs = append(recs, r)
		return nil
	})
	return recs
}

// flipInWAL flips bit bit of byte at of record k of slot i's WAL (the
// member is down), and marks the slot damaged — with the refusal to start
// that the WAL then owes, as the random corrupt fault does (flipBit).
func (sc *MemberScript) flipInWAL(i int, recs []wal.Record, k int, at int64, bit uint) {
	sl := sc.s.slots[i]
	r := recs[k]
	file := path.Join(sl.cfg.DataDir, "member", "wal", r.Segment)
	if err := sl.disk.FlipBit(file, r.Offset+at, bit); err != nil {
		sc.Fail("script: flip a bit in %s: %v", file, err)
		return
	}
	sl.corrupted = true
	sl.mustRefuse = r.Segment == recs[len(recs)-1].Segment && completedWriteAfter(recs[k+1:])
	sc.s.res.Stats.Corruptions++
	sc.Note("flip bit %d of byte %d of %s's WAL segment %s (inside a %s record, %d of %d)", bit, r.Offset+at, sl.name, r.Segment, r.Type, k+1, len(recs))
}

// walFlipScript: a bit flips in the length of a hard-state record of a
// stopped member's WAL, and records of a completed write follow it. The
// damaged length runs past the end of the segment, which looks like a
// write cut short — but a crash cannot damage a write that a completed one
// follows. The member must refuse to start, naming the file, and be
// replaced; cutting the "tail" would drop acknowledged entries.
func walFlipScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {F} crashes",
			Until: leads(100), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.Crash(sc.Node("F"))
			}},
		{Say: "a bit flips in the length of {F}'s newest hard state that a completed write follows: it now runs past the end of its segment",
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				recs := sc.walRecords(f)
				k := -1
				for j := len(recs) - 1; j >= 0 && recs[j].Segment == recs[len(recs)-1].Segment; j-- {
					if recs[j].Type == wal.RecordHardState && completedWriteAfter(recs[j+1:]) {
						k = j
						break
					}
				}
				if k < 0 {
					sc.Fail("script: %s's newest WAL segment has no hard state that a completed write follows", sc.Name(f))
					return
				}
				// Bit 0 of the length's third byte adds 64 KiB: more than the
				// segment holds.
				sc.flipInWAL(f, recs, k, 2, 0)
				if !sc.s.slots[f].mustRefuse {
					sc.Fail("script: the damage in %s's WAL does not oblige it to refuse to start", sc.Name(f))
				}
			}},
		{Say: "restart {F}: it must refuse to start, naming the damaged file",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} refused to start; the operator replaces it",
			Within: 100 * Millisecond,
			Until:  func(sc *MemberScript) bool { return sc.s.slots[sc.Node("F")].state == slotCorrupt }},
		{Say: "{F}'s replacement joined, was promoted and caught up",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("F")(sc) }},
	}
}

// walFlipInLastWriteScript: a bit flips in the last record of a stopped
// member's WAL. Nothing follows it, so it looks exactly like a write a
// crash tore: the WAL may cut it and start (the limit of its rule,
// docs/persistence.md), and the simulator must not require a refusal.
func walFlipInLastWriteScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write",
			Until: leads(100), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
			}},
		{Say: "{F} crashed, its WAL ending with entries or a hard state",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				f := sc.Node("F")
				if sc.Up(f) {
					sc.Crash(f)
					return false
				}
				recs := sc.walRecords(f)
				if n := len(recs); n > 0 && (recs[n-1].Type == wal.RecordEntries || recs[n-1].Type == wal.RecordHardState) {
					return true
				}
				// It ends with a snapshot's marker: try again.
				sc.Restart(f)
				return false
			}},
		{Say: "a bit flips in the last record of {F}'s WAL: nothing follows it, as nothing follows a torn write",
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				recs := sc.walRecords(f)
				sc.flipInWAL(f, recs, len(recs)-1, 12, 0) // the payload's first byte: the CRC no longer checks out
			}},
		{Say: "restart {F}: it cuts the damaged record like a torn write, and starts",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} started and caught up",
			Within: 5 * Second, Until: caughtUp("F")},
	}
}

// The operator's replacement, as a script sees it.
func (sc *MemberScript) operatorPhase() operatorPhase { return sc.s.op.phase }

// peersKnown is how many peers slot i's transport can send to.
func (sc *MemberScript) peersKnown(i int) int { return len(sc.s.slots[i].peers) }

// joinedRestartScript: a member joins (--initial-cluster-state existing)
// and stops before the leader's first entries reach it, so it has no
// membership on disk. Restarted, it must still know where its peers are —
// from --initial-cluster, as a joining member asks — or it can answer no
// one, and nothing ever reaches it.
func joinedRestartScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; the operator replaces {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("X", sc.Other(sc.Leader()))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "{X}'s old member is out and its disk wiped; cut {X}'s machine off, so that the new member hears nothing",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.operatorPhase() == opAdding },
			Do:     func(sc *MemberScript) { sc.Isolate(sc.Node("X")) }},
		{Say: "the new member started on {X} (member add --learner, then --initial-cluster-state existing); it crashes before anything reached it",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				x := sc.Node("X")
				return sc.Up(x) && sc.Member(x).ID() != sc.s.op.oldID
			},
			Do: func(sc *MemberScript) { sc.Crash(sc.Node("X")) }},
		{Say: "restart it: it has no membership on disk, yet knows where its peers are",
			Do: func(sc *MemberScript) {
				x := sc.Node("X")
				sc.Restart(x)
				switch m := sc.Member(x); {
				case m == nil:
					sc.Fail("script: the new member on %s did not restart", sc.Name(x))
				case m.Applied() != 0 || len(m.Members()) != 0:
					sc.Fail("script: the new member on %s restarted with applied index %d and %d members: something reached it before the crash", sc.Name(x), m.Applied(), len(m.Members()))
				case sc.peersKnown(x) == 0:
					sc.Fail("a joined member restarted with no membership on disk knows no peer: it cannot answer the leader")
				}
			}},
		{Say: "reconnect {X}: the new member catches up, is promoted, and the replacement ends",
			Do: func(sc *MemberScript) { sc.Reconnect(sc.Node("X")) }},
		{Say: "the replacement of {X} is done, and it has caught up",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) }},
	}
}

// knows reports whether slot i's transport can send to member id.
func (sc *MemberScript) knows(i int, id uint64) bool { return sc.s.slots[i].peers[id] }

// transferLeadership asks the leader to hand leadership to slot to.
func (sc *MemberScript) transferLeadership(to int) {
	l := sc.Leader()
	if l < 0 || l == to || !sc.Up(to) {
		return
	}
	target := sc.Member(to).ID()
	sc.s.input(sc.s.slots[l], func(m *server.Member) { m.TransferLeadership(target) })
}

// downWhileJoinedScript: a member is down while another is replaced by a
// new one, which then becomes the leader. Restarted, the member's
// membership (from its disk) does not have the leader, so its transport
// has no address for it: the leader's appends arrive, but the replies go
// nowhere — and the log that would bring the address can only come from
// that leader. It must ask its peers who is in the cluster.
func downWhileJoinedScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {D} crashes, and the operator replaces {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("D", sc.Other(l))
				sc.Label("X", sc.Other(l, sc.Node("D")))
				sc.Crash(sc.Node("D"))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "{X}'s new member joined and was promoted, while {D} was down: hand it the leadership",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) },
			Do:     func(sc *MemberScript) { sc.transferLeadership(sc.Node("X")) }},
		{Say: "{X}'s new member leads; restart {D}, whose membership does not have it",
			Within: 3 * Second,
			Until:  func(sc *MemberScript) bool { return sc.Leader() == sc.Node("X") },
			Do: func(sc *MemberScript) {
				d, x := sc.Node("D"), sc.Node("X")
				sc.Restart(d)
				if !sc.Up(d) {
					sc.Fail("script: %s did not restart", sc.Name(d))
					return
				}
				if sc.knows(d, sc.Member(x).ID()) {
					sc.Fail("script: %s restarted knowing the new leader's address: the situation is not the one this script is about", sc.Name(d))
				}
			}},
		{Say: "{D} answered the new leader and caught up",
			Within: 5 * Second, Until: caughtUp("D")},
	}
}

// listedAt returns the ID slot i's member lists under slot j's peer URL (0 if
// none).
func (sc *MemberScript) listedAt(i, j int) uint64 {
	info, ok := memberWithURL(sc.Member(i).Members(), sc.s.slots[j].peerURL)
	if !ok {
		return 0
	}
	return info.ID
}

// laggingPeerScript: a member is replaced while one of its peers lags,
// cut off since before the removal: it still lists the removed member
// under the very peer URL the new member joins with. A joining member that
// believed that peer would take the removed member's ID, and nobody would
// ever send it the log. It must believe the most advanced peer.
func laggingPeerScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; cut {P} off, and replace {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("X", sc.Other(l))
				// The lagging peer comes first in --initial-cluster, so it
				// is the first to answer a joining member.
				sc.Label("P", sc.Other(-1, l, sc.Node("X")))
				sc.Isolate(sc.Node("P"))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "the new member for {X} is added, and {P} still lists the removed member under {X}'s peer URL",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.operatorPhase() == opAdding && sc.s.op.newID != 0 },
			Do: func(sc *MemberScript) {
				if id := sc.listedAt(sc.Node("P"), sc.Node("X")); id != sc.s.op.oldID {
					sc.Fail("script: %s lists %x under %s's peer URL, not the removed member %x", sc.Name(sc.Node("P")), id, sc.Name(sc.Node("X")), sc.s.op.oldID)
				}
			}},
		{Say: "the new member started on {X} under its own ID; reconnect {P}",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				x := sc.Node("X")
				return sc.operatorPhase() == opPromoting && sc.Up(x) && sc.Member(x).ID() == sc.s.op.newID
			},
			Do: func(sc *MemberScript) { sc.Reconnect(sc.Node("P")) }},
		{Say: "the new member was promoted and caught up, and so did {P}",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) && caughtUp("P")(sc) }},
	}
}

// snapshotIndexes returns the indexes of the snapshot files on slot i's
// disk, oldest first, and the newest one's path.
func (sc *MemberScript) snapshotIndexes(i int) (indexes []uint64, newest string) {
	sl := sc.s.slots[i]
	dir := path.Join(sl.cfg.DataDir, "member", "snap")
	names, _ := sl.disk.ReadDir(dir)
	slices.Sort(names)
	for _, n := range names {
		var term, index uint64
		if _, err := fmt.Sscanf(n, "%016x-%016x.snap", &term, &index); err == nil && path.Ext(n) == ".snap" {
			indexes = append(indexes, index)
			newest = path.Join(dir, n)
		}
	}
	return indexes, newest
}

// received is the index of the snapshot slot i's member logged it
// restored from the leader (0 if none).
func (sc *MemberScript) received(i int) uint64 {
	var index uint64
	for _, l := range sc.logged {
		var term uint64
		if l.slot == i {
			if _, err := fmt.Sscanf(l.text, "restored snapshot at index %d (term %d) from the leader", &index, &term); err == nil {
				return index
			}
		}
	}
	return 0
}

// markers returns the snapshot markers slot i's WAL holds (those a restart
// may start from).
func (sc *MemberScript) markers(i int) []uint64 {
	sl := sc.s.slots[i]
	ms, _ := wal.ValidSnapshots(sl.disk, path.Join(sl.cfg.DataDir, "member", "wal"))
	var out []uint64
	for _, m := range ms {
		out = append(out, m.Index)
	}
	return out
}

// damagedSnapshotScript: a member is down for a while, and catches up by a snapshot from
// the leader — a jump in its log, from the last entry it had to the
// snapshot's index. Stopped, that snapshot is damaged: the restart sets it
// aside and starts from the member's own older snapshot, whose WAL holds
// the entries after it up to the jump and then those after the jump, but
// not the ones in between, which were committed. It must refuse, naming
// its data directory and the damaged snapshot (and the operator replaces
// it), not stop with raft's error about a commit index out of range, which
// names no file.
func damagedSnapshotScript() []MemberStep {
	var before uint64 // what F had applied when it was cut off
	return []MemberStep{
		{Say: "{L} leads, clients write; {F} has a snapshot of its own: it crashes",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				l := sc.Leader()
				if l < 0 || sc.Member(l).Applied() < 120 {
					return false
				}
				snaps, _ := sc.snapshotIndexes(sc.Other(l))
				return len(snaps) > 0
			},
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				before = sc.Member(sc.Node("F")).Applied()
				sc.Crash(sc.Node("F"))
			}},
		{Say: "the others have gone on, and compacted the log {F} would need: restart it",
			Within: 10 * Second,
			Until: func(sc *MemberScript) bool {
				l := sc.Leader()
				if l < 0 {
					return false
				}
				snaps, _ := sc.snapshotIndexes(l)
				return len(snaps) > 0 && snaps[len(snaps)-1] > before+sc.s.cfg.SnapshotCatchUpEntries
			},
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} restored a snapshot from the leader, a jump in its log: crash it, and flip a bit in that snapshot",
			Within: 3 * Second,
			Until:  func(sc *MemberScript) bool { return sc.received(sc.Node("F")) > 0 },
			Do: func(sc *MemberScript) {
				f := sc.Node("F")
				sc.Crash(f)
				n := sc.received(f)
				snaps, newest := sc.snapshotIndexes(f)
				markers := sc.markers(f)
				if len(snaps) < 2 || snaps[len(snaps)-1] != n || snaps[len(snaps)-2] > before || !slices.Contains(markers, snaps[len(snaps)-2]) {
					sc.Fail("script: %s's snapshots are at %v (WAL markers %v); want the received one (%d) newest, and before it one of its own, at or below %d, that its WAL knows", sc.Name(f), snaps, markers, n, before)
					return
				}
				sl := sc.s.slots[f]
				st, err := sl.disk.Stat(newest)
				if err != nil || sl.disk.FlipBit(newest, st.Size/2, 3) != nil {
					sc.Fail("script: cannot flip a bit in %s: %v", newest, err)
					return
				}
				sl.corrupted, sl.mustRefuse = true, true
				sc.s.res.Stats.Corruptions++
				sc.Note("flip bit 3 of byte %d of %s: without it there is the snapshot at %d, and entries up to about %d, then after %d", st.Size/2, newest, snaps[len(snaps)-2], before, n)
			}},
		{Say: "restart {F}: it must refuse, naming its data directory and the damaged snapshot",
			Do: func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{F} refused to start; the operator replaces it",
			Within: 100 * Millisecond,
			Until:  func(sc *MemberScript) bool { return sc.s.slots[sc.Node("F")].state == slotCorrupt }},
		{Say: "{F}'s replacement joined, was promoted and caught up",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("F")(sc) }},
	}
}

// stalled counts the members that know no leader and hold at least n
// requests waiting for one.
func (sc *MemberScript) stalled(n int) int {
	count := 0
	for i := range sc.Members() {
		if m := sc.Member(i); m != nil {
			if lead, _ := m.Leader(); lead == 0 && m.Stats().ProposalsPending >= n {
				count++
			}
		}
	}
	return count
}

// orderOfRequestsScript: with no leader, requests pile up at every member,
// waiting; once a leader is elected they are all retried at once (or, past
// their deadline, all failed at once). Done in Go's map order, they went
// into the log, and clients heard their answers, in a different order on
// every run: a seed did not replay. TestRegressions runs this twice and
// compares the runs.
func orderOfRequestsScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; cut every member off from every other: no one can lead",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				for i := range sc.Members() {
					sc.Isolate(i)
				}
			}},
		{Say: "no member knows a leader; two hold requests waiting for one, one of them three or more: heal the network",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				return sc.stalled(0) == sc.Members() && sc.stalled(2) >= 2 && sc.stalled(3) >= 1
			},
			Do: func(sc *MemberScript) { sc.HealNetwork() }},
		{Say: "{N} leads, and the waiting requests go to it, in the order they were made",
			Within: 3 * Second,
			Until: func(sc *MemberScript) bool {
				if l := sc.Leader(); l >= 0 {
					sc.Label("N", l)
					return true
				}
				return false
			}},
	}
}

// writeSeenWhilePending finds a client whose write, sent through slot i,
// still waits for its answer while another client has already read what it
// wrote (-1 if none).
func (sc *MemberScript) writeSeenWhilePending(i int) (int, string) {
	for ci, c := range sc.s.clients {
		r := c.cur
		if c.gone || r == nil || r.outcome != pending || r.member != sc.Name(i) || (r.kind != opPut && r.kind != opCAS) {
			continue
		}
		for _, o := range sc.s.hist.ops {
			if o.outcome == outcomeOK && (o.kind == opGet || o.kind == opGetSerializable) && o.found && o.got.value == r.value {
				return ci, r.String()
			}
		}
	}
	return -1, ""
}

// pendingAtTheEndScript: a client dies while its write waits for an
// answer, after another client has read what that write wrote. The end of
// the run finds the write neither acknowledged nor failed: it may have
// happened, and it must be in the history the checks judge (as an
// operation of unknown outcome), or the read looks like a read of a value
// nobody wrote. (The same happens to any write still in flight when a run
// ends.)
func pendingAtTheEndScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {F}'s disk becomes slow: writes through it take effect long before it answers",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.SlowDisk(sc.Node("F"))
			}},
		{Say: "a client's write through {F} waits for its answer, and another client has read what it wrote: the first client dies",
			Within: 8 * Second,
			Until: func(sc *MemberScript) bool {
				c, write := sc.writeSeenWhilePending(sc.Node("F"))
				if c < 0 {
					return false
				}
				sc.s.clients[c].stop()
				sc.Note("the write that will never be answered: %s", write)
				return true
			}},
		{Say: "{F}'s disk is fast again; the run ends with that write still waiting",
			After: Second,
			Do:    func(sc *MemberScript) { sc.FastDisk(sc.Node("F")) }},
	}
}

// duplicatingNetworkScript: the network delivers many messages twice for a
// while. Raft takes duplicates in its stride — all but a proposal a
// follower forwards to the leader: a second copy is a second request,
// applied twice (a delete applied again after a later put). raftkv's
// transport, over TCP, never delivers a message twice, and only client
// sessions with serial numbers (Raft thesis §6.3) could tell the copies
// apart; so the simulated network must not double proposals either.
func duplicatingNetworkScript() []MemberStep {
	var before int
	return []MemberStep{
		{Say: "{L} leads, clients write through every member; the network starts delivering a third of the messages twice, up to 60 ms apart",
			Until: leads(30), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.s.net.dupRate, sc.s.net.maxDelay = 0.3, 60*Millisecond
				before = sc.s.proposalsNotDoubled
			}},
		{Say: "the network would have doubled 25 proposals forwarded to {L}: it delivers messages once again",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return sc.s.proposalsNotDoubled-before >= 25 },
			Do:     func(sc *MemberScript) { sc.s.net.dupRate, sc.s.net.maxDelay = 0, 2*Millisecond }},
	}
}

// promotionOf returns the index of the entry in m that promotes member id
// (0 if none): a configuration change adding it as a voter.
func promotionOf(m raft.Message, id uint64) uint64 {
	for _, e := range m.Entries {
		var cc raft.ConfChange
		if e.Type == raft.EntryConfChange && cc.UnmarshalBinary(e.Data) == nil && cc.Type == raft.ConfChangeAddVoter && cc.NodeID == id {
			return e.Index
		}
	}
	return 0
}

// listsAsVoter reports whether the member on slot i lists slot j's member (as the
// operator's replacement left it) as a voter.
func (sc *MemberScript) listsAsVoter(i, j int) bool {
	info, ok := memberWithURL(sc.Member(i).Members(), sc.s.slots[j].peerURL)
	return ok && info.ID == sc.Member(j).ID() && !info.IsLearner
}

// damageSyncedWAL flips a bit in a record of slot i's WAL (the member is
// down) that a completed write follows: the member must refuse to start.
func (sc *MemberScript) damageSyncedWAL(i int) {
	recs := sc.walRecords(i)
	for k := len(recs) - 1; k >= 0; k-- {
		if recs[k].Type == wal.RecordEntries && completedWriteAfter(recs[k+1:]) {
			sc.flipInWAL(i, recs, k, 12, 0)
			return
		}
	}
	sc.Fail("script: %s's WAL has no record that a completed write follows", sc.Name(i))
}

// promotionAppliedScript: a new member's promotion commits on the leader,
// and the leader applies it; the other two members have it in their logs
// but do not know yet that it committed, so their configuration still has
// the new member as a learner (a configuration takes effect when applied,
// as in etcd). If the leader were lost for good right then, neither could
// be elected: the follower needs the leader's vote, the new member is no
// voter in its own eyes. So an operator waits until every member has
// applied the promotion before calling the replacement done — and only
// then does anything else (here, the leader's disk fails for good).
func promotionAppliedScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; the operator replaces {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("G", sc.Other(l))
				sc.Label("X", sc.Other(l, sc.Node("G")))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "the new member on {X} has joined; once {G} acknowledges its promotion, what {L} sends {G} and {X} is lost for a second",
			Within: 8 * Second,
			Until: func(sc *MemberScript) bool {
				return sc.operatorPhase() == opPromoting && sc.Up(sc.Node("X")) && sc.Member(sc.Node("X")).ID() == sc.s.op.newID
			},
			Do: func(sc *MemberScript) {
				l, g, x := sc.Node("L"), sc.Node("G"), sc.Node("X")
				id := sc.s.op.newID
				var promotion uint64
				sc.watch = func(from int, m raft.Message) {
					switch {
					case from == l && m.To == sc.Member(g).ID() && promotion == 0:
						promotion = promotionOf(m, id)
					case from == g && m.Type == raft.MsgAppResp && !m.Reject && promotion != 0 && m.Index >= promotion:
						sc.watch = nil
						sc.CutOneWay(l, g)
						sc.CutOneWay(l, x)
						sc.Note("%s acknowledged the promotion (index %d): the links from %s are cut", sc.Name(g), promotion, sc.Name(l))
						sc.s.after(Second, func() {
							sc.HealNetwork()
							sc.Note("the links from %s are back", sc.Name(l))
						})
					}
				}
			}},
		{Say: "the promotion is applied on {L}; {G} does not know it committed",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.listsAsVoter(sc.Node("L"), sc.Node("X")) },
			Do: func(sc *MemberScript) {
				if sc.listsAsVoter(sc.Node("G"), sc.Node("X")) {
					sc.Fail("script: %s applied the promotion as soon as %s did", sc.Name(sc.Node("G")), sc.Name(sc.Node("L")))
				}
			}},
		{Say: "the operator calls the replacement done; {L}'s disk fails for good",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() },
			Do: func(sc *MemberScript) {
				l := sc.Node("L")
				sc.Crash(l)
				sc.damageSyncedWAL(l)
				sc.Restart(l)
			}},
		{Say: "{G} and {X} elect a leader, and the operator replaces {L}",
			Within: 10 * Second,
			Until: func(sc *MemberScript) bool {
				return sc.Leader() >= 0 && sc.Leader() != sc.Node("L") && !sc.Replacing() && caughtUp("L")(sc)
			}},
	}
}

// removalOf returns the index of the entry in m that removes member id (0
// if none).
func removalOf(m raft.Message, id uint64) uint64 {
	for _, e := range m.Entries {
		var cc raft.ConfChange
		if e.Type == raft.EntryConfChange && cc.UnmarshalBinary(e.Data) == nil && cc.Type == raft.ConfChangeRemove && cc.NodeID == id {
			return e.Index
		}
	}
	return 0
}

// staleLeaderScript: the operator removes a member, and its member add
// gets no answer: the leader crashed. The new leader has the removal in
// its log but has not applied it yet (its disk is slow, and its
// predecessor's commit never reached it), so its member list still has
// the removed member under the very peer URL the new member is to use.
// The operator must not take that for its addition: the new member would
// join under the removed member's ID, and nobody would ever send it the
// log.
func staleLeaderScript() []MemberStep {
	slowOthers := func(sc *MemberScript, d Time) {
		for i := range sc.Members() {
			if i != sc.Node("L") {
				sc.FsyncTakes(i, d)
			}
		}
	}
	return []MemberStep{
		{Say: "{L} leads, clients write; the operator replaces {X}; once two members acknowledge the removal, what {L} sends is lost",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("X", sc.Other(l))
				sc.Replace(sc.Node("X"))
				id := sc.s.op.oldID
				var removal uint64
				acks := map[int]bool{}
				sc.watch = func(from int, m raft.Message) {
					switch {
					case from == l && removal == 0:
						removal = removalOf(m, id)
					case from != l && m.Type == raft.MsgAppResp && !m.Reject && removal != 0 && m.Index >= removal:
						acks[from] = true
						if len(acks) == 2 {
							sc.watch = nil
							for i := range sc.Members() {
								if i != l {
									sc.CutOneWay(l, i)
								}
							}
							sc.Note("two members acknowledged the removal (index %d): the links from %s are cut", removal, sc.Name(l))
						}
					}
				}
			}},
		{Say: "{L} applied the removal and the operator sent it member add: {L} crashes, the others' disks become slow",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.operatorPhase() == opAdding && sc.s.op.waiting(sc.Now()) },
			Do: func(sc *MemberScript) {
				sc.Crash(sc.Node("L"))
				sc.HealNetwork()
				slowOthers(sc, 800*Millisecond)
			}},
		{Say: "{N} leads, and has not applied the removal: it lists the removed member under {X}'s peer URL; the operator, with no answer to its member add, looks at the cluster",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				n := sc.Leader()
				if n < 0 || n == sc.Node("L") || sc.s.op.newID != 0 || sc.listedAt(n, sc.Node("X")) != sc.s.op.oldID {
					return false
				}
				sc.Label("N", n)
				return true
			},
			Do: func(sc *MemberScript) {
				sc.s.operatorStep()
				slowOthers(sc, 0)
				sc.Restart(sc.Node("L"))
			}},
		{Say: "a new member started on {X}, under an ID of its own",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return sc.Up(sc.Node("X")) },
			Do: func(sc *MemberScript) {
				if id := sc.Member(sc.Node("X")).ID(); id == sc.s.op.oldID {
					sc.Fail("the operator took a stale member list for its member add: the new member on %s started under the removed member's ID %x", sc.Name(sc.Node("X")), id)
				}
			}},
		{Say: "the replacement of {X} is done, and it has caught up",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) }},
	}
}
