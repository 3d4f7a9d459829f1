package raft

import (
	"fmt"
	"testing"
)

// BenchmarkPropose3Nodes measures entries committed per second through three
// in-memory nodes driven by a simple loop (no disk, no network): the cost of
// the algorithm itself. Each round proposes a batch at the leader and runs
// the cluster until the batch is applied everywhere.
func BenchmarkPropose3Nodes(b *testing.B) {
	for _, size := range []int{128, 1024} {
		for _, batch := range []int{1, 64} {
			b.Run(fmt.Sprintf("size=%d/batch=%d", size, batch), func(b *testing.B) {
				c := newTestCluster(b, 3)
				c.campaign(1)
				data := make([]byte, size)
				lead := c.nodes[1].node
				b.SetBytes(int64(size))
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					if _, err := lead.Propose(data); err != nil {
						b.Fatal(err)
					}
					n++
					if n%batch == 0 {
						c.stabilize()
						for _, tn := range c.nodes {
							tn.applied = tn.applied[:0] // keep memory flat
						}
					}
				}
				c.stabilize()
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}
