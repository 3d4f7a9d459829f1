package compat

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Users, roles and permissions are replicated state like the keys: a
// backup taken with etcdctl holds them, and a new cluster restored from it
// (raftkvutl snapshot restore, as docs/operations.md does it) starts with
// authentication on, the same users with the same passwords, the same
// roles, and every member enforcing them.
func TestAuth_ABackupRestoredKeepsItsUsersAndRoles(t *testing.T) {
	c := startAuthCluster(t, 3, clusterOptions{})
	_, err := c.clientAs(alice).Put(callCtx(t), "app/k", "backed up")
	require.NoError(t, err)
	e := etcdctl(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	ep1 := "env -u ETCDCTL_ENDPOINTS etcdctl --endpoints=" + c.members[0].clientURL
	r := runQuiet(t, e, ep1+" --user alice:alicepw snapshot save "+backup)
	// (etcdctl's snapshot save prints the gRPC error whole, and exits 5.)
	assert.Equal(t, result{stderr: "Error: rpc error: code = PermissionDenied desc = etcdserver: permission denied\n", code: 5}, r, "only root may take a backup")
	r = runQuiet(t, e, ep1+" --user root:rootpw snapshot save "+backup)
	require.Zero(t, r.code, "snapshot save: %+v", r)
	require.Contains(t, r.stdout, "Snapshot saved at "+backup)

	restored := newCluster(t, clusterOptions{flags: fastBcrypt})
	for range 3 {
		restored.newMember()
	}
	for _, m := range restored.members {
		restore := exec.Command(restorerPath(t), "snapshot", "restore", backup, "--name", m.name, "--data-dir", m.dataDir,
			"--initial-cluster", restored.initialCluster(), "--initial-cluster-token", restored.token,
			"--initial-advertise-peer-urls", m.peerURL)
		out, err := restore.CombinedOutput()
		require.NoError(t, err, "%s\n%s", restore, out)
		restored.start(m, restored.initialCluster(), "new")
	}
	restored.user, restored.password = root.name, root.password
	restored.waitLeader()

	st, err := restored.clientWith(clientv3.Config{}).AuthStatus(callCtx(t))
	require.NoError(t, err)
	assert.True(t, st.Enabled, "authentication still on")
	_, err = restored.clientWith(clientv3.Config{}).Get(callCtx(t), "app/k")
	assert.ErrorIs(t, err, rpctypes.ErrUserEmpty)
	admin := restored.client()
	users, err := admin.UserList(callCtx(t))
	require.NoError(t, err, "root logs in with its password")
	assert.Equal(t, []string{"alice", "bob", "carol", "root"}, users.Users)
	roles, err := admin.RoleList(callCtx(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"app", "reader"}, roles.Roles)
	for _, m := range restored.members {
		a := restored.clientAs(alice, m.clientURL)
		got, err := a.Get(callCtx(t), "app/k")
		require.NoError(t, err, "%s: alice logs in and reads", m.name)
		assert.Equal(t, "backed up", string(got.Kvs[0].Value))
		_, err = a.Put(callCtx(t), "other", "x")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "%s: alice's permissions, as they were", m.name)
		_, err = restored.clientAs(bob, m.clientURL).Put(callCtx(t), "app/k", "x")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "%s: bob may still only read", m.name)
	}
	r = runQuiet(t, e, "etcdctl --user bob:bobpw role get reader", restored.etcdctlEnv()...)
	assert.Equal(t, result{stdout: "Role reader\nKV Read:\n\t[app/, app0) (prefix app/)\nKV Write:\n"}, r)
}
