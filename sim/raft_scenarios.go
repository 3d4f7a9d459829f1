package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/raftkv/raftkv/raft"
)

// A Scenario is a named teaching run: one of Raft's safety rules switched
// off (raft.UnsafeRules, only in builds tagged raftunsafe), and a fault mix
// chosen to make the consequence appear quickly. Run searches seeds from 1
// until the simulator's checker catches the violation, and reports which
// invariant caught it and the command that replays it.
type Scenario struct {
	Name  string
	About string
	// Config returns the run for one seed.
	Config func(seed uint64) RaftConfig
}

// Scenarios lists the break-a-rule scenarios of the book.
var Scenarios = []Scenario{
	{
		Name:  "figure8",
		About: "commit an entry of an earlier term by counting replicas (§5.4.2, Figure 8)",
		Config: func(seed uint64) RaftConfig {
			cfg := DefaultRaftConfig(seed)
			cfg.Nodes, cfg.Duration, cfg.HealBefore = 5, 20*Second, 6*Second
			cfg.Faults = FaultSet{}
			cfg.ProposalEvery = 100 * Millisecond
			// One entry per message, and a network that loses every append
			// of an entry from the sender's current term: only entries a
			// leader wrote in an earlier term get through (Figure 8's (c)).
			cfg.MaxMsgSize = 1
			cfg.LoseCurrentTermAppends = true
			cfg.Unsafe = raft.UnsafeRules{CommitOldTermByCounting: true}
			cfg.Script = figure8Script()
			return cfg
		},
	},
	{
		Name:  "vote-not-persisted",
		About: "send a vote before it is on disk (Figure 2: persist currentTerm and votedFor before responding)",
		Config: func(seed uint64) RaftConfig {
			cfg := DefaultRaftConfig(seed)
			cfg.Nodes, cfg.Duration, cfg.HealBefore = 3, 20*Second, 6*Second
			cfg.Faults = FaultSet{}
			cfg.MinFsync = 200 * Millisecond // a slow disk: a vote takes long to become durable
			cfg.Unsafe = raft.UnsafeRules{SendVoteBeforePersist: true}
			cfg.Script = voteScript()
			return cfg
		},
	},
	{
		Name:  "no-up-to-date-check",
		About: "grant votes without the election restriction (§5.4.1)",
		Config: func(seed uint64) RaftConfig {
			cfg := churnConfig(seed, 5)
			cfg.Unsafe = raft.UnsafeRules{SkipUpToDateCheck: true}
			return cfg
		},
	},
	{
		Name:  "no-prevote",
		About: "campaign without PreVote (thesis §9.6): a node rejoining after a partition deposes a healthy leader",
		Config: func(seed uint64) RaftConfig {
			cfg := DefaultRaftConfig(seed)
			cfg.Nodes, cfg.Duration, cfg.HealBefore = 3, 15*Second, 5*Second
			cfg.Faults = FaultSet{}
			cfg.DisablePreVote = true
			cfg.Script = disruptionScript()
			return cfg
		},
	},
	{
		Name:  "early-read-index",
		About: "serve ReadIndex before the new leader has committed an entry of its term (etcd #7331)",
		Config: func(seed uint64) RaftConfig {
			cfg := churnConfig(seed, 3)
			cfg.Unsafe = raft.UnsafeRules{ReadIndexBeforeTermCommit: true}
			cfg.ReadEvery = 5 * Millisecond
			return cfg
		},
	},
}

// churnConfig is a run with constant leadership churn: the leader is
// isolated or crashed every few hundred milliseconds, and messages are lost
// often, so that logs diverge and terms move fast.
func churnConfig(seed uint64, nodes int) RaftConfig {
	cfg := DefaultRaftConfig(seed)
	cfg.Nodes = nodes
	cfg.Duration = 20 * Second
	cfg.HealBefore = 5 * Second
	cfg.ProposalEvery = 5 * Millisecond
	rng := rand.New(rand.NewPCG(seed, 0xc4a05))
	cfg.Schedule = churnSchedule(rng, nodes, cfg.Duration-cfg.HealBefore)
	cfg.Faults = FaultSet{Drop: true, Delay: true}
	return cfg
}

func churnSchedule(rng *rand.Rand, nodes int, until Time) []Fault {
	var out []Fault
	between := func(lo, hi Time) Time { return lo + Time(rng.Int64N(int64(hi-lo))) }
	for t := 500 * Millisecond; t < until; t += between(300*Millisecond, 1500*Millisecond) {
		switch rng.IntN(3) {
		case 0:
			out = append(out, Fault{At: t, Kind: FaultIsolateLeader}, Fault{At: t + between(200*Millisecond, 1200*Millisecond), Kind: FaultHeal})
		case 1:
			n := rng.IntN(nodes)
			out = append(out, Fault{At: t, Kind: FaultCrash, Node: n}, Fault{At: t + between(50*Millisecond, 1500*Millisecond), Kind: FaultRestart, Node: n})
		default:
			out = append(out, randomPartition(rng, nodes, t), Fault{At: t + between(200*Millisecond, 1000*Millisecond), Kind: FaultHeal})
		}
	}
	slices.SortStableFunc(out, func(a, b Fault) int { return int(a.At - b.At) })
	return out
}

