package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"
)

// fastBcrypt makes password hashes as cheap as bcrypt allows (etcd has the
// same flag): a login then costs a millisecond or so instead of the tens
// that the default cost 10 takes, and these tests log in often.
var fastBcrypt = []string{"--bcrypt-cost", "4"}

// An account is a user of the auth tests and its password.
type account struct{ name, password string }

// The users of the auth tests: root holds role root; alice holds app
// (READWRITE on the prefix app/); bob holds reader (READ on app/); carol
// holds no role at all.
var (
	root  = account{"root", "rootpw"}
	alice = account{"alice", "alicepw"}
	bob   = account{"bob", "bobpw"}
	carol = account{"carol", "carolpw"}
)

// appEnd is the end of the prefix app/: "app0".
var appEnd = clientv3.GetPrefixRangeEnd("app/")

// startAuthCluster starts n members with opts and fastBcrypt, makes the
// tests' users and roles and turns authentication on; the cluster's own
// clients (c.client) then log in as root.
func startAuthCluster(t *testing.T, n int, opts clusterOptions) *procCluster {
	t.Helper()
	opts.flags = append(append([]string(nil), opts.flags...), fastBcrypt...)
	c := startClusterWith(t, n, opts)
	setUpUsers(t, c.client())
	_, err := c.client().AuthEnable(callCtx(t))
	require.NoError(t, err, "auth enable")
	c.user, c.password = root.name, root.password
	return c
}

// setUpUsers makes the tests' users and roles (authentication still off).
func setUpUsers(t *testing.T, cli *clientv3.Client) {
	t.Helper()
	ctx := callCtx(t)
	for _, a := range []account{root, alice, bob, carol} {
		_, err := cli.UserAdd(ctx, a.name, a.password)
		require.NoError(t, err, "user add %s", a.name)
	}
	// Granting role root needs no role root to exist first (etcd makes
	// the exception: it is built in).
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"grant root to root", func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err }},
		{"role add app", func() error { _, err := cli.RoleAdd(ctx, "app"); return err }},
		{"app: readwrite app/", func() error {
			_, err := cli.RoleGrantPermission(ctx, "app", "app/", appEnd, clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		}},
		{"role add reader", func() error { _, err := cli.RoleAdd(ctx, "reader"); return err }},
		{"reader: read app/", func() error {
			_, err := cli.RoleGrantPermission(ctx, "reader", "app/", appEnd, clientv3.PermissionType(clientv3.PermRead))
			return err
		}},
		{"grant app to alice", func() error { _, err := cli.UserGrantRole(ctx, alice.name, "app"); return err }},
		{"grant reader to bob", func() error { _, err := cli.UserGrantRole(ctx, bob.name, "reader"); return err }},
	} {
		require.NoError(t, step.do(), step.what)
	}
}

// clientAs is a clientv3 client logged in as a (every member's endpoints
// if none are given).
func (c *procCluster) clientAs(a account, endpoints ...string) *clientv3.Client {
	c.t.Helper()
	return c.clientWith(clientv3.Config{Username: a.name, Password: a.password}, endpoints...)
}

// etcdctlEnv is the environment an etcdctl of the tests runs in: every
// member's endpoint.
func (c *procCluster) etcdctlEnv() []string {
	return []string{"ETCDCTL_ENDPOINTS=" + strings.Join(c.endpoints(), ",")}
}

// runQuiet runs an etcdctl command line and returns what it did, without
// the warnings its gRPC client logs on stderr before the error it prints.
func runQuiet(t *testing.T, e cli, line string, env ...string) result {
	t.Helper()
	r := e.run(t, line, env...)
	r.stderr = withoutLogs(r.stderr)
	return r
}

