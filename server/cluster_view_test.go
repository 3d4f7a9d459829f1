package server

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/raft"
)

// The view the adapters read shares the last member list while the
// membership is unchanged (publish runs after every turn of the loop);
// every change that member add, remove, promote or update, or a member's
// publish of its own attributes makes must make it build the list again.
func TestCluster_HasMembersSeesEveryChange(t *testing.T) {
	c := newCluster(1)
	_, err := c.apply(raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: 1, Context: []byte(`{"member":{"peer_urls":["http://a:1"]}}`)})
	require.NoError(t, err)
	_, err = c.apply(raft.ConfChange{Type: raft.ConfChangeAddLearner, NodeID: 2, Context: []byte(`{"member":{"peer_urls":["http://b:1"]}}`)})
	require.NoError(t, err)
	published := c.list()
	require.True(t, c.hasMembers(published), "nothing changed")

	for name, change := range map[string]func(c *cluster){
		"a member publishes its name and client URLs": func(c *cluster) { c.setAttributes(2, "m2", []string{"http://b:2"}) },
		"a member's client URL changes":               func(c *cluster) { c.setAttributes(1, "", []string{"http://a:3"}) },
		"member update moves its peer URLs":           func(c *cluster) { c.setPeerURLs(1, []string{"http://a:9"}) },
		"a member is removed": func(c *cluster) {
			_, err := c.apply(raft.ConfChange{Type: raft.ConfChangeRemove, NodeID: 2})
			require.NoError(t, err)
		},
		"a learner is promoted": func(c *cluster) {
			_, err := c.apply(raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: 2})
			require.NoError(t, err)
		},
		"a learner is added": func(c *cluster) {
			_, err := c.apply(raft.ConfChange{Type: raft.ConfChangeAddLearner, NodeID: 3, Context: []byte(`{"member":{"peer_urls":["http://c:1"]}}`)})
			require.NoError(t, err)
		},
	} {
		t.Run(name, func(t *testing.T) {
			changed := c.clone()
			change(changed)
			require.False(t, changed.hasMembers(published))
			require.True(t, changed.hasMembers(changed.list()))
		})
	}
}
