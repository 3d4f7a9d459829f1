package server

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
)

// authChange applies an auth change through the cluster's leader.
func (c *memberCluster) authChange(req *auth.Request) Result {
	c.t.Helper()
	lead := c.leader()
	var res *Result
	lead.AuthChange(req, c.now.Add(5*time.Second), func(r Result) { res = &r })
	for i := 0; res == nil && i < 100; i++ {
		c.tick(1)
	}
	require.NotNil(c.t, res, "auth change %+v never resolved", req)
	return *res
}

// setUpAuth makes root (with the root role) and alice (with role rw:
// read and write on every key under "k"), and turns authentication on.
func setUpAuth(t *testing.T, c *memberCluster) {
	for _, req := range []*auth.Request{
		{Op: auth.OpUserAdd, User: auth.RootUser, NoPassword: true},
		{Op: auth.OpUserGrantRole, User: auth.RootUser, Role: auth.RootRole},
		{Op: auth.OpUserAdd, User: "alice", NoPassword: true},
		{Op: auth.OpRoleAdd, Role: "rw"},
		{Op: auth.OpRoleGrantPermission, Role: "rw", Perm: auth.Permission{Type: auth.ReadWrite, Key: []byte("k"), RangeEnd: []byte("l")}},
		{Op: auth.OpUserGrantRole, User: "alice", Role: "rw"},
		{Op: auth.OpEnable},
	} {
		req.Caller = auth.Caller{User: auth.RootUser, Revision: c.leader().Auth().Revision()}
		require.NoError(t, c.authChange(req).Err, "%+v", req)
	}
}

// A permission revoked while a write is on its way to the log is honoured
// by every member alike: the write carries the auth revision its
// permission was read at, and when it is applied after the revocation,
// every member refuses it ("revision of auth store is old") — none applies
// it while another refuses (etcd issue #14571, where only the member that
// checked at the door decided, and the members diverged).
func TestAuth_APermissionRevokedWhileAWriteIsOnItsWayIsHonouredByEveryMember(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	setUpAuth(t, c)
	lead := c.leader()
	alice := auth.Caller{User: "alice", Revision: lead.Auth().Revision()}
	require.Nil(t, c.writeAs(lead, &kv.Request{Put: &kv.PutRequest{Key: []byte("k1"), Value: []byte("allowed")}}, alice).Err)

	// The revocation and alice's write, proposed in that order with alice's
	// permission read before the revocation: in the log, the revocation
	// comes first.
	root := auth.Caller{User: auth.RootUser, Revision: lead.Auth().Revision()}
	var revoked, wrote *Result
	lead.AuthChange(&auth.Request{Caller: root, Op: auth.OpUserRevokeRole, User: "alice", Role: "rw"}, c.now.Add(5*time.Second), func(r Result) { revoked = &r })
	lead.WriteAs(&kv.Request{Put: &kv.PutRequest{Key: []byte("k2"), Value: []byte("too late")}}, alice, c.now.Add(5*time.Second), func(r Result) { wrote = &r })
	for i := 0; (revoked == nil || wrote == nil) && i < 100; i++ {
		c.tick(1)
	}
	require.NotNil(t, revoked)
	require.NoError(t, revoked.Err)
	require.NotNil(t, wrote)
	require.True(t, errors.Is(toError(wrote.Err), ErrAuthOldRevision), "the write after the revocation: %v", wrote.Err)
	for _, name := range c.names {
		resp, err := c.members[name].Store().Range(&kv.RangeRequest{Key: []byte("k2")})
		require.NoError(t, err)
		require.Empty(t, resp.Kvs, "%s applied a write another member refused", name)
	}
	// With her new revision, alice is refused outright now.
	alice.Revision = lead.Auth().Revision()
	r := c.writeAs(lead, &kv.Request{Put: &kv.PutRequest{Key: []byte("k3"), Value: []byte("v")}}, alice)
	require.True(t, errors.Is(toError(r.Err), ErrPermissionDenied), "%v", r.Err)
}