// `auth enable` refuses to lock everybody out — no user root, or a root
// without role root — and etcdctl, told the second, makes the role, grants
// it and tries again. While authentication is on, root's powers cannot be
// taken away, and a request that names no user is refused, the member list
// too; only the auth status answers anyone.
func TestAuth_EnableNeedsARootUserHoldingTheRootRole(t *testing.T) {
	c := startClusterWith(t, 3, clusterOptions{flags: fastBcrypt})
	cli := c.client()
	e := etcdctl(t)
	env := c.etcdctlEnv()

	_, err := cli.AuthEnable(callCtx(t))
	assert.ErrorIs(t, err, rpctypes.ErrRootUserNotExist)
	r := runQuiet(t, e, "etcdctl auth enable", env...)
	assert.Equal(t, result{stderr: "Error: etcdserver: root user does not exist\n", code: 1}, r, "etcdctl auth enable without root")

	_, err = cli.UserAdd(callCtx(t), root.name, root.password)
	require.NoError(t, err)
	_, err = cli.AuthEnable(callCtx(t))
	assert.ErrorIs(t, err, rpctypes.ErrRootRoleNotExist, "root without role root")
	st, err := cli.AuthStatus(callCtx(t))
	require.NoError(t, err)
	assert.False(t, st.Enabled)

	r = runQuiet(t, e, "etcdctl auth enable", env...)
	assert.Equal(t, result{stdout: "Authentication Enabled\n"}, r, "etcdctl makes role root, grants it to root, and enables")
	c.user, c.password = root.name, root.password

	// Without a user, everything but the auth status is refused — the
	// member list too.
	anonymous := c.clientWith(clientv3.Config{})
	st, err = anonymous.AuthStatus(callCtx(t))
	require.NoError(t, err, "auth status needs no user")
	assert.True(t, st.Enabled)
	assert.Positive(t, st.AuthRevision)
	_, err = anonymous.Get(callCtx(t), "k")
	assert.ErrorIs(t, err, rpctypes.ErrUserEmpty, "get without a user")
	_, err = anonymous.MemberList(callCtx(t))
	assert.ErrorIs(t, err, rpctypes.ErrUserEmpty, "member list without a user")
	_, err = anonymous.Status(callCtx(t), c.members[0].clientURL)
	assert.ErrorIs(t, err, rpctypes.ErrUserEmpty, "a member's status without a user")
	r = runQuiet(t, e, "etcdctl put k v", env...)
	assert.Equal(t, result{stderr: "Error: etcdserver: user name is empty\n", code: 1}, r, "etcdctl put without a user")
	r = runQuiet(t, e, "etcdctl --user root:wrong put k v", env...)
	assert.Equal(t, 2, r.code, "a failed login: %+v", r)
	assert.Contains(t, r.stderr, "etcdserver: authentication failed, invalid user ID or password")

	admin := c.client()
	user, err := admin.UserGet(callCtx(t), root.name)
	require.NoError(t, err)
	assert.Equal(t, []string{"root"}, user.Roles, "the role etcdctl granted")
	_, err = admin.UserDelete(callCtx(t), root.name)
	assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthMgmt, "deleting root")
	_, err = admin.RoleDelete(callCtx(t), "root")
	assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthMgmt, "deleting role root")
	_, err = admin.UserRevokeRole(callCtx(t), root.name, "root")
	assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthMgmt, "revoking root from root")
	r = runQuiet(t, e, "etcdctl --user root:rootpw user revoke-role root root", env...)
	assert.Equal(t, result{stderr: "Error: etcdserver: invalid auth management\n", code: 1}, r)

	r = runQuiet(t, e, "etcdctl --user root:rootpw auth status", env...)
	assert.Regexp(t, `^Authentication Status: true\nAuthRevision: \d+\n$`, r.stdout, "%+v", r)
	r = runQuiet(t, e, "etcdctl --user root:rootpw auth disable", env...)
	assert.Equal(t, result{stdout: "Authentication Disabled\n"}, r)
	_, err = anonymous.Put(callCtx(t), "k", "after disable")
	assert.NoError(t, err, "with authentication off, no user is needed")
	_, err = c.clientWith(clientv3.Config{Token: "forged.1"}).Put(callCtx(t), "k", "a token nobody handed out")
	assert.NoError(t, err, "and any token is ignored")
}

