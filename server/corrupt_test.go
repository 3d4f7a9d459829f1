package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// How the tests make a member diverge: they apply a put to one member's
// store directly, behind raft's back — a write that reached one state
// machine without going through the log, which is what a bug in apply, a
// bad disk or bad memory looks like from outside. That member's history
// then holds one revision the others do not have, and every revision after
// it is shifted by one. Nothing else notices: the raft logs still match.
func divergeStore(t *testing.T, srv *Server) {
	t.Helper()
	_, err := srv.member.Store().Apply(&kv.Request{Put: &kv.PutRequest{Key: []byte("diverged"), Value: []byte("only here")}})
	require.NoError(t, err)
}

// The periodic check (--corrupt-check-time) finds a follower whose store
// diverged and raises CORRUPT for it, through the log: every member lists
// the alarm, reports it in /health and endpoint status, and refuses writes
// with etcd's "etcdserver: corrupt cluster", while reads go on.
func TestCorruptCheck_PeriodicCheckRaisesCorrupt(t *testing.T) {
	c := startLiveCluster(t, 3, func(cfg *Config) { cfg.CorruptCheckTime = 100 * time.Millisecond })
	lead := c.waitLeader()
	for i := range 5 {
		status, body := c.post(lead, "/v3/kv/put", fmt.Sprintf(`{"key":"%s","value":"dg=="}`, b64(fmt.Sprintf("k%d", i))))
		require.Equal(t, 200, status, body)
	}
	victim := (lead + 1) % 3
	victimID := c.servers[victim].view.Load().ID
	divergeStore(t, c.servers[victim])

	wantAlarm := fmt.Sprintf(`{"memberID":"%d","alarm":"CORRUPT"}`, victimID)
	for i := range c.servers {
		require.Eventually(t, func() bool {
			status, body := c.post(i, "/v3/maintenance/alarm", `{"action":"GET"}`)
			return status == 200 && strings.Contains(body, wantAlarm)
		}, 20*time.Second, 10*time.Millisecond, "member %d never listed %s", i, wantAlarm)
	}
	for i := range c.servers {
		resp, err := http.Get(c.url(i) + "/health")
		require.NoError(t, err)
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, `{"health":"false","reason":"ALARM CORRUPT"}`, body.String())

		status, st := c.post(i, "/v3/maintenance/status", `{}`)
		require.Equal(t, 200, status)
		require.Contains(t, st, fmt.Sprintf(`"errors":["memberID:%d alarm:CORRUPT "]`, victimID))

		status, body2 := c.post(i, "/v3/kv/put", `{"key":"YQ==","value":"Yg=="}`)
		require.Equal(t, 500, status)
		require.Equal(t, `{"code":15,"message":"etcdserver: corrupt cluster"}`, body2)
		status, body2 = c.post(i, "/v3/kv/deleterange", `{"key":"azA="}`)
		require.Equal(t, 500, status, body2)
		require.Contains(t, body2, "etcdserver: corrupt cluster")

		status, body2 = c.post(i, "/v3/kv/range", `{"key":"azA="}`)
		require.Equal(t, 200, status, body2)
		require.Contains(t, body2, `"value":"dg=="`)
	}
	c.stopAll() // the logs are read once nothing writes them
	require.Contains(t, c.logs[lead].String(), "raising the CORRUPT alarm")
}

// syncLog is a log a test may read while a server writes it.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startLogged(cfg Config) (*Server, *syncLog, error) {
	log := &syncLog{}
	srv, err := Start(cfg, slog.New(slog.NewTextHandler(log, nil)))
	return srv, log, err
}