// A write proposed without a user while authentication was off, and
// applied after it was turned on, is refused on every member.
func TestAuth_AWriteWithoutAUserAppliedAfterEnableIsRefused(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	for _, req := range []*auth.Request{
		{Op: auth.OpUserAdd, User: auth.RootUser, NoPassword: true},
		{Op: auth.OpUserGrantRole, User: auth.RootUser, Role: auth.RootRole},
	} {
		require.NoError(t, c.authChange(req).Err)
	}
	var enabled, wrote *Result
	lead.AuthChange(&auth.Request{Op: auth.OpEnable}, c.now.Add(5*time.Second), func(r Result) { enabled = &r })
	lead.Write(&kv.Request{Put: &kv.PutRequest{Key: []byte("k"), Value: []byte("v")}}, c.now.Add(5*time.Second), func(r Result) { wrote = &r })
	for i := 0; (enabled == nil || wrote == nil) && i < 100; i++ {
		c.tick(1)
	}
	require.NoError(t, enabled.Err)
	require.True(t, errors.Is(toError(wrote.Err), ErrUserEmpty), "%v", wrote.Err)
}

// The leader's own writes — revoking an expired lease — are not a user's:
// with authentication on they still happen.
func TestAuth_ExpiredLeasesAreRevokedWithAuthenticationOn(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	setUpAuth(t, c)
	lead := c.leader()
	root := auth.Caller{User: auth.RootUser, Revision: lead.Auth().Revision()}
	g := c.writeAs(lead, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: 2}}, root)
	require.NoError(t, g.Err)
	id := g.KV.LeaseGrant.ID
	require.NoError(t, c.writeAs(lead, &kv.Request{Put: &kv.PutRequest{Key: []byte("k"), Value: []byte("v"), Lease: id}}, root).Err)
	c.tick(50)
	for _, name := range c.names {
		resp, err := c.members[name].Store().Range(&kv.RangeRequest{Key: []byte("k")})
		require.NoError(t, err)
		require.Empty(t, resp.Kvs, "%s: the expired lease's key is still there", name)
	}
}

// Users and roles are replicated state: a member restarted from a
// snapshot knows them.
func TestAuth_UsersAndRolesTravelInSnapshots(t *testing.T) {
	c := newMemberCluster(t, 3, func(cfg *Config) { cfg.SnapshotCount = 5 })
	setUpAuth(t, c)
	lead := c.leader()
	root := auth.Caller{User: auth.RootUser, Revision: lead.Auth().Revision()}
	for range 10 {
		require.NoError(t, c.writeAs(lead, &kv.Request{Put: &kv.PutRequest{Key: []byte("k"), Value: []byte("v")}}, root).Err)
	}
	f := c.followers(lead)[0]
	name := c.byID[f.ID()]
	c.crash(name)
	c.start(name)
	// It restarted from a snapshot taken after every auth change (seven
	// entries, plus the bootstrap's), not by replaying them.
	require.Greater(t, c.members[name].snapshotIndex, uint64(10))
	c.tick(5)
	st := c.members[name].Auth()
	require.True(t, st.Enabled())
	require.Equal(t, lead.Auth().Revision(), st.Revision())
	require.True(t, st.HasRole("alice", "rw"))
	require.Equal(t, lead.Auth().Hash(), st.Hash())
}

// writeAs is write on behalf of a user.
func (c *memberCluster) writeAs(m *Member, req *kv.Request, caller auth.Caller) Result {
	c.t.Helper()
	var res *Result
	m.WriteAs(req, caller, c.now.Add(5*time.Second), func(r Result) { res = &r })
	for i := 0; res == nil && i < 100; i++ {
		c.settle()
		if res == nil {
			c.tick(1)
		}
	}
	require.NotNil(c.t, res, "request never resolved")
	return *res
}
