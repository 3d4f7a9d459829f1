package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

func TestMember_PutGetThroughAnyMember(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	r := c.put(lead, "foo", "bar")
	if r.Err != nil || r.KV.Put == nil {
		t.Fatalf("put: %+v", r)
	}
	if r.KV.Put.Header.Revision != 2 {
		t.Fatalf("first put made revision %d, want 2 (etcd starts at 1)", r.KV.Put.Header.Revision)
	}
	// Writes and reads through followers work too.
	for _, name := range c.names {
		m := c.members[name]
		if r := c.put(m, "k-"+name, name); r.Err != nil {
			t.Fatalf("put via %s: %v", name, r.Err)
		}
	}
	for _, name := range c.names {
		for _, other := range c.names {
			if v, ok := c.get(c.members[name], "k-"+other); !ok || v != other {
				t.Fatalf("%s reads k-%s = %q, %v", name, other, v, ok)
			}
		}
	}
}

func TestMember_MembersAndHeaders(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	c.tick(5) // members publish their names and client URLs
	ms := lead.Members()
	if len(ms) != 3 {
		t.Fatalf("members: %+v", ms)
	}
	for _, m := range ms {
		if m.Name == "" || len(m.ClientURLs) != 1 || len(m.PeerURLs) != 1 {
			t.Fatalf("member without attributes: %+v", m)
		}
	}
	h := lead.Header()
	if h.ClusterID == 0 || h.MemberID != lead.ID() || h.RaftTerm == 0 {
		t.Fatalf("header %+v", h)
	}
	for _, name := range c.names {
		if c.members[name].ClusterID() != h.ClusterID {
			t.Fatal("members disagree on the cluster ID")
		}
	}
}

