package sim

import "math/rand/v2"

// network decides the fate of each message: dropped, delayed (which also
// reorders), duplicated, or blocked by a partition. It is shared by the
// raft-level and the member-level simulations.
type network struct {
	nodes   int
	blocked [][]bool // blocked[from][to]

	dropRate float64
	dupRate  float64
	minDelay Time
	maxDelay Time
}

func newNetwork(nodes int) *network {
	n := &network{nodes: nodes, minDelay: 500 * Microsecond, maxDelay: 2 * Millisecond}
	n.blocked = make([][]bool, nodes)
	for i := range n.blocked {
		n.blocked[i] = make([]bool, nodes)
	}
	return n
}

// configure draws this run's link quality from the enabled faults.
func (n *network) configure(rng *rand.Rand, fs FaultSet) {
	if fs.Drop {
		n.dropRate = rng.Float64() * 0.1
	}
	if fs.Duplicate {
		n.dupRate = rng.Float64() * 0.05
	}
	if fs.Delay {
		n.maxDelay = n.minDelay + Time(rng.Int64N(int64(60*Millisecond)))
	}
}

func (n *network) heal() {
	for i := range n.blocked {
		for j := range n.blocked[i] {
			n.blocked[i][j] = false
		}
	}
}

func (n *network) cut(a, b int) {
	n.blocked[a][b] = true
	n.blocked[b][a] = true
}

// apply installs a partition-shaped fault. leader is the current leader's
// index (or -1), needed by FaultIsolateLeader.
func (n *network) apply(f Fault, leader int) {
	n.heal()
	switch f.Kind {
	case FaultPartition:
		group := make([]int, n.nodes)
		for gi, g := range f.Groups {
			for _, node := range g {
				group[node] = gi
			}
		}
		for a := range n.nodes {
			for b := range n.nodes {
				if group[a] != group[b] {
					n.blocked[a][b] = true
				}
			}
		}
	case FaultOneWay:
		n.blocked[f.From][f.To] = true
	case FaultIsolateLeader:
		if leader >= 0 {
			for other := range n.nodes {
				if other != leader {
					n.cut(leader, other)
				}
			}
		}
	case FaultBridge:
		// Split the others in two halves that cannot talk, except through f.Node.
		var others []int
		for i := range n.nodes {
			if i != f.Node {
				others = append(others, i)
			}
		}
		half := len(others) / 2
		for _, a := range others[:half] {
			for _, b := range others[half:] {
				n.cut(a, b)
			}
		}
	}
}

// fate decides what happens to one message: how many copies arrive, and after
// which delays. A blocked link or a drop yields no copies.
func (n *network) fate(rng *rand.Rand, from, to int) (copies int, delays [2]Time) {
	if n.blocked[from][to] {
		return 0, delays
	}
	if n.dropRate > 0 && rng.Float64() < n.dropRate {
		return 0, delays
	}
	copies = 1
	if n.dupRate > 0 && rng.Float64() < n.dupRate {
		copies = 2
	}
	for i := range copies {
		delays[i] = n.minDelay + Time(rng.Int64N(int64(n.maxDelay-n.minDelay)+1))
	}
	return copies, delays
}

// cutOff reports whether node i can reach no other node: how the timeline
// page knows to draw it as isolated.
func (n *network) cutOff(i int) bool {
	for j := range n.blocked {
		if j != i && !n.blocked[i][j] {
			return false
		}
	}
	return len(n.blocked) > 1
}
