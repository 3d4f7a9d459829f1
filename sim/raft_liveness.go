package sim

import "slices"

// Liveness: once every fault has healed, the cluster must elect a leader
// and commit new proposals on every node.

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