// Users with different roles, over clientv3: what each may and may not do
// to keys, ranges, transactions, watches and leases — etcd's rules, and
// etcd's errors.
func TestAuth_RequestsAllowedAndRefusedByRole(t *testing.T) {
	c := startAuthCluster(t, 3, clusterOptions{})
	admin, a, b, cl := c.client(), c.clientAs(alice), c.clientAs(bob), c.clientAs(carol)

	_, err := admin.Put(callCtx(t), "other", "root's")
	require.NoError(t, err)

	t.Run("put and get", func(t *testing.T) {
		_, err := a.Put(callCtx(t), "app/k", "v")
		assert.NoError(t, err, "alice writes under app/")
		_, err = a.Put(callCtx(t), "other", "x")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "alice writes outside app/")
		_, err = a.Put(callCtx(t), "app/k", "v2", clientv3.WithPrevKV())
		assert.NoError(t, err, "a put with the previous value needs READ too, which app has")
		got, err := b.Get(callCtx(t), "app/k")
		require.NoError(t, err, "bob reads under app/")
		assert.Equal(t, []string{"app/k"}, keys(got.Kvs))
		_, err = b.Put(callCtx(t), "app/k", "bob's")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "bob may only read")
		_, err = b.Delete(callCtx(t), "app/k")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a delete is a write")
		_, err = cl.Get(callCtx(t), "app/k")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "carol holds no role")
		_, err = b.Get(callCtx(t), "other")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied)
	})

	t.Run("write without read", func(t *testing.T) {
		for _, step := range []func() error{
			func() error { _, err := admin.RoleAdd(callCtx(t), "writer"); return err },
			func() error {
				_, err := admin.RoleGrantPermission(callCtx(t), "writer", "w/", clientv3.GetPrefixRangeEnd("w/"), clientv3.PermissionType(clientv3.PermWrite))
				return err
			},
			func() error { _, err := admin.UserGrantRole(callCtx(t), carol.name, "writer"); return err },
		} {
			require.NoError(t, step())
		}
		_, err := cl.Put(callCtx(t), "w/k", "1")
		assert.NoError(t, err, "carol may write under w/")
		_, err = cl.Put(callCtx(t), "w/k", "2", clientv3.WithPrevKV())
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "the previous value is a read")
		_, err = cl.Delete(callCtx(t), "w/k", clientv3.WithPrevKV())
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "so is a deleted one")
		_, err = cl.Get(callCtx(t), "w/k")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied)
		_, err = cl.Delete(callCtx(t), "w/k")
		assert.NoError(t, err)
		_, err = admin.UserRevokeRole(callCtx(t), carol.name, "writer")
		require.NoError(t, err)
	})

	t.Run("a range must be covered", func(t *testing.T) {
		_, err := b.Get(callCtx(t), "app/", clientv3.WithPrefix())
		assert.NoError(t, err, "the prefix granted")
		_, err = b.Get(callCtx(t), "app/a", clientv3.WithRange("app/z"))
		assert.NoError(t, err, "a range inside it")
		_, err = b.Get(callCtx(t), "app/k", clientv3.WithRange("b"))
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a range running past its end")
		_, err = b.Get(callCtx(t), "app", clientv3.WithPrefix())
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a wider prefix")
		_, err = b.Get(callCtx(t), "app/", clientv3.WithFromKey())
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "every key from app/ on")

		// Two intervals of two roles that meet cover the range across them.
		for _, step := range []func() error{
			func() error { _, err := admin.RoleAdd(callCtx(t), "next"); return err },
			func() error {
				_, err := admin.RoleGrantPermission(callCtx(t), "next", appEnd, "b", clientv3.PermissionType(clientv3.PermRead))
				return err
			},
			func() error { _, err := admin.UserGrantRole(callCtx(t), bob.name, "next"); return err },
		} {
			require.NoError(t, step())
		}
		_, err = b.Get(callCtx(t), "app/k", clientv3.WithRange("b"))
		assert.NoError(t, err, "[app/, app0) and [app0, b) together cover [app/k, b)")
		_, err = b.Get(callCtx(t), "app/k", clientv3.WithRange("b0"))
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "but not [app/k, b0)")
		_, err = admin.UserRevokeRole(callCtx(t), bob.name, "next")
		require.NoError(t, err)
	})

	t.Run("txn", func(t *testing.T) {
		inside := clientv3.Compare(clientv3.Value("app/k"), "=", "v2")
		_, err := a.Txn(callCtx(t)).If(inside).Then(clientv3.OpPut("app/t", "1")).Else(clientv3.OpGet("app/k")).Commit()
		assert.NoError(t, err, "compares and operations all under app/")
		_, err = a.Txn(callCtx(t)).If(inside).Then(clientv3.OpPut("app/t", "2")).Else(clientv3.OpPut("other", "x")).Commit()
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "the branch not taken is checked too")
		_, err = a.Txn(callCtx(t)).If(clientv3.Compare(clientv3.Version("other"), ">", 0)).Then(clientv3.OpPut("app/t", "3")).Commit()
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a compare needs READ")
		_, err = a.Txn(callCtx(t)).Then(clientv3.OpTxn(nil, []clientv3.Op{clientv3.OpDelete("other")}, nil)).Commit()
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a nested transaction is checked too")
		_, err = b.Txn(callCtx(t)).If(inside).Then(clientv3.OpGet("app/k")).Commit()
		assert.NoError(t, err, "a read-only transaction needs only READ")
		got, err := admin.Get(callCtx(t), "app/t")
		require.NoError(t, err)
		require.Len(t, got.Kvs, 1)
		assert.Equal(t, "1", string(got.Kvs[0].Value), "no refused transaction wrote anything")
	})

	t.Run("watch", func(t *testing.T) {
		// The protocol itself: one message, created and canceled at once,
		// with the reason; the stream stays open for other watches. (On a
		// connection of its own, without clientv3's credentials: its
		// interceptor would log in again for the stream.)
		stream, err := pb.NewWatchClient(c.clientWith(clientv3.Config{}).ActiveConnection()).Watch(tokenCtx(t, c, bob))
		require.NoError(t, err)
		require.NoError(t, stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte("other")}}}))
		refused, err := stream.Recv()
		require.NoError(t, err)
		assert.True(t, refused.Created, "created")
		assert.True(t, refused.Canceled, "and canceled")
		assert.Equal(t, int64(-1), refused.WatchId)
		assert.Equal(t, "rpc error: code = PermissionDenied desc = etcdserver: permission denied", refused.CancelReason)
		require.NoError(t, stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte("app/k")}}}))
		allowed, err := stream.Recv()
		require.NoError(t, err, "the same stream serves the next watch")
		assert.True(t, allowed.Created)
		assert.False(t, allowed.Canceled)
		assert.GreaterOrEqual(t, allowed.WatchId, int64(0))

		// clientv3: the watch's channel closes, having said why.
		ctx, cancel := contextWithTimeout(t)
		defer cancel()
		var last clientv3.WatchResponse
		for resp := range b.Watch(ctx, "other") {
			last = resp
		}
		require.NoError(t, ctx.Err(), "the channel of a refused watch closes")
		assert.ErrorContains(t, last.Err(), "etcdserver: permission denied")

		w := collect(b.Watch(ctx, "app/", clientv3.WithPrefix()))
		require.Eventually(t, func() bool {
			_, err := a.Put(callCtx(t), "app/w", "seen")
			require.NoError(t, err)
			return len(w.events()) > 0
		}, waitLimit, 100*time.Millisecond, "bob's watch of app/ to see alice's put")
	})

	t.Run("leases with keys", func(t *testing.T) {
		rootsLease, err := admin.Grant(callCtx(t), 600)
		require.NoError(t, err)
		_, err = admin.Put(callCtx(t), "other", "leased", clientv3.WithLease(rootsLease.ID))
		require.NoError(t, err)
		_, err = a.Put(callCtx(t), "app/l", "x", clientv3.WithLease(rootsLease.ID))
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "attaching to a lease needs WRITE on the keys it holds")
		_, err = a.Revoke(callCtx(t), rootsLease.ID)
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "revoking a lease needs WRITE on its keys")

		lease, err := cl.Grant(callCtx(t), 600)
		require.NoError(t, err, "any user may grant a lease")
		_, err = a.Put(callCtx(t), "app/l", "x", clientv3.WithLease(lease.ID))
		require.NoError(t, err, "alice attaches app/l to carol's lease")
		// A lease's keys are checked where the question is asked, from
		// what that member has applied (as etcd does).
		c.syncMembers(t)
		_, err = cl.TimeToLive(callCtx(t), lease.ID)
		assert.NoError(t, err, "without its keys, anyone may ask")
		_, err = cl.TimeToLive(callCtx(t), lease.ID, clientv3.WithAttachedKeys())
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "its keys need READ on them")
		ttl, err := b.TimeToLive(callCtx(t), lease.ID, clientv3.WithAttachedKeys())
		require.NoError(t, err)
		assert.Equal(t, [][]byte{[]byte("app/l")}, ttl.Keys)
		_, err = cl.Leases(callCtx(t))
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "listing leases needs READ on every leased key")
		_, err = cl.Revoke(callCtx(t), lease.ID)
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "carol granted it, but may not write app/l")
		_, err = b.Revoke(callCtx(t), lease.ID)
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "nor may bob")
		_, err = a.Revoke(callCtx(t), lease.ID)
		assert.NoError(t, err, "alice may")
		got, err := a.Get(callCtx(t), "app/l")
		require.NoError(t, err)
		assert.Empty(t, got.Kvs, "revoked with its key")
	})

	t.Run("administration", func(t *testing.T) {
		_, err := a.UserList(callCtx(t))
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied)
		_, err = a.Compact(callCtx(t), 2)
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied)
		_, err = a.MemberList(callCtx(t))
		assert.NoError(t, err, "any user may list the members")
		_, err = a.Status(callCtx(t), c.members[0].clientURL)
		assert.NoError(t, err, "and ask a member's status")
		self, err := a.UserGet(callCtx(t), alice.name)
		require.NoError(t, err, "a user may look itself up")
		assert.Equal(t, []string{"app"}, self.Roles)
		_, err = a.UserGet(callCtx(t), bob.name)
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "but not others")
		role, err := a.RoleGet(callCtx(t), "app")
		require.NoError(t, err, "and the roles it holds")
		require.Len(t, role.Perm, 1)
		assert.Equal(t, "app/", string(role.Perm[0].Key))
		_, err = a.RoleGet(callCtx(t), "reader")
		assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "but no other role")
	})
}