// The initial check (--feature-gates=InitialCorruptCheck=true) passes for a
// member whose store agrees with its peers', and refuses to start a member
// whose store does not, with etcd's message.
func TestCorruptCheck_InitialCheckRefusesToStart(t *testing.T) {
	c := startLiveCluster(t, 3, func(cfg *Config) {
		cfg.InitialCorruptCheck = true
		// Snapshots come often, so the diverged store reaches the disk.
		cfg.SnapshotCount = 5
		cfg.SnapshotCatchUpEntries = 5
	})
	lead := c.waitLeader()
	put := func(i int, key string) {
		t.Helper()
		status, body := c.post(i, "/v3/kv/put", fmt.Sprintf(`{"key":"%s","value":"dg=="}`, b64(key)))
		require.Equal(t, 200, status, body)
	}
	for i := range 5 {
		put(lead, fmt.Sprintf("k%d", i))
	}

	// A healthy member restarts: the check runs and passes.
	victim := (lead + 1) % 3
	c.stop(victim)
	srv, log, err := startLogged(c.cfgs[victim])
	require.NoError(t, err)
	c.servers[victim] = srv
	require.Contains(t, log.String(), "initial corruption checking passed; no corruption")
	lead = c.waitLeader()

	// Now it diverges; writes go on until a snapshot holds the diverged
	// store (the log alone would rebuild a healthy one on restart). A
	// snapshot counts once the member has recorded it in its WAL ("saved
	// snapshot"): a restart loads only those.
	id := srv.view.Load().ID
	divergeStore(t, srv)
	applied := make(chan uint64, 1)
	require.NoError(t, srv.do(context.Background(), func(m *Member) { applied <- m.applied }))
	diverged := <-applied // every snapshot after this index was taken after the divergence
	saved := regexp.MustCompile(`saved snapshot at index (\d+)`)
	n := 0
	require.Eventually(t, func() bool {
		put(lead, fmt.Sprintf("after%d", n))
		n++
		for _, m := range saved.FindAllStringSubmatch(log.String(), -1) {
			if index, _ := strconv.ParseUint(m[1], 10, 64); index > diverged {
				return true
			}
		}
		return false
	}, 20*time.Second, 10*time.Millisecond, "no snapshot after the divergence")
	c.stop(victim)
	// The others move on, so that they have the victim's revision to hash.
	for i := range 3 {
		put((victim+1)%3, fmt.Sprintf("while-down%d", i))
	}

	srv, log, err = startLogged(c.cfgs[victim])
	if err == nil {
		srv.Stop()
		t.Fatal("a member whose store diverged started")
	}
	require.Equal(t, fmt.Sprintf("%x found data inconsistency with peers", id), err.Error())
	require.Contains(t, log.String(), "found different hash values from remote peer")

	// It gave back its ports and its data directory: it can start again
	// once the check is off (an operator who wants to look at it).
	c.cfgs[victim].InitialCorruptCheck = false
	c.start(victim)
}

// HashKV at a revision, on the client URL (maintenance/hashkv, etcdctl
// endpoint hashkv --rev) and on the peer URL, where members answer each
// other for their own cluster only; both with etcd's errors for a revision
// that cannot be hashed.
func TestHashKV_ClientAndPeerURLs(t *testing.T) {
	c := startLiveCluster(t, 2, nil)
	lead := c.waitLeader()
	for range 3 {
		status, body := c.post(lead, "/v3/kv/put", `{"key":"YQ==","value":"Yg=="}`)
		require.Equal(t, 200, status, body)
	}
	status, body := c.post(lead, "/v3/kv/compaction", `{"revision":3,"physical":true}`)
	require.Equal(t, 200, status, body)
	asker, other := c.servers[lead], c.servers[1-lead]
	otherID, peerURL := other.view.Load().ID, c.cfgs[1-lead].InitialAdvertisePeerURLs[0]
	require.Eventually(t, func() bool { return other.member.Store().CompactRevision() == 3 }, 10*time.Second, 10*time.Millisecond)

	local, _, err := asker.member.Store().HashKV(4)
	require.NoError(t, err)
	status, body = c.post(lead, "/v3/maintenance/hashkv", `{"revision":4}`)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, fmt.Sprintf(`"hash":%d,"compact_revision":"3","hash_revision":"4"}`, local.Hash))
	status, body = c.post(lead, "/v3/maintenance/hashkv", `{"revision":2}`)
	require.Equal(t, 400, status)
	require.Equal(t, `{"code":11,"message":"etcdserver: mvcc: required revision has been compacted"}`, body)
	status, body = c.post(lead, "/v3/maintenance/hashkv", `{"revision":100}`)
	require.Equal(t, 400, status)
	require.Equal(t, `{"code":11,"message":"etcdserver: mvcc: required revision is a future revision"}`, body)

	ctx := context.Background()
	resp, err := asker.fetchPeerHashKV(ctx, peerURL, otherID, 4)
	require.NoError(t, err)
	require.Equal(t, local.Hash, resp.Hash)
	require.Equal(t, int64(3), resp.CompactRevision)
	require.Equal(t, int64(4), resp.HashRevision)

	_, err = asker.fetchPeerHashKV(ctx, peerURL, otherID, 2)
	require.ErrorIs(t, err, wire.ErrCompacted)
	_, err = asker.fetchPeerHashKV(ctx, peerURL, otherID, 100)
	require.ErrorIs(t, err, wire.ErrFutureRev)
	_, err = asker.fetchPeerHashKV(ctx, peerURL, otherID+1, 4)
	require.ErrorContains(t, err, "did not answer as member")

	hr, err := http.Post(peerURL+peerHashKVPath, "application/json", strings.NewReader(`{"revision":4}`))
	require.NoError(t, err)
	var b bytes.Buffer
	_, _ = b.ReadFrom(hr.Body)
	hr.Body.Close()
	require.Equal(t, 400, hr.StatusCode)
	require.Contains(t, b.String(), "cluster ID mismatch")
}

