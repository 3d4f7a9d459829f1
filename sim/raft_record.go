package sim

import (
	"fmt"
)

// The raft-level run's picture: its nodes' states, for the timeline page
// (recorder.go collects, ui.TimelinePage draws).

func nodeName(id uint64) string { return fmt.Sprintf("n%d", id) }

// frame records the raft nodes' states.
func (r *recorder) frame(s *raftSim) {
	var servers []timelineServer
	for _, n := range s.nodes {
		ts := timelineServer{ID: nodeName(n.id), Name: nodeName(n.id), Down: !n.up, Isolated: s.net.cutOff(n.idx)}
		if n.up {
			st := n.node.Status()
			ts.Role, ts.Term, ts.Commit = st.State.String(), st.Term, st.Commit
			ts.FirstIndex, ts.LastIndex = st.FirstIndex, st.LastIndex
			ts.ElectionElapsed, ts.ElectionTimeout = st.ElectionElapsed, st.RandomizedElectionTimeout
			lo := max(st.FirstIndex, st.LastIndex+1-min(st.LastIndex, logTailSize))
			for i := lo; i <= st.LastIndex; i++ {
				t, err := n.storage.Term(i)
				if err != nil {
					continue // not durable yet: drawn once it is
				}
				ts.Log = append(ts.Log, timelineEntry{Index: i, Term: t})
			}
			if st.Progress != nil {
				ts.Progress = map[string]timelineProgress{}
				for id, pr := range st.Progress {
					ts.Progress[nodeName(id)] = timelineProgress{Match: pr.Match, Next: pr.Next, State: pr.State.String()}
				}
			}
		}
		servers = append(servers, ts)
	}
	key := ""
	for _, ts := range servers {
		key += fmt.Sprintf("%s/%d/%v/%v;", ts.Role, ts.Term, ts.Down, ts.Isolated)
	}
	if r.due(s.now, key) {
		r.add(s.now, key, servers)
	}
}
