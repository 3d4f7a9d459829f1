package sim

import "fmt"

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

// Regressions lists the member-level simulator's regression scripts: disk
// (member_regressions_disk.go), membership (…_membership.go), leases
// (…_leases.go), clients and the network (…_clients.go).
var Regressions = []Regression{
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
		Name:  "write-pending-at-the-end-is-in-the-history",
		Bug:   "writes still waiting for an answer when the run ended were left out of the history, so a read of what one wrote looked like a read of a value nobody wrote (a bug of the simulator's checks)",
		Fix:   "sim/member_checks.go (finalChecks: a write still waiting is an operation of unknown outcome)",
		Found: "seed 135",
		Config: func(seed uint64) MemberConfig {
			cfg := scripted(seed, 3, pendingAtTheEndScript())
			// Enough clients on few keys that someone reads a write soon.
			cfg.Clients, cfg.Keys = 8, 3
			return cfg
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
