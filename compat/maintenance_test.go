package compat

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Maintenance.Status of every member: the etcd version raftkv speaks, one
// leader for all, sizes and raft indexes, no alarms.
func TestMaintenance_Status(t *testing.T) {
	c := startCluster(t, 3)
	revisionOf(t, c.client(), "k", "v")
	leader := c.memberID(c.waitLeader())
	ids := map[uint64]bool{}
	for _, m := range c.members {
		st, err := c.client(m.clientURL).Status(callCtx(t), m.clientURL)
		require.NoError(t, err, m.name)
		assert.Equal(t, "3.7.3", st.Version, "%s: the etcd version it speaks", m.name)
		assert.Equal(t, leader, st.Leader, m.name)
		assert.NotZero(t, st.Header.ClusterId)
		ids[st.Header.MemberId] = true
		assert.Positive(t, st.DbSize, m.name)
		assert.Positive(t, st.DbSizeInUse, m.name)
		assert.LessOrEqual(t, st.DbSizeInUse, st.DbSize, m.name)
		assert.Equal(t, int64(2<<30), st.DbSizeQuota, "%s: etcd's default quota", m.name)
		assert.Positive(t, st.RaftAppliedIndex, m.name)
		assert.GreaterOrEqual(t, st.RaftIndex, st.RaftAppliedIndex, m.name)
		assert.Equal(t, st.Header.RaftTerm, st.RaftTerm, m.name)
		assert.False(t, st.IsLearner, m.name)
		assert.Empty(t, st.Errors, m.name)
		assert.NotEmpty(t, st.StorageVersion, m.name)
	}
	assert.Len(t, ids, 3, "three members, three IDs")
}

// Maintenance.Snapshot streams a backup whose last 32 bytes are the
// SHA-256 of the rest (etcdctl snapshot save checks them), with the
// storage version in every message.
func TestMaintenance_Snapshot(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client(c.members[0].clientURL)
	for _, k := range []string{"a", "b", "c"} {
		revisionOf(t, cli, k, "value of "+k)
	}
	snap, err := cli.SnapshotWithVersion(callCtx(t))
	require.NoError(t, err)
	defer snap.Snapshot.Close()
	data, err := io.ReadAll(snap.Snapshot)
	require.NoError(t, err)
	require.Greater(t, len(data), sha256.Size)
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	want := sha256.Sum256(body)
	assert.Equal(t, want[:], sum, "the stream ends with the SHA-256 of what came before")
	assert.NotEmpty(t, snap.Version, "the storage version")

	// The raw stream: the remaining bytes count down to 0, which the last
	// message, the checksum, carries.
	stream, err := pb.NewMaintenanceClient(cli.ActiveConnection()).Snapshot(callCtx(t), &pb.SnapshotRequest{})
	require.NoError(t, err)
	var raw bytes.Buffer
	var last *pb.SnapshotResponse
	prev := uint64(1 << 62)
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		assert.LessOrEqual(t, resp.RemainingBytes, prev, "remaining bytes never grow")
		prev = resp.RemainingBytes
		assert.Equal(t, snap.Version, resp.Version)
		raw.Write(resp.Blob)
		last = resp
	}
	require.NotNil(t, last)
	assert.Zero(t, last.RemainingBytes)
	assert.Len(t, last.Blob, sha256.Size, "the last message is the checksum alone")
	rawSum := sha256.Sum256(raw.Bytes()[:raw.Len()-sha256.Size])
	assert.Equal(t, rawSum[:], last.Blob)
}

// Maintenance.HashKV: every member hashes the same history to the same
// value, at the revision asked for or the latest.
func TestMaintenance_HashKV(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	var revs []int64
	for _, v := range []string{"1", "2", "3"} {
		revs = append(revs, revisionOf(t, cli, "k", v))
	}
	_, err := cli.Delete(callCtx(t), "k")
	require.NoError(t, err)
	for _, rev := range []int64{revs[1], 0} {
		hashes := map[uint32][]string{}
		for _, m := range c.members {
			// Linearizable first, so that the member has applied the
			// delete before it hashes.
			_, err := c.client(m.clientURL).Get(callCtx(t), "k")
			require.NoError(t, err)
			h, err := cli.HashKV(callCtx(t), m.clientURL, rev)
			require.NoError(t, err, m.name)
			want := rev
			if rev == 0 {
				want = revs[2] + 1
			}
			assert.Equal(t, want, h.HashRevision, "%s: the hash's revision", m.name)
			hashes[h.Hash] = append(hashes[h.Hash], m.name)
		}
		assert.Len(t, hashes, 1, "at revision %d, one hash for every member: %v", rev, hashes)
	}
	a, err := cli.HashKV(callCtx(t), c.members[0].clientURL, revs[0])
	require.NoError(t, err)
	b, err := cli.HashKV(callCtx(t), c.members[0].clientURL, revs[2])
	require.NoError(t, err)
	assert.NotEqual(t, a.Hash, b.Hash, "different histories, different hashes")
	_, err = cli.HashKV(callCtx(t), c.members[0].clientURL, revs[2]+100)
	assert.ErrorIs(t, err, rpctypes.ErrFutureRev)
}

// Maintenance.MoveLeader hands leadership to another member; only the
// leader takes the request.
func TestMaintenance_MoveLeader(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.waitLeader()
	var target *procMember
	for _, m := range c.members {
		if m != leader {
			target = m
		}
	}
	_, err := c.client(target.clientURL).MoveLeader(callCtx(t), c.memberID(leader))
	assert.ErrorIs(t, err, rpctypes.ErrNotLeader, "a follower refuses to move the leadership")

	_, err = c.client(leader.clientURL).MoveLeader(callCtx(t), c.memberID(target))
	require.NoError(t, err)
	// etcd's new leader says so as soon as MoveLeader returns; raftkv's
	// may say "no leader" for the few milliseconds until it publishes
	// what it knows (server/run.go publishes a member's view after the
	// fsync of its step), so this waits.
	assert.Equal(t, target, c.waitLeader(), "the target leads once MoveLeader returns")

	_, err = c.client(target.clientURL).MoveLeader(callCtx(t), 0x1234)
	assert.ErrorIs(t, err, rpctypes.ErrBadLeaderTransferee, "a member that does not exist")
}

// Alarms (none on a new cluster) and defragmentation, as etcdctl's alarm
// list and defrag ask for them.
func TestMaintenance_AlarmsAndDefragment(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	alarms, err := cli.AlarmList(callCtx(t))
	require.NoError(t, err)
	assert.Empty(t, alarms.Alarms)
	disarmed, err := cli.AlarmDisarm(callCtx(t), &clientv3.AlarmMember{MemberID: c.memberID(c.members[0]), Alarm: pb.AlarmType_NOSPACE})
	require.NoError(t, err, "disarming an alarm that is not raised")
	assert.Empty(t, disarmed.Alarms)
	for _, m := range c.members {
		_, err := cli.Defragment(callCtx(t), m.clientURL)
		assert.NoError(t, err, m.name)
	}
	revisionOf(t, cli, "after", "defrag")
}
