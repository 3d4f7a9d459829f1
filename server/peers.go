package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// A member joining an existing cluster (--initial-cluster-state existing)
// asks its peers who is in the cluster: GET <peer URL>/raftkv/members.

type membersForPeers struct {
	ClusterID uint64       `json:"cluster_id"`
	Members   []MemberInfo `json:"members"`
	// Applied is the answering member's applied index. A joining member
	// asks every peer and believes the most advanced: a lagging peer may
	// still list a member that was just removed under the joiner's peer
	// URL (and not yet the joiner), and the joiner would take that dead
	// member's ID — found by the member-level simulator (regression script
	// joining-member-believes-the-most-advanced-peer).
	Applied uint64 `json:"applied,omitempty"`
}

func (s *Server) serveMembersForPeers(w http.ResponseWriter, r *http.Request) {
	v := s.view.Load()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(membersForPeers{ClusterID: v.ClusterID, Members: v.Members, Applied: v.Applied})
}

// fetchCluster asks every peer, at once, and returns the membership of the
// most advanced one that answered.
func fetchCluster(peerURLs []string, tlsCfg *tls.Config) (uint64, []MemberInfo, error) {
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	answers := make([]*membersForPeers, len(peerURLs))
	errs := make([]error, len(peerURLs))
	var wg sync.WaitGroup
	for i, u := range peerURLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = fetchMembers(client, u)
		}()
	}
	wg.Wait()
	var best *membersForPeers
	for _, a := range answers {
		if a != nil && (best == nil || a.Applied > best.Applied) {
			best = a
		}
	}
	if best == nil {
		return 0, nil, errors.Join(errs...)
	}
	return best.ClusterID, best.Members, nil
}

func fetchMembers(client *http.Client, u string) (*membersForPeers, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u+"/raftkv/members", nil)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out membersForPeers
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ClusterID == 0 {
		return nil, fmt.Errorf("%s: bad answer: %v", u, err)
	}
	return &out, nil
}