// FindScenario looks a scenario up by name.
func FindScenario(name string) (Scenario, error) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, nil
		}
	}
	var names []string
	for _, s := range Scenarios {
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q (known: %v)", name, names)
}

// figure8Script stages Figure 8 of the Raft paper with five nodes. A, B and
// C are whoever wins the first three elections.
func figure8Script() []RaftStep {
	leaderNotIn := func(sc *RaftScript, names ...string) int {
		l := sc.Leader()
		for _, n := range names {
			if l == sc.Node(n) {
				return -1
			}
		}
		return l
	}
	return []RaftStep{
		{Say: "{A} leads; cut it off: the entries clients give it reach no one (Figure 8 (a))",
			Until: func(sc *RaftScript) bool { return sc.Leader() >= 0 },
			Do:    func(sc *RaftScript) { sc.Label("A", sc.Leader()); sc.Isolate(sc.Node("A")) }},
		{Say: "{B} wins the next term; cut it off too: its entries stay on it alone (Figure 8 (b))", After: 1500 * Millisecond,
			Until: func(sc *RaftScript) bool { return leaderNotIn(sc, "A") >= 0 },
			Do:    func(sc *RaftScript) { sc.Label("B", sc.Leader()); sc.Isolate(sc.Node("B")) }},
		{Say: "{C} leads the three that remain; the network loses every append of the current term",
			Until: func(sc *RaftScript) bool { return leaderNotIn(sc, "A", "B") >= 0 },
			Do:    func(sc *RaftScript) { sc.Label("C", sc.Leader()) }},
		{Say: "{A} comes back, its log longer than anyone's, but from an old term", After: 300 * Millisecond,
			Do: func(sc *RaftScript) { sc.Reconnect(sc.Node("A")) }},
		{Say: "crash {C}: an election only {A} can win", After: 500 * Millisecond,
			Do: func(sc *RaftScript) { sc.Crash(sc.Node("C")) }},
		{Say: "{A} leads again, in a later term, and copies its old-term entries to a majority (Figure 8 (c))",
			Until: func(sc *RaftScript) bool { return sc.Leader() == sc.Node("A") }},
		{Say: "crash {A}; {B} returns, its last entry from a later term than anyone else's (Figure 8 (d))", After: 1500 * Millisecond,
			Do: func(sc *RaftScript) { sc.Crash(sc.Node("A")); sc.Reconnect(sc.Node("B")) }},
		{Say: "{B} wins, and overwrites the entries {A} had copied to a majority",
			Until: func(sc *RaftScript) bool { return sc.Leader() == sc.Node("B") }},
		{Say: "restart {A} and {C}", After: 1500 * Millisecond,
			Do: func(sc *RaftScript) { sc.Restart(sc.Node("A")); sc.Restart(sc.Node("C")) }},
	}
}

// voteScript stages a vote forgotten in a crash: a voter grants its vote and
// crashes before the vote is on disk; the candidate wins with it; the voter
// comes back knowing nothing of it and votes again in the same term.
func voteScript() []RaftStep {
	return []RaftStep{
		{Say: "{L} leads; crash it: the others will elect a new leader",
			Until: func(sc *RaftScript) bool { return sc.Leader() >= 0 },
			Do:    func(sc *RaftScript) { sc.Label("L", sc.Leader()); sc.Crash(sc.Node("L")) }},
		{Say: "{V} granted its vote to {X} before writing it to disk — crash {V} now, and bring it back: the vote is gone",
			Until: func(sc *RaftScript) bool {
				v, c, term := sc.LastGrant()
				return term > 0 && v != sc.Node("L") && c != sc.Node("L")
			},
			Do: func(sc *RaftScript) {
				v, c, _ := sc.LastGrant()
				sc.Label("V", v)
				sc.Label("X", c)
				sc.Crash(v)
				sc.Restart(v)
			}},
		{Say: "{X} won with {V}'s vote; cut {X} off, and bring back {L}, which campaigns in the same term",
			Until: func(sc *RaftScript) bool { return sc.Leader() == sc.Node("X") },
			Do:    func(sc *RaftScript) { sc.Isolate(sc.Node("X")); sc.Restart(sc.Node("L")) }},
	}
}

// disruptionScript cuts a follower off for a while and reconnects it; a
// healthy leader must keep its term.
func disruptionScript() []RaftStep {
	var term uint64
	return []RaftStep{
		{Say: "{L} leads; cut off follower {F} for four seconds",
			Until: func(sc *RaftScript) bool { return sc.Leader() >= 0 },
			Do: func(sc *RaftScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", (sc.Leader()+1)%3)
				sc.Isolate(sc.Node("F"))
			}},
		{Say: "reconnect {F}", After: 4 * Second,
			Do: func(sc *RaftScript) { term = sc.Term(sc.Node("L")); sc.Reconnect(sc.Node("F")) }},
		{Say: "three seconds later: has {L} kept its term?", After: 3 * Second,
			Do: func(sc *RaftScript) {
				if now := sc.Term(sc.Node("L")); now != term || sc.Leader() != sc.Node("L") {
					sc.Fail("availability: %s rejoining deposed the healthy leader %s (term %d became %d); PreVote exists to prevent this",
						sc.Name(sc.Node("F")), sc.Name(sc.Node("L")), term, now)
				}
			}},
	}
}
