package compat

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// memberByID finds a member of a listing.
func memberByID(members []*pb.Member, id uint64) *pb.Member {
	i := slices.IndexFunc(members, func(m *pb.Member) bool { return m.ID == id })
	if i < 0 {
		return nil
	}
	return members[i]
}

// The Cluster service as etcdctl's member commands use it: list; add a
// learner, which cannot be promoted until it has caught up; start it,
// promote it; remove it; and the errors for each misuse.
func TestCluster_Membership(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client(c.members[0].clientURL, c.members[1].clientURL, c.members[2].clientURL)

	list, err := cli.MemberList(callCtx(t))
	require.NoError(t, err)
	require.Len(t, list.Members, 3)
	for _, m := range c.members {
		got := memberByID(list.Members, c.memberID(m))
		require.NotNil(t, got, "%s in the list", m.name)
		assert.Equal(t, m.name, got.Name)
		assert.Equal(t, []string{m.peerURL}, got.PeerURLs)
		assert.Equal(t, []string{m.clientURL}, got.ClientURLs)
		assert.False(t, got.IsLearner)
	}
	serializable, err := cli.MemberList(callCtx(t), clientv3.WithSerializable())
	require.NoError(t, err)
	assert.Len(t, serializable.Members, 3)

	// A learner, added.
	learner := c.newMember()
	var added *clientv3.MemberAddResponse
	// etcd refuses a change of membership until every member has been
	// connected for a while ("unhealthy cluster").
	require.Eventually(t, func() bool {
		added, err = cli.MemberAddAsLearner(callCtx(t), []string{learner.peerURL})
		return !errors.Is(err, rpctypes.ErrUnhealthy)
	}, electionLimit, pollEvery, "the cluster to accept a new member")
	require.NoError(t, err)
	assert.True(t, added.Member.IsLearner)
	assert.Equal(t, []string{learner.peerURL}, added.Member.PeerURLs)
	assert.Empty(t, added.Member.Name, "a member that has not started has no name yet")
	assert.Empty(t, added.Member.ClientURLs)
	assert.Len(t, added.Members, 4)
	learnerID := added.Member.ID

	// etcd derives a new member's ID from its peer URLs and the second it
	// was added: within the same second, the ID is found to exist first.
	_, err = cli.MemberAdd(callCtx(t), []string{learner.peerURL})
	if !errors.Is(err, rpctypes.ErrMemberExist) {
		assert.ErrorIs(t, err, rpctypes.ErrPeerURLExist, "adding a peer URL twice")
	}
	_, err = cli.MemberPromote(callCtx(t), c.memberID(c.members[0]))
	assert.ErrorIs(t, err, rpctypes.ErrMemberNotLearner, "promoting a voter")
	_, err = cli.MemberPromote(callCtx(t), learnerID)
	assert.ErrorIs(t, err, rpctypes.ErrMemberLearnerNotReady, "promoting a learner that has not caught up")
	_, err = cli.MemberRemove(callCtx(t), 0x1234)
	assert.ErrorIs(t, err, rpctypes.ErrMemberNotFound)

	// Started, it catches up; a learner serves no write.
	c.start(learner, c.initialCluster(), "existing")
	learnerOnly := c.client(learner.clientURL)
	require.Eventually(t, func() bool {
		st, err := status(learnerOnly, learner.clientURL)
		return err == nil && st.IsLearner && st.Leader != 0
	}, electionLimit, pollEvery, "the learner to join")
	t.Run("a learner refuses what it may not serve", func(t *testing.T) {
		// etcd's learner serves Status, serializable reads and snapshots;
		// it refuses every other call, so that clientv3 takes it to a
		// voter (it retries this error on another endpoint).
		notForLearner := rpctypes.Error(rpctypes.ErrGRPCNotSupportedForLearner)
		_, err := learnerOnly.Put(callCtx(t), "k", "v")
		assert.ErrorIs(t, err, notForLearner, "a put")
		_, err = learnerOnly.Get(callCtx(t), "k")
		assert.ErrorIs(t, err, notForLearner, "a linearizable get")
		_, err = learnerOnly.Get(callCtx(t), "k", clientv3.WithSerializable())
		assert.NoError(t, err, "a serializable get")
		_, err = learnerOnly.Status(callCtx(t), learner.clientURL)
		assert.NoError(t, err, "status")
	})

	var promoted *clientv3.MemberPromoteResponse
	var promoteErr error
	require.Eventually(t, func() bool {
		promoted, promoteErr = cli.MemberPromote(callCtx(t), learnerID)
		return promoteErr == nil || !errors.Is(promoteErr, rpctypes.ErrMemberLearnerNotReady)
	}, electionLimit, pollEvery, "the learner to catch up")
	require.NoError(t, promoteErr)
	got := memberByID(promoted.Members, learnerID)
	require.NotNil(t, got)
	assert.False(t, got.IsLearner, "promoted")
	require.Eventually(t, func() bool {
		list, err := cli.MemberList(callCtx(t))
		if err != nil {
			return false
		}
		got = memberByID(list.Members, learnerID)
		return got != nil && got.Name != ""
	}, waitLimit, pollEvery, "the new member to publish its name")
	assert.Equal(t, learner.name, got.Name)
	assert.Equal(t, []string{learner.clientURL}, got.ClientURLs, "and its client URLs")
	_, err = learnerOnly.Put(callCtx(t), "k", "v")
	assert.NoError(t, err, "a write through the promoted member")

	// Removed, and not found the second time.
	only := c.client(c.members[0].clientURL)
	removed, err := only.MemberRemove(callCtx(t), learnerID)
	require.NoError(t, err)
	assert.Len(t, removed.Members, 3)
	assert.Nil(t, memberByID(removed.Members, learnerID))
	_, err = only.MemberRemove(callCtx(t), learnerID)
	assert.ErrorIs(t, err, rpctypes.ErrMemberNotFound, "removing it again")
	c.kill(learner)
}

// A client given every member's URL keeps working when one of them dies:
// reads go on without a single failure, through the members left.
func TestCluster_EndpointFailover(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	revisionOf(t, cli, "k", "v")
	get := func(when string) {
		t.Helper()
		resp, err := cli.Get(callCtx(t), "k")
		require.NoError(t, err, when)
		require.Len(t, resp.Kvs, 1, when)
	}
	for range 10 {
		get("before the kill")
	}
	leader := c.waitLeader()
	c.kill(leader)
	// Every read right after the kill: clientv3 retries a read that
	// failed for want of a member on another, within its deadline.
	for range 30 {
		get("after the leader was killed")
	}
	revisionOf(t, cli, "k", "after the kill")
	var survivor *procMember
	for _, m := range c.running() {
		if m != c.waitLeader() {
			survivor = m
		}
	}
	c.kill(survivor)
	// Two of three members down: no quorum, but a serializable read is
	// served by the one left.
	for range 10 {
		resp, err := cli.Get(callCtx(t), "k", clientv3.WithSerializable())
		require.NoError(t, err, "a serializable read with one member of three left")
		assert.Equal(t, "after the kill", string(resp.Kvs[0].Value))
	}
}
