package server

import (
	"testing"
)

// etcd counts a leader change when a member learns of a new leader
// (etcd_server_leader_changes_seen_total); losing the old one first, as
// every follower does when its leader crashes, is not a second change.
func TestStats_LeaderChangesCountNewLeadersNotLosses(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	for _, m := range c.members {
		if n := m.Stats().LeaderChanges; n != 1 {
			t.Fatalf("member %x saw %d leader changes after the first election, want 1", m.ID(), n)
		}
	}
	c.crash(c.byID[lead.ID()])
	c.down[lead.ID()] = true
	next := c.leader()
	for _, m := range c.followers(nil) {
		if n := m.Stats().LeaderChanges; n != 2 {
			t.Fatalf("member %x saw %d leader changes after %x took over, want 2", m.ID(), n, next.ID())
		}
	}
}