// syncMembers waits until every running member has applied every write
// acknowledged so far — a linearizable read through each makes it wait
// for that — for checks a member makes from what it has applied.
func (c *procCluster) syncMembers(t *testing.T) {
	t.Helper()
	for _, m := range c.running() {
		_, err := c.client(m.clientURL).Get(callCtx(t), "sync")
		require.NoError(t, err, "a linearizable read through %s", m.name)
	}
}

// tokenCtx is a context carrying a's token as gRPC metadata, as clientv3
// sends it: for calls made on a raw gRPC stub.
func tokenCtx(t *testing.T, c *procCluster, a account) context.Context {
	t.Helper()
	return metadata.AppendToOutgoingContext(callCtx(t), "token", authToken(t, c, a))
}

// authToken is a new token of a's, for calls made without clientv3 or
// with a clientv3 given only a token; handed out by one of endpoints (any
// member if none).
func authToken(t *testing.T, c *procCluster, a account, endpoints ...string) string {
	t.Helper()
	resp, err := c.clientWith(clientv3.Config{}, endpoints...).Authenticate(callCtx(t), a.name, a.password)
	require.NoError(t, err, "authenticate %s", a.name)
	return resp.Token
}

func contextWithTimeout(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), waitLimit)
}

// The same rules through etcdctl's commands, with etcdctl's words and exit
// codes for each refusal.
func TestAuth_EtcdctlAllowedAndRefusedByRole(t *testing.T) {
	c := startAuthCluster(t, 3, clusterOptions{})
	e := etcdctl(t)
	env := c.etcdctlEnv()
	run := func(line string) result {
		t.Helper()
		return runQuiet(t, e, line, env...)
	}
	denied := result{stderr: "Error: etcdserver: permission denied\n", code: 1}

	assert.Equal(t, result{stdout: "OK\n"}, run("etcdctl --user alice:alicepw put app/k v"))
	assert.Equal(t, denied, run("etcdctl --user alice:alicepw put other v"))
	assert.Equal(t, result{stdout: "app/k\nv\n"}, run("etcdctl --user bob:bobpw get app/ --prefix"))
	assert.Equal(t, denied, run("etcdctl --user bob:bobpw get app/k b"), "a range past what bob may read")
	assert.Equal(t, denied, run("etcdctl --user bob:bobpw del app/k"))
	assert.Equal(t, denied, run("etcdctl --user carol:carolpw get app/k"))
	// --password keeps a password whole, colon or not.
	assert.Equal(t, result{stdout: "app/k\nv\n"}, run("etcdctl --user bob --password bobpw get app/k"))

	// A transaction from etcdctl's stdin: compares, then success, then
	// failure operations, each block ended by an empty line.
	txn := func(user, ops string) result {
		return run("printf '" + ops + "' | etcdctl --user " + user + " txn")
	}
	assert.Equal(t, result{stdout: "SUCCESS\n\nOK\n"}, txn("alice:alicepw", `value("app/k") = "v"\n\nput app/t 1\n\nput app/t 0\n\n`))
	assert.Equal(t, denied, txn("alice:alicepw", `value("app/k") = "v"\n\nput app/t 2\n\nput other 0\n\n`), "the failure branch is checked too")

	// A watch refused: etcdctl says why and that the server canceled it,
	// exit code 5.
	assert.Equal(t, result{stderr: "watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)\nError: watch is canceled by the server\n", code: 5}, run("etcdctl --user bob:bobpw watch other"))

	// A lease holding app/l: bob may see its keys, not revoke it.
	granted := run("etcdctl --user alice:alicepw lease grant 600")
	require.Regexp(t, `^lease [0-9a-f]+ granted with TTL\(600s\)\n$`, granted.stdout)
	id := strings.Fields(granted.stdout)[1]
	assert.Equal(t, result{stdout: "OK\n"}, run("etcdctl --user alice:alicepw put app/l x --lease "+id))
	c.syncMembers(t)
	assert.Regexp(t, `, attached keys\(\[app/l\]\)\n$`, run("etcdctl --user bob:bobpw lease timetolive --keys "+id).stdout)
	// (etcdctl's timetolive exits 2 on any error.)
	assert.Equal(t, result{stderr: denied.stderr, code: 2}, run("etcdctl --user carol:carolpw lease timetolive --keys "+id))
	assert.Equal(t, result{stderr: "Error: failed to revoke lease (etcdserver: permission denied)\n", code: 1}, run("etcdctl --user bob:bobpw lease revoke "+id))
	assert.Equal(t, result{stdout: "lease " + id + " revoked\n"}, run("etcdctl --user alice:alicepw lease revoke "+id))

	// Users and roles as etcdctl prints them.
	assert.Equal(t, result{stdout: "User: alice\nRoles: app\n"}, run("etcdctl --user alice:alicepw user get alice"))
	assert.Equal(t, denied, run("etcdctl --user alice:alicepw user get bob"))
	assert.Equal(t, result{stdout: "Role reader\nKV Read:\n\t[app/, app0) (prefix app/)\nKV Write:\n"}, run("etcdctl --user bob:bobpw role get reader"))
	assert.Equal(t, result{stdout: "alice\nbob\ncarol\nroot\n"}, run("etcdctl --user root:rootpw user list"))
	// Role root was granted, never added: the built-in role is no
	// role of the list.
	assert.Equal(t, result{stdout: "app\nreader\n"}, run("etcdctl --user root:rootpw role list"))
	assert.Equal(t, result{stdout: "Permission of range [app/, app0) is revoked from role reader\n"}, run("etcdctl --user root:rootpw role revoke-permission reader app/ app0"))
	assert.Equal(t, denied, run("etcdctl --user bob:bobpw get app/k"), "the permission revoked")
	assert.Equal(t, result{stdout: "Password updated\n"}, run("etcdctl --user root:rootpw user passwd bob --interactive=false <<< newpw"))
	r := run("etcdctl --user bob:bobpw user get bob")
	assert.Equal(t, result{stderr: "Error: etcdserver: authentication failed, invalid user ID or password\n", code: 2}, r, "the old password")
	assert.Equal(t, result{stdout: "User: bob\nRoles: reader\n"}, run("etcdctl --user bob:newpw user get bob"))
	assert.Equal(t, result{stdout: "User bob deleted\n"}, run("etcdctl --user root:rootpw user delete bob"))
	assert.Equal(t, result{stderr: "Error: etcdserver: authentication failed, invalid user ID or password\n", code: 2}, run("etcdctl --user bob:newpw get app/k"), "a deleted user")
}
