package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// A member joining an existing cluster (--initial-cluster-state existing)
// asks its peers who is in the cluster: GET <peer URL>/raftkv/members.

type membersForPeers struct {
	ClusterID uint64       `json:"cluster_id"`
	Members   []MemberInfo `json:"members"`
}

func (s *Server) serveMembersForPeers(w http.ResponseWriter, r *http.Request) {
	v := s.view.Load()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(membersForPeers{ClusterID: v.ClusterID, Members: v.Members})
}

func fetchCluster(peerURLs []string, tlsCfg *tls.Config) (uint64, []MemberInfo, error) {
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	var errs []error
	for _, u := range peerURLs {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u+"/raftkv/members", nil)
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			errs = append(errs, err)
			continue
		}
		var out membersForPeers
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		cancel()
		if err != nil || out.ClusterID == 0 {
			errs = append(errs, fmt.Errorf("%s: bad answer: %v", u, err))
			continue
		}
		return out.ClusterID, out.Members, nil
	}
	return 0, nil, errors.Join(errs...)
}

// httpClient is used to forward requests to the leader's client URL.
func (s *Server) httpClient() *http.Client { return s.forwardClient }
