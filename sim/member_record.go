package sim

import (
	"fmt"

	"github.com/raftkv/raftkv/server"
)

// The member-level run drawn as the live cluster's /ui draws a real one:
// the same recorder and timeline page as the raft-level simulator, with
// each frame taken from the members' own Debug views (what GET /debug/raft
// serves), so a learner sees one picture for all three.

// hexName writes a member ID as the members' Debug views do.
func hexName(id uint64) string { return fmt.Sprintf("%x", id) }

// recordPicture adds a frame if a member's role, term, liveness or
// connectivity changed, or frameEvery has passed.
func (s *memberSim) recordPicture() {
	key := ""
	for _, sl := range s.slots {
		if sl.m == nil {
			key += "down;"
			continue
		}
		st := sl.m.RaftStatus()
		key += fmt.Sprintf("%s/%d/%v;", st.State, st.Term, s.net.cutOff(sl.idx))
	}
	if !s.pic.due(s.now, key) {
		return
	}
	var servers []timelineServer
	for _, sl := range s.slots {
		ts := timelineServer{ID: hexName(sl.id), Name: sl.name, Down: sl.m == nil, Isolated: s.net.cutOff(sl.idx)}
		if sl.m != nil {
			v := sl.m.Debug(logTailSize)
			ts.Role, ts.Term, ts.Commit = v.Role, v.Term, v.Commit
			ts.FirstIndex, ts.LastIndex = v.FirstIndex, v.LastIndex
			ts.ElectionElapsed, ts.ElectionTimeout = v.ElectionElapsed, v.ElectionTimeout
			ts.Log = debugEntries(v.Log)
			if len(v.Progress) > 0 {
				ts.Progress = map[string]timelineProgress{}
				for id, pr := range v.Progress {
					ts.Progress[id] = timelineProgress{Match: pr.Match, Next: pr.Next, State: pr.State}
				}
			}
		}
		servers = append(servers, ts)
	}
	s.pic.add(s.now, key, servers)
}

func debugEntries(log []server.DebugEntry) []timelineEntry {
	out := make([]timelineEntry, len(log))
	for i, e := range log {
		out[i] = timelineEntry{Index: e.Index, Term: e.Term}
	}
	return out
}
