package compat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// A permission revoked while writes are on their way: a write checked at
// the door before the revocation may reach the log after it. Whether it is
// applied must be decided from the log alone, or the members disagree
// (etcd issue #14571). Writers on every member write as alice while root
// revokes her permission; afterwards every member holds the same keys —
// exactly the writes acknowledged, none of those refused.
//
// Half the writers use clientv3, which, told that the auth revision moved
// under a write, logs in again and repeats it (then refused for want of
// the permission); the others send bare gRPC calls, with no retry, so that
// a refusal at apply time ("revision of auth store is old") shows as it is.
func TestAuth_APermissionRevokedWhileWritesAreInFlightIsHonouredByEveryMember(t *testing.T) {
	c := startAuthCluster(t, 3, clusterOptions{})
	token := authToken(t, c, alice)

	type outcome struct {
		key string
		err error
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		acked    atomic.Int64
		wg       sync.WaitGroup
	)
	const writersPerMember = 2
	// afterRefusal is how many more writes a writer makes once refused:
	// writes proposed after the revocation, refused at the door.
	const afterRefusal = 3
	for i, m := range slices.Repeat(c.members, writersPerMember) {
		name := fmt.Sprintf("w%d", i)
		var put func(key string) error
		if i%2 == 0 {
			cli := c.clientAs(alice, m.clientURL)
			put = func(key string) error { _, err := cli.Put(callCtx(t), key, name); return err }
		} else {
			kv := pb.NewKVClient(bareConn(t, m.clientURL))
			put = func(key string) error {
				ctx := metadata.AppendToOutgoingContext(callCtx(t), "token", token)
				_, err := kv.Put(ctx, &pb.PutRequest{Key: []byte(key), Value: []byte(name)})
				return rpctypes.Error(err)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused := 0
			for n := 0; refused <= afterRefusal && n < 10000; n++ {
				key := fmt.Sprintf("app/%s/%04d", name, n)
				err := put(key)
				mu.Lock()
				outcomes = append(outcomes, outcome{key, err})
				mu.Unlock()
				if err == nil {
					acked.Add(1)
				} else {
					refused++
				}
			}
		}()
	}
	admin := c.client()
	require.Eventually(t, func() bool { return acked.Load() >= 60 }, waitLimit, pollEvery, "the writers to get going")
	_, err := admin.RoleRevokePermission(callCtx(t), "app", "app/", appEnd)
	require.NoError(t, err, "revoke alice's permission")
	wg.Wait()

	want := map[string]bool{}
	counts := map[string]int{}
	for _, o := range outcomes {
		switch {
		case o.err == nil:
			want[o.key] = true
			counts["acknowledged"]++
		case errors.Is(o.err, rpctypes.ErrPermissionDenied):
			counts["refused: permission denied"]++
		case errors.Is(o.err, rpctypes.ErrAuthOldRevision):
			counts["refused at apply: revision of auth store is old"]++
		default:
			t.Errorf("put %s: %v (a write must be acknowledged or refused)", o.key, o.err)
		}
	}
	t.Logf("writes: %v", counts)
	require.Positive(t, counts["acknowledged"])

	// Every member, once it has applied everything, holds exactly the
	// acknowledged writes, at the same revision.
	latest, err := admin.Get(callCtx(t), "app/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	require.NoError(t, err)
	rev := latest.Header.Revision
	for _, m := range c.members {
		cli := c.client(m.clientURL)
		var got *clientv3.GetResponse
		require.Eventually(t, func() bool {
			got, err = cli.Get(callCtx(t), "app/", clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithSerializable())
			return err == nil && got.Header.Revision >= rev
		}, waitLimit, pollEvery, "%s to apply every write", m.name)
		assert.Equal(t, rev, got.Header.Revision, "%s: the same revision", m.name)
		var missing, extra []string
		have := map[string]bool{}
		for _, kv := range got.Kvs {
			have[string(kv.Key)] = true
			if !want[string(kv.Key)] {
				extra = append(extra, string(kv.Key))
			}
		}
		for k := range want {
			if !have[k] {
				missing = append(missing, k)
			}
		}
		assert.Empty(t, missing, "%s lacks acknowledged writes", m.name)
		assert.Empty(t, extra, "%s holds writes that were refused", m.name)
	}

	// And etcdctl finds the same history hash on every member.
	r := runQuiet(t, etcdctl(t), fmt.Sprintf("etcdctl --user root:rootpw endpoint hashkv --cluster --rev=%d", rev), c.etcdctlEnv()...)
	require.Zero(t, r.code, "%+v", r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3, r.stdout)
	hashes := map[string]bool{}
	for _, l := range lines {
		fields := strings.Split(l, ", ")
		require.Len(t, fields, 3, l)
		assert.Equal(t, fmt.Sprint(rev), fields[2], "hashed at the revision asked for: %s", l)
		hashes[fields[1]] = true
	}
	assert.Len(t, hashes, 1, "one hash for every member:\n%s", r.stdout)
}

// bareConn is a gRPC connection to one member without clientv3's
// interceptors: a call fails with what the member answered, never
// retried.
func bareConn(t *testing.T, clientURL string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(strings.TrimPrefix(clientURL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}
