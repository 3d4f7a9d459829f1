package compat

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// A password change (or the user's deletion) ends the user's tokens on
// every member. A client holding only a token is then refused with
// "invalid auth token"; clientv3 holding the password logs in again and
// repeats the request, which succeeds if the password it holds is still
// the right one and fails as a failed login if not.
func TestAuth_APasswordChangeInvalidatesTheUsersTokens(t *testing.T) {
	c := startAuthCluster(t, 3, clusterOptions{})
	admin := c.client()
	withToken := c.clientWith(clientv3.Config{Token: authToken(t, c, alice)})
	withPassword := c.clientAs(alice)
	carolsToken := c.clientWith(clientv3.Config{Token: authToken(t, c, carol)})
	for _, cli := range []*clientv3.Client{withToken, withPassword} {
		_, err := cli.Put(callCtx(t), "app/k", "before")
		require.NoError(t, err)
	}
	_, err := carolsToken.MemberList(callCtx(t))
	require.NoError(t, err)

	// The same password again: still a change, which ends every token.
	_, err = admin.UserChangePassword(callCtx(t), alice.name, alice.password)
	require.NoError(t, err)
	_, err = admin.UserDelete(callCtx(t), carol.name)
	require.NoError(t, err)
	c.syncMembers(t)
	_, err = withToken.Put(callCtx(t), "app/k", "old token")
	assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthToken, "a token from before the change")
	_, err = carolsToken.MemberList(callCtx(t))
	assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthToken, "a deleted user's token")
	_, err = withPassword.Put(callCtx(t), "app/k", "logged in again")
	assert.NoError(t, err, "clientv3 logs in again with the password it holds, and repeats the put")

	_, err = admin.UserChangePassword(callCtx(t), alice.name, "newpw")
	require.NoError(t, err)
	c.syncMembers(t)
	_, err = withPassword.Put(callCtx(t), "app/k", "old password")
	assert.ErrorIs(t, err, rpctypes.ErrAuthFailed, "the password clientv3 holds is no longer alice's")
	_, err = c.clientAs(account{alice.name, "newpw"}).Put(callCtx(t), "app/k", "new password")
	assert.NoError(t, err)
	r := runQuiet(t, etcdctl(t), "etcdctl --user alice:alicepw get app/k", c.etcdctlEnv()...)
	assert.Equal(t, result{stderr: "Error: etcdserver: authentication failed, invalid user ID or password\n", code: 2}, r, "etcdctl with the old password")
	got, err := admin.Get(callCtx(t), "app/k")
	require.NoError(t, err)
	assert.Equal(t, "new password", string(got.Kvs[0].Value))
}

// With authentication on, a leader handed over and a leader killed change
// nothing for clients: a token handed out by the leader is known to every
// member (simple tokens go through the log) and outlives it, and clientv3
// and etcdctl carry on with the members left.
func TestAuth_ClientsKeepWorkingAcrossALeaderChange(t *testing.T) {
	c := startAuthCluster(t, 3, clusterOptions{})
	clients := map[string]*clientv3.Client{"password": c.clientAs(alice)}
	check := func(when string) {
		t.Helper()
		for name, cli := range clients {
			_, err := cli.Put(callCtx(t), "app/"+name, when)
			require.NoError(t, err, "%s: put with the %s client", when, name)
			got, err := cli.Get(callCtx(t), "app/"+name)
			require.NoError(t, err, "%s: get with the %s client", when, name)
			assert.Equal(t, when, string(got.Kvs[0].Value))
		}
		r := runQuiet(t, etcdctl(t), "etcdctl --user alice:alicepw put app/etcdctl '"+when+"'", c.etcdctlEnv()...)
		assert.Equal(t, result{stdout: "OK\n"}, r, "%s: etcdctl", when)
	}
	check("before")

	leader := c.waitLeader()
	var target *procMember
	for _, m := range c.members {
		if m != leader {
			target = m
		}
	}
	_, err := c.client(leader.clientURL).MoveLeader(callCtx(t), c.memberID(target))
	require.NoError(t, err, "move-leader, as root")
	require.Equal(t, target, c.waitLeader())
	// A token the new leader hands out, used through every member.
	clients["token"] = c.clientWith(clientv3.Config{Token: authToken(t, c, alice, target.clientURL)})
	check("after move-leader")

	c.kill(target)
	require.NotEqual(t, target, c.waitLeader())
	check("after the leader was killed")
}
