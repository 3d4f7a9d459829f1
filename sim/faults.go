package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// FaultKind names one kind of thing that can go wrong.
type FaultKind uint8

const (
	// FaultPartition splits the nodes into groups that cannot reach each other.
	FaultPartition FaultKind = iota
	// FaultOneWay stops messages from one node to another, but not back.
	FaultOneWay
	// FaultIsolateLeader cuts off whoever leads at that moment.
	FaultIsolateLeader
	// FaultBridge splits the nodes in two halves with one node reaching both.
	FaultBridge
	// FaultHeal restores every link.
	FaultHeal
	// FaultCrash stops a node; a write in flight may be lost or torn.
	FaultCrash
	// FaultRestart brings a crashed node back from its durable state.
	FaultRestart
	// FaultCompact makes a node snapshot its state and compact its log.
	FaultCompact

	// The kinds below are used by the member-level simulation only.

	// FaultCorrupt flips a bit in a WAL segment or snapshot file of a
	// stopped member; it must then refuse to start.
	FaultCorrupt
	// FaultPause stops a member's clock and processing (a long GC pause, a
	// SIGSTOP, a VM migration); FaultResume lets it go on.
	FaultPause
	FaultResume
	// FaultSlowDisk makes a member's fsyncs slow until FaultDiskOK.
	FaultSlowDisk
	FaultDiskOK
)

var faultNames = [...]string{
	FaultPartition: "partition", FaultOneWay: "one-way", FaultIsolateLeader: "isolate-leader",
	FaultBridge: "bridge", FaultHeal: "heal", FaultCrash: "crash", FaultRestart: "restart",
	FaultCompact: "compact", FaultCorrupt: "corrupt", FaultPause: "pause", FaultResume: "resume",
	FaultSlowDisk: "slow-disk", FaultDiskOK: "disk-ok",
}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// Fault is one scheduled fault. Nodes are numbered from 0.
type Fault struct {
	At     Time
	Kind   FaultKind
	Node   int     // crash, restart, compact, bridge (the bridging node)
	From   int     // one-way
	To     int     // one-way
	Groups [][]int // partition
}

func (f Fault) String() string {
	switch f.Kind {
	case FaultPartition:
		var parts []string
		for _, g := range f.Groups {
			parts = append(parts, fmt.Sprint(nodeNames(g)))
		}
		return "partition " + strings.Join(parts, " | ")
	case FaultOneWay:
		return fmt.Sprintf("one-way cut n%d -> n%d", f.From+1, f.To+1)
	case FaultBridge:
		return fmt.Sprintf("bridge through n%d", f.Node+1)
	case FaultCrash, FaultRestart, FaultCompact, FaultCorrupt, FaultPause, FaultResume, FaultSlowDisk, FaultDiskOK:
		return fmt.Sprintf("%s n%d", f.Kind, f.Node+1)
	}
	return f.Kind.String()
}

func nodeNames(idx []int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = fmt.Sprintf("n%d", n+1)
	}
	return out
}

// FaultSet says which faults a run may inject.
type FaultSet struct {
	Drop      bool // lose messages
	Delay     bool // delay messages by varying amounts, which also reorders them
	Duplicate bool // deliver some messages twice
	Partition bool // partitions of every shape, and healing them
	Crash     bool // crash and restart nodes, tearing writes in flight
	Compact   bool // compact logs, so lagging nodes need snapshots
	SlowDisk  bool // fsyncs that take long, sometimes very long
	// Membership removes members (the leader too) and adds them back as
	// new learners that are then promoted, one change at a time.
	Membership bool
	// Corrupt flips a bit in a stopped member's WAL or snapshot (member
	// level only): it must refuse to start, and is replaced.
	Corrupt bool
	// Pause stops one member's clock and processing for a while (member
	// level only).
	Pause bool
}

// AllFaults enables everything.
var AllFaults = FaultSet{Drop: true, Delay: true, Duplicate: true, Partition: true, Crash: true, Compact: true, SlowDisk: true, Membership: true, Corrupt: true, Pause: true}

type faultOption struct {
	name string
	set  func(*FaultSet)
}

// faultOptions are the fault names ParseFaults accepts besides "all" and
// "none": the one list that parsing, FaultNames and raftsim's -h and error
// messages all use.
var faultOptions = []faultOption{
	{"drop", func(f *FaultSet) { f.Drop = true }},
	{"delay", func(f *FaultSet) { f.Delay = true }},
	{"dup", func(f *FaultSet) { f.Duplicate = true }},
	{"partition", func(f *FaultSet) { f.Partition = true }},
	{"crash", func(f *FaultSet) { f.Crash = true }},
	{"compact", func(f *FaultSet) { f.Compact = true }},
	{"slowdisk", func(f *FaultSet) { f.SlowDisk = true }},
	{"member", func(f *FaultSet) { f.Membership = true }},
	{"corrupt", func(f *FaultSet) { f.Corrupt = true }},
	{"pause", func(f *FaultSet) { f.Pause = true }},
}

// FaultNames returns the fault names ParseFaults accepts besides "all" and
// "none", as a comma list: "drop,delay,...".
func FaultNames() string {
	names := make([]string, len(faultOptions))
	for i, o := range faultOptions {
		names[i] = o.name
	}
	return strings.Join(names, ",")
}

// ParseFaults reads "all", "none", or a comma list of the names FaultNames
// returns.
func ParseFaults(s string) (FaultSet, error) {
	var fs FaultSet
	for _, name := range strings.Split(s, ",") {
		switch name = strings.TrimSpace(name); name {
		case "all":
			fs = AllFaults
		case "none", "":
		default:
			i := slices.IndexFunc(faultOptions, func(o faultOption) bool { return o.name == name })
			if i < 0 {
				return FaultSet{}, fmt.Errorf("unknown fault %q (want all, none, or a list of %s)", name, FaultNames())
			}
			faultOptions[i].set(&fs)
		}
	}
	return fs, nil
}

func randomPartition(rng *rand.Rand, nodes int, at Time) Fault {
	switch rng.IntN(4) {
	case 0:
		return Fault{At: at, Kind: FaultIsolateLeader}
	case 1:
		from := rng.IntN(nodes)
		to := (from + 1 + rng.IntN(nodes-1)) % nodes
		return Fault{At: at, Kind: FaultOneWay, From: from, To: to}
	case 2:
		if nodes >= 3 {
			return Fault{At: at, Kind: FaultBridge, Node: rng.IntN(nodes)}
		}
	}
	// A random split into two non-empty groups (majority/minority flips).
	perm := rng.Perm(nodes)
	cut := 1 + rng.IntN(nodes-1)
	a, b := slices.Clone(perm[:cut]), slices.Clone(perm[cut:])
	slices.Sort(a)
	slices.Sort(b)
	return Fault{At: at, Kind: FaultPartition, Groups: [][]int{a, b}}
}
