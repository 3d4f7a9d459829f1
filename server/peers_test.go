package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// A joining member asks every peer who is in the cluster and believes the
// most advanced answer. A lagging peer may still list, under the joiner's
// peer URL, the member that was removed to make room for it; had the
// joiner believed that peer, it would have started as the dead member.
// (The member-level simulator found it; its script
// joining-member-believes-the-most-advanced-peer models this function,
// which this test holds to the same rule.)
func TestFetchCluster_AJoinerBelievesTheMostAdvancedPeer(t *testing.T) {
	const joinerURL = "http://10.0.0.4:2380"
	peer := func(answer membersForPeers) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "/raftkv/members", r.URL.Path)
			json.NewEncoder(w).Encode(answer)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	voters := []MemberInfo{{ID: 1, PeerURLs: []string{"http://10.0.0.1:2380"}}, {ID: 2, PeerURLs: []string{"http://10.0.0.2:2380"}}}
	lagging := peer(membersForPeers{ClusterID: 7, Applied: 40, Members: append(voters, MemberInfo{ID: 0xdead, PeerURLs: []string{joinerURL}})})
	current := peer(membersForPeers{ClusterID: 7, Applied: 42, Members: append(voters, MemberInfo{ID: 0xbeef, PeerURLs: []string{joinerURL}})})
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	for _, order := range [][]string{{lagging, current, down.URL}, {down.URL, current, lagging}} {
		clusterID, members, err := fetchCluster(order, nil)
		require.NoError(t, err)
		require.EqualValues(t, 7, clusterID)
		require.Contains(t, members, MemberInfo{ID: 0xbeef, PeerURLs: []string{joinerURL}}, "asked %v", order)
		require.NotContains(t, members, MemberInfo{ID: 0xdead, PeerURLs: []string{joinerURL}}, "asked %v", order)
	}

	_, _, err := fetchCluster([]string{down.URL}, nil)
	require.Error(t, err, "no peer answered")
}
