package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// decodeJSON reads a gateway answer into a generic map.
func decodeJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return out
}

// A keep-alive sent to a follower is renewed by the leader (only the
// leader decides when a lease expires), but the client's answer comes from
// the member it asked, with that member's header, as in etcd.
func TestForward_KeepAliveOnAFollowerCarriesTheFollowersHeader(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	follower := (lead + 1) % 3
	_, body := c.post(lead, "/v3/lease/grant", `{"TTL":30}`)
	id := decodeJSON(t, body)["ID"].(string)
	status, body := c.post(follower, "/v3/lease/keepalive", `{"ID":"`+id+`"}`)
	require.Equal(t, 200, status, body)
	var line struct {
		Result struct {
			Header map[string]string `json:"header"`
			ID     string            `json:"ID"`
			TTL    string            `json:"TTL"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.Split(body, "\n")[0]), &line), body)
	require.Equal(t, strconv.FormatUint(c.servers[follower].view.Load().ID, 10), line.Result.Header["member_id"], "keep-alive answered with another member's header: %s", body)
	require.Equal(t, id, line.Result.ID)
	require.Equal(t, "30", line.Result.TTL)
}

// A lease's time to live is the leader's to tell: a follower's own
// countdown can lag the leader's. A new leader restarts every countdown
// from a full TTL; the old leader, now a follower, still counts down from
// the grant — and asked for the lease's time to live, answers with the new
// leader's figure, not its own.
func TestForward_TimeToLiveOnAFollowerIsTheLeaders(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	old := c.waitLeader()
	_, body := c.post(old, "/v3/lease/grant", `{"TTL":12}`)
	id, err := strconv.ParseInt(decodeJSON(t, body)["ID"].(string), 10, 64)
	require.NoError(t, err)
	localTTL := func(i int) int64 {
		return c.servers[i].member.Store().LeaseTimeToLive(&kv.LeaseTimeToLiveRequest{ID: id}, time.Now()).TTL
	}
	require.Eventually(t, func() bool { return localTTL(old) <= 8 }, 10*time.Second, 50*time.Millisecond, "the lease's countdown on the leader")

	next := (old + 1) % 3
	status, body := c.post(old, "/v3/maintenance/transfer-leadership", fmt.Sprintf(`{"targetID":"%d"}`, c.servers[next].view.Load().ID))
	require.Equal(t, 200, status, body)
	require.Equal(t, next, c.waitLeader())
	require.LessOrEqual(t, localTTL(old), int64(8), "the old leader's own countdown")

	status, body = c.post(old, "/v3/lease/timetolive", fmt.Sprintf(`{"ID":"%d"}`, id))
	require.Equal(t, 200, status, body)
	ttl, err := strconv.ParseInt(decodeJSON(t, body)["TTL"].(string), 10, 64)
	require.NoError(t, err)
	require.GreaterOrEqual(t, ttl, int64(10), "the follower answered from its own countdown (%s), not the leader's", body)
}

// A linearizable member list holds every change committed before it was
// asked. It used to be read from the member's published view once the read
// barrier passed — but the loop publishes that view only after the step in
// which the barrier passed, so a list asked right after a change could miss
// it. Here the member's loop is the test (the member never publishes
// again), which makes the lag as long as it can be.
func TestMemberList_LinearizableReadsTheMembershipAtItsBarrier(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	f := c.followers(lead)[0]
	s := &Server{cfg: DefaultConfig(), member: f, calls: make(chan func(*Member), 1), done: make(chan struct{})}
	s.view.Store(&memberView{ID: f.ID(), ClusterID: f.ClusterID(), Lead: lead.ID(), Members: f.Members()})

	var added *Result
	lead.AddMember([]string{"http://m4:2380"}, true, c.now.Add(5*time.Second), func(r Result) { added = &r })
	for range 20 {
		if added != nil {
			break
		}
		c.tick(1)
	}
	require.NotNil(t, added)
	require.NoError(t, added.Err)

	type listed struct {
		members []string
		err     error
	}
	out := make(chan listed, 1)
	go func() {
		ms, _, err := s.MemberList(context.Background(), true)
		var ids []string
		for _, m := range ms {
			ids = append(ids, fmt.Sprintf("%x", m.ID))
		}
		out <- listed{ids, err}
	}()
	(<-s.calls)(f) // the member loop takes the request
	// Drive the cluster (in virtual time) until the list comes back.
	for range 50 {
		select {
		case got := <-out:
			require.NoError(t, got.err)
			require.Contains(t, got.members, fmt.Sprintf("%x", added.Member.ID), "the list missed a member added before it was asked")
			return
		case <-time.After(20 * time.Millisecond):
			c.tick(1)
		}
	}
	t.Fatal("the linearizable member list never completed")
}

// forwardingServer is a Server that believes the member at leaderURL leads.
func forwardingServer(leaderURL string) *Server {
	s := &Server{cfg: DefaultConfig(), peerClient: &http.Client{Timeout: 2 * time.Second}}
	s.view.Store(&memberView{ID: 1, Lead: 2, Members: []MemberInfo{{ID: 1}, {ID: 2, PeerURLs: []string{leaderURL}}}})
	return s
}

// When a forwarded request reached the leader and its answer was lost, the
// request may have taken effect: a promotion must not be reported as "no
// leader", which clients retry as a request that never happened (and then
// hear "can only promote a learner member" about their own success).
func TestForward_AnAnswerLostOnTheWayBackIsAnUnknownOutcome(t *testing.T) {
	received := make(chan struct{}, 1)
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the leader got it, and the connection drops
		}
	}))
	defer leader.Close()
	s := forwardingServer(leader.URL)
	var out forwardedMembers
	err := s.forward(context.Background(), "member/promote", forwardedPromote{ID: 7}, &out)
	<-received
	require.True(t, errors.Is(err, wire.ErrTimeoutDueToConnectionLost), "err = %v", err)
	require.True(t, errors.Is(forwardError(err), wire.ErrTimeoutDueToConnectionLost), "the client hears %v", forwardError(err))
}

// A forward that could not even connect never happened: the client may
// retry it anywhere ("no leader").
func TestForward_AConnectionNeverMadeIsNoLeader(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s := forwardingServer("http://" + addr)
	err = s.forward(context.Background(), "member/promote", forwardedPromote{ID: 7}, &forwardedMembers{})
	require.True(t, errors.Is(err, errNotSent), "err = %v", err)
	require.True(t, errors.Is(forwardError(err), wire.ErrNoLeader))
}