// The verdicts follow etcd's rules: hashes are compared only at equal
// compaction revisions, and peers that cannot answer are skipped.
func TestCorruptCheck_Verdicts(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	local := kv.KeyValueHash{Hash: 7, CompactRevision: 3, Revision: 10}
	answer := func(id uint64, hash uint32, compact, rev int64) peerHash {
		return peerHash{id: id, resp: &wire.HashKVResponse{Header: &wire.ResponseHeader{MemberID: id, Revision: rev}, Hash: hash, CompactRevision: compact, HashRevision: 10}}
	}
	failed := func(id uint64, err error) peerHash { return peerHash{id: id, err: err} }

	for name, tc := range map[string]struct {
		peers    []peerHash
		mismatch bool
	}{
		"same hash":                      {peers: []peerHash{answer(2, 7, 3, 12), answer(3, 7, 3, 10)}},
		"other hash, same compaction":    {peers: []peerHash{answer(2, 7, 3, 12), answer(3, 8, 3, 10)}, mismatch: true},
		"other hash, other compaction":   {peers: []peerHash{answer(2, 8, 5, 12)}},
		"peer behind, compacted, silent": {peers: []peerHash{failed(2, wire.ErrFutureRev), failed(3, wire.ErrCompacted), failed(4, context.DeadlineExceeded)}},
	} {
		err := checkInitial(quiet, 1, local, tc.peers)
		if tc.mismatch != (err != nil) {
			t.Errorf("initial, %s: %v", name, err)
		}
		if err != nil && err.Error() != "1 found data inconsistency with peers" {
			t.Errorf("initial, %s: %q", name, err)
		}
	}

	after := kv.KeyValueHash{Hash: 9, CompactRevision: 3, Revision: 12}
	for name, tc := range map[string]struct {
		before, after kv.KeyValueHash
		peers         []peerHash
		suspect       uint64
	}{
		"all agree":                    {before: local, after: after, peers: []peerHash{answer(2, 7, 3, 11), answer(3, 7, 3, 12)}},
		"peer hash differs":            {before: local, after: after, peers: []peerHash{answer(2, 7, 3, 11), answer(3, 6, 3, 12)}, suspect: 3},
		"peer ahead of the leader":     {before: local, after: after, peers: []peerHash{answer(2, 7, 3, 13)}, suspect: 2},
		"peer compacted past leader":   {before: local, after: after, peers: []peerHash{answer(2, 5, 4, 12)}, suspect: 2},
		"peer compacted less":          {before: local, after: after, peers: []peerHash{answer(2, 5, 2, 12)}},
		"peer silent":                  {before: local, after: after, peers: []peerHash{failed(2, wire.ErrFutureRev)}},
		"leader changed without write": {before: local, after: kv.KeyValueHash{Hash: 8, CompactRevision: 3, Revision: 10}, suspect: 1},
		"first suspect wins":           {before: local, after: after, peers: []peerHash{answer(2, 6, 3, 12), answer(3, 6, 3, 12)}, suspect: 2},
	} {
		if got := checkPeriodic(quiet, 1, tc.before, tc.after, tc.after.Revision, tc.peers); got != tc.suspect {
			t.Errorf("periodic, %s: suspect %d, want %d", name, got, tc.suspect)
		}
	}
}