func TestMember_RestartReplaysWALAndSnapshot(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	for i := range 250 { // several snapshots (every 100 entries)
		if r := c.put(lead, fmt.Sprintf("k%03d", i), fmt.Sprint(i)); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	victim := c.names[0]
	if c.members[victim] == lead {
		victim = c.names[1]
	}
	wantRev := c.members[victim].Store().Rev()
	wantLast, _ := c.members[victim].storage.LastIndex()
	c.crash(victim)
	c.start(victim)
	// Every entry was synced before it was acknowledged: the replay has
	// them all, before the member hears from anyone.
	if last, _ := c.members[victim].storage.LastIndex(); last != wantLast {
		t.Fatalf("after restart the log ends at %d, want %d", last, wantLast)
	}
	// The last commit index the victim learned was saved without sync, as
	// raft allows, and lost in the crash: the leader's next heartbeat
	// brings it back.
	c.tick(1)
	m := c.members[victim]
	if got := m.Store().Rev(); got != wantRev {
		t.Fatalf("after restart revision %d, want %d", got, wantRev)
	}
	if v, ok := c.get(m, "k123"); !ok || v != "123" {
		t.Fatalf("k123 = %q %v", v, ok)
	}
	if m.snapshotIndex == 0 {
		t.Fatal("expected the restart to load a snapshot")
	}
}

func TestMember_LaggingFollowerCatchesUpBySnapshot(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	var laggard string
	for _, name := range c.names {
		if c.members[name] != lead {
			laggard = name
		}
	}
	c.crash(laggard)
	for i := range 300 {
		c.put(lead, fmt.Sprintf("k%d", i), "v")
	}
	c.start(laggard)
	c.tick(5)
	m := c.members[laggard]
	if v, ok := c.get(m, "k299"); !ok || v != "v" {
		t.Fatalf("laggard missing k299")
	}
	if m.Store().Hash() != lead.Store().Hash() {
		t.Fatal("laggard's store differs from the leader's")
	}
}

func TestMember_LeaseExpiresOnLeaderAndRevokesKeys(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	r := c.write(lead, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 3}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	id := r.KV.LeaseGrant.ID
	if r := c.write(lead, &kv.Request{Put: &kv.PutRequest{Key: []byte("leased"), Value: []byte("v"), Lease: id}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.tick(20) // 2 s: still alive
	if _, ok := c.get(lead, "leased"); !ok {
		t.Fatal("lease expired early")
	}
	c.tick(20) // 4 s in total: gone
	if _, ok := c.get(lead, "leased"); ok {
		t.Fatal("lease did not expire")
	}
}

// Only the leader answers keep-alives (a follower's gateway forwards them):
// the leader decides expiry, so only it can promise a lease is alive.
func TestMember_KeepAliveAnsweredByTheLeaderOnly(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	var follower *Member
	for _, name := range c.names {
		if c.members[name] != lead {
			follower = c.members[name]
		}
	}
	r := c.write(follower, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 3}})
	id := r.KV.LeaseGrant.ID
	c.write(follower, &kv.Request{Put: &kv.PutRequest{Key: []byte("leased"), Value: []byte("v"), Lease: id}})
	var refused *Result
	follower.KeepAlive(id, c.now.Add(time.Second), func(r Result) { refused = &r })
	if refused == nil || !errors.Is(refused.Err, ErrNotLeader) {
		t.Fatalf("keep-alive at a follower: %+v, want ErrNotLeader", refused)
	}
	for range 5 { // 5 s of keep-alives every second
		c.tick(10)
		var res *Result
		lead.KeepAlive(id, c.now.Add(time.Second), func(r Result) { res = &r })
		c.settle()
		if res == nil || res.Err != nil || res.Renew.TTL != 3 {
			t.Fatalf("keep-alive: %+v", res)
		}
	}
	if _, ok := c.get(follower, "leased"); !ok {
		t.Fatal("a kept-alive lease expired")
	}
	// Once the leader has found a lease expired, it refuses to renew it.
	c.tick(40)
	var late *Result
	lead.KeepAlive(id, c.now.Add(time.Second), func(r Result) { late = &r })
	c.settle()
	if late == nil || !errors.Is(late.Err, kv.ErrLeaseNotFound) {
		t.Fatalf("keep-alive of an expired lease: %+v", late)
	}
}

func TestMember_AddLearnerPromoteRemoveLeader(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	c.put(lead, "a", "1")
	var res *Result
	lead.AddMember([]string{peerURL("m4")}, true, c.now.Add(5*time.Second), func(r Result) { res = &r })
	c.settle()
	if res == nil || res.Err != nil || res.Member == nil || !res.Member.IsLearner {
		t.Fatalf("member add: %+v", res)
	}
	// Start the new member with --initial-cluster-state existing.
	cfg := c.cfgs["m1"]
	cfg.Name, cfg.DataDir = "m4", "/data/m4"
	cfg.InitialAdvertisePeerURLs = []string{peerURL("m4")}
	cfg.AdvertiseClientURLs = []string{"http://m4:2379"}
	cfg.InitialCluster += ",m4=" + peerURL("m4")
	cfg.InitialClusterState = "existing"
	c.cfgs["m4"] = cfg
	c.names = append(c.names, "m4")
	c.disks["m4"] = c.disks["m1"] // separate directories on one disk
	c.start("m4")
	c.tick(5)
	m4 := c.members["m4"]
	if v, ok := c.get(m4, "a"); !ok || v != "1" {
		t.Fatalf("new member did not catch up")
	}
	res = nil
	lead.PromoteMember(m4.ID(), c.now.Add(5*time.Second), func(r Result) { res = &r })
	c.settle()
	if res == nil || res.Err != nil {
		t.Fatalf("promote: %+v", res)
	}
	if voters := lead.RaftStatus().Config.Voters; !slices.Contains(voters, m4.ID()) {
		t.Fatalf("voters %x", voters)
	}
	// Remove the leader itself: another member takes over, writes go on.
	res = nil
	lead.RemoveMember(lead.ID(), c.now.Add(5*time.Second), func(r Result) { res = &r })
	c.settle()
	if res == nil || res.Err != nil {
		t.Fatalf("remove leader: %+v", res)
	}
	if !lead.Removed() {
		t.Fatal("removed leader does not know it")
	}
	for name, m := range c.members {
		if m == lead {
			c.members[name] = nil
		}
	}
	next := c.leader()
	if r := c.put(next, "b", "2"); r.Err != nil {
		t.Fatalf("put after removing the leader: %v", r.Err)
	}
}

func TestMember_RequestWithoutLeaderTimesOut(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	fs := c.followers(lead)
	follower := fs[len(fs)-1]
	for _, name := range c.names {
		if m := c.members[name]; m != follower {
			c.crash(name)
		}
	}
	var res *Result
	follower.Write(&kv.Request{Put: &kv.PutRequest{Key: []byte("x"), Value: []byte("y")}}, c.now.Add(2*time.Second), func(r Result) { res = &r })
	c.tick(30)
	if res == nil || res.Err == nil {
		t.Fatalf("write without a quorum: %+v", res)
	}
	var e *wire.Error
	if !errors.As(res.Err, &e) || (e != ErrNoLeader && e != ErrTimeout && e != ErrTimeoutDueToLeaderFail) {
		t.Fatalf("error %v, want etcd's no leader / timed out", res.Err)
	}
}

// A write a follower forwarded to a leader that then crashed fails as soon
// as a new leader is known — with etcd's "possibly due to previous leader
// failure" — not after the client's whole timeout. After a crash the
// follower first forgets the leader and only later learns the new one, so
// "the leader changed from A to B" is never seen in one step.
func TestMember_WriteForwardedToCrashedLeaderFailsWhenNewLeaderWins(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	fs := c.followers(lead)
	follower := fs[len(fs)-1]
	c.crash(c.byID[lead.ID()])
	var res *Result
	deadline := c.now.Add(time.Minute)
	follower.Write(&kv.Request{Put: &kv.PutRequest{Key: []byte("x"), Value: []byte("y")}}, deadline, func(r Result) { res = &r })
	for i := 0; i < 100 && c.leaderOrNil() == nil; i++ {
		c.tick(1)
	}
	if c.leaderOrNil() == nil {
		t.Fatal("no new leader after the crash")
	}
	if res == nil {
		t.Fatalf("a new leader won at %s but the forwarded write is still waiting (deadline %s)", c.now.Format(time.TimeOnly), deadline.Format(time.TimeOnly))
	}
	if !errors.Is(res.Err, ErrTimeoutDueToLeaderFail) {
		t.Fatalf("error %v, want %v", res.Err, ErrTimeoutDueToLeaderFail)
	}
}

func TestMember_RefusesDataDirOfAnotherCluster(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	c.leader()
	c.crash("m1")
	cfg := c.cfgs["m1"]
	cfg.InitialClusterToken = "another-cluster"
	_, err := NewMember(cfg, Env{FS: c.disks["m1"], Transport: queueTransport{c}, Clock: fakeClock{c}, Rand: c.members["m2"].env.Rand})
	if err == nil {
		t.Fatal("started on a data directory of another cluster")
	}
	t.Log(err)
}

// A data directory whose WAL is gone but whose snapshots are there is not
// an empty one: starting a new member over it would quietly lose the data.
func TestMember_RefusesSnapshotsWithoutWAL(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	for i := range 150 { // past the harness's snapshot count
		c.put(lead, fmt.Sprintf("k%d", i), "v")
	}
	name := c.byID[c.followers(lead)[0].ID()]
	c.crash(name)
	disk, dir := c.disks[name], c.cfgs[name].DataDir
	if snaps, _ := disk.ReadDir(snapDir(dir)); len(snaps) == 0 {
		t.Fatal("no snapshot was written: the test would prove nothing")
	}
	if err := disk.RemoveAll(walDir(dir)); err != nil {
		t.Fatal(err)
	}
	_, err := NewMember(c.cfgs[name], Env{FS: disk, Transport: queueTransport{c}, Clock: fakeClock{c}, Rand: lead.env.Rand})
	if err == nil || !strings.Contains(err.Error(), "but no WAL") {
		t.Fatalf("started on snapshots without their WAL: %v", err)
	}
}

// A leader that found a lease expired, lost its followers, and won again
// (which restarts every countdown) must not answer "renewed" to a
// keep-alive it had proposed before deciding: the revocation comes right
// after it in the log. (Found by the member-level simulator; its regression
// script re-elected-leader-refuses-a-renewal-ahead-of-its-revocation.)
func TestMember_KeepAliveBeforeARevocationIsNotAcknowledged(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	r := c.write(lead, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 3}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	id := r.KV.LeaseGrant.ID
	c.write(lead, &kv.Request{Put: &kv.PutRequest{Key: []byte("leased"), Value: []byte("v"), Lease: id}})
	c.tick(25) // half a second of the TTL left
	var leadName string
	for _, name := range c.names {
		if c.members[name] == lead {
			leadName = name
		} else {
			c.crash(name)
		}
	}
	var ka *Result
	lead.KeepAlive(id, c.now.Add(10*time.Second), func(r Result) { ka = &r })
	c.tick(22) // the countdown runs out (a revocation is proposed), then CheckQuorum
	if lead.IsLeader() {
		t.Fatal("an isolated leader kept leading")
	}
	// One follower comes back, so the old leader wins again for sure:
	// its log ends with the keep-alive and the revocation, longer than
	// the follower's, so the follower can win no vote but its own, and
	// grants the old leader its vote.
	var back string
	for _, name := range c.names {
		if name != leadName {
			back = name
			break
		}
	}
	c.start(back)
	if c.leader() != lead {
		t.Fatalf("%s won the election, with a log shorter than the old leader's", c.byID[c.leader().ID()])
	}
	c.tick(5)
	_, alive := c.get(lead, "leased")
	if ka == nil {
		t.Fatal("the keep-alive never resolved")
	}
	if ka.Err == nil && !alive {
		t.Fatalf("the keep-alive was acknowledged (TTL %d) but the lease was revoked right after it", ka.Renew.TTL)
	}
	t.Logf("keep-alive: %v; lease alive: %v", ka.Err, alive)
}

// member update: a member moved to another address. Every member learns the
// new peer URLs from the log, a restart keeps them, and an update that would
// give two members one URL, or names no member, is refused.
func TestMember_UpdatePeerURLs(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	follower := c.followers(lead)[0]
	update := func(via *Member, id uint64, urls ...string) *Result {
		var res *Result
		via.UpdateMember(id, urls, c.now.Add(5*time.Second), func(r Result) { res = &r })
		c.settle()
		if res == nil {
			t.Fatalf("member update of %x got no answer", id)
		}
		return res
	}
	moved := "http://10.0.0.9:2380"
	// Through a follower: the entry travels to the leader like a write.
	if res := update(follower, lead.ID(), moved); res.Err != nil {
		t.Fatalf("member update: %v", res.Err)
	}
	peerURLsOf := func(m *Member, id uint64) []string {
		for _, info := range m.Members() {
			if info.ID == id {
				return info.PeerURLs
			}
		}
		return nil
	}
	for _, name := range c.names {
		if got := peerURLsOf(c.members[name], lead.ID()); !slices.Equal(got, []string{moved}) {
			t.Fatalf("%s sees the moved member at %v, want [%s]", name, got, moved)
		}
	}
	c.crash(c.byID[follower.ID()])
	c.start(c.byID[follower.ID()])
	c.tick(1) // a heartbeat brings back the commit index the crash lost (unsynced)
	if got := peerURLsOf(c.members[c.byID[follower.ID()]], lead.ID()); !slices.Equal(got, []string{moved}) {
		t.Fatalf("after a restart the moved member is at %v, want [%s]", got, moved)
	}

	for _, tc := range []struct {
		what string
		id   uint64
		urls []string
		want error
	}{
		{"another member's URL", follower.ID(), []string{moved}, ErrPeerURLExists},
		{"no such member", 0xdead, []string{"http://10.0.0.10:2380"}, ErrMemberNotFound},
		{"not a URL", follower.ID(), []string{"10.0.0.10:2380"}, ErrBadURLs},
		{"no URLs", follower.ID(), nil, ErrBadURLs},
	} {
		if res := update(lead, tc.id, tc.urls...); !errors.Is(res.Err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.what, res.Err, tc.want)
		}
	}
	// Its own URLs again are fine: nothing else uses them.
	if res := update(lead, lead.ID(), moved); res.Err != nil {
		t.Fatalf("updating a member to the URLs it has: %v", res.Err)
	}

	// The operator restarts the moved member on its new address, and
	// another with --initial-cluster brought up to date: the data
	// directories recognise the cluster as member update left it.
	movedName, otherName := c.byID[lead.ID()], c.byID[follower.ID()]
	initial := strings.ReplaceAll(c.cfgs[movedName].InitialCluster, peerURL(movedName), moved)
	for _, name := range []string{movedName, otherName} {
		cfg := c.cfgs[name]
		cfg.InitialCluster = initial
		if name == movedName {
			cfg.InitialAdvertisePeerURLs = []string{moved}
		}
		c.cfgs[name] = cfg
		c.crash(name)
		c.start(name) // fails the test if the member refuses to start
	}
	c.settle()
	if r := c.put(c.leader(), "after-move", "1"); r.Err != nil {
		t.Fatalf("put after restarting on the new address: %v", r.Err)
	}

	// The usual order: stop the member, update it, restart it on its new
	// address. Its own log does not know of the move yet when it starts.
	var third string
	for _, name := range c.names {
		if name != movedName && name != otherName {
			third = name
		}
	}
	c.crash(third)
	var id uint64
	for mid, name := range c.byID {
		if name == third {
			id = mid
		}
	}
	movedAgain := "http://10.0.0.11:2380"
	if res := update(c.leader(), id, movedAgain); res.Err != nil {
		t.Fatalf("member update of a stopped member: %v", res.Err)
	}
	cfg := c.cfgs[third]
	cfg.InitialCluster = strings.ReplaceAll(initial, peerURL(third), movedAgain)
	cfg.InitialAdvertisePeerURLs = []string{movedAgain}
	c.cfgs[third] = cfg
	// The same moves with another cluster's token are still refused.
	other := cfg
	other.InitialClusterToken = "another-cluster"
	if _, err := NewMember(other, Env{FS: c.disks[third], Transport: queueTransport{c}, Clock: fakeClock{c}, Rand: lead.env.Rand}); err == nil ||
		!strings.Contains(err.Error(), "belongs to cluster") {
		t.Fatalf("a moved member started with another cluster's token: %v", err)
	}
	c.start(third)
	c.tick(5) // a heartbeat brings it the entries it missed
	if got := peerURLsOf(c.members[third], id); !slices.Equal(got, []string{movedAgain}) {
		t.Fatalf("the restarted member sees itself at %v, want [%s]", got, movedAgain)
	}
}
