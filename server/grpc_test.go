package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// dialGRPC connects to member i's client URL over gRPC (HTTP/2 on the
// port that also serves the JSON gateway).
func (c *liveCluster) dialGRPC(i int) *grpc.ClientConn {
	c.t.Helper()
	conn, err := grpc.NewClient(strings.TrimPrefix(c.url(i), "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(c.t, err)
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

// requireStatus checks a gRPC error's code and etcd's words.
func requireStatus(t *testing.T, err error, code codes.Code, desc string) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status: %v", err)
	require.Equal(t, code, st.Code(), "%v", err)
	require.Equal(t, desc, st.Message())
}

// One client port speaks both protocols, and the gRPC answers are etcd's,
// errors included: the codes and texts clientv3 maps errors by.
func TestGRPC_OnePortServesGRPCWithEtcdsAnswers(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	ctx := context.Background()
	conn := c.dialGRPC(0)
	kvc := pb.NewKVClient(conn)

	put, err := kvc.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v1")})
	require.NoError(t, err)
	_, err = kvc.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v2")})
	require.NoError(t, err)
	code, body := c.post(0, "/v3/kv/range", `{"key":"aw=="}`)
	require.Equal(t, 200, code, "the JSON gateway on the same port")
	require.Contains(t, body, `"value":"djI="`)

	_, err = kvc.Compact(ctx, &pb.CompactionRequest{Revision: put.Header.Revision + 1})
	require.NoError(t, err)
	_, err = kvc.Range(ctx, &pb.RangeRequest{Key: []byte("k"), Revision: put.Header.Revision})
	requireStatus(t, err, codes.OutOfRange, "etcdserver: mvcc: required revision has been compacted")
	_, err = kvc.Put(ctx, &pb.PutRequest{Key: []byte("k"), Lease: 42})
	requireStatus(t, err, codes.NotFound, "etcdserver: requested lease not found")
	_, err = kvc.Put(ctx, &pb.PutRequest{Key: []byte("big"), Value: make([]byte, c.cfgs[0].MaxRequestBytes+1)})
	requireStatus(t, err, codes.InvalidArgument, "etcdserver: request is too large")
	_, err = kvc.Put(ctx, &pb.PutRequest{Key: []byte("big"), Value: make([]byte, c.cfgs[0].MaxRequestBytes+600<<10)})
	require.Equal(t, codes.ResourceExhausted, status.Code(err), "%v", err)

	st, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, EtcdVersion, st.Version)
	require.EqualValues(t, 2<<30, st.DbSizeQuota)
	// RangeStream (new in 3.7) is not served; clients fall back to Range.
	// A server stream's error comes with its first message.
	rs, err := pb.NewKVClient(conn).RangeStream(ctx, &pb.RangeRequest{Key: []byte("k")})
	if err == nil {
		_, err = rs.Recv()
	}
	require.Equal(t, codes.Unimplemented, status.Code(err), "%v", err)
}

// A client that requires a leader (metadata hasleader=true, clientv3's
// WithRequireLeader) is refused at once by a member that has none, and its
// watch stream is canceled once the member has had none for a while.
func TestGRPC_RequireLeader(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	survivor := (lead + 1) % 3
	conn := c.dialGRPC(survivor)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "hasleader", "true")
	watch, err := pb.NewWatchClient(conn).Watch(ctx)
	require.NoError(t, err)
	require.NoError(t, watch.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte("k")}}}))
	created, err := watch.Recv()
	require.NoError(t, err)
	require.True(t, created.Created)

	for i := range c.servers {
		if i != survivor {
			c.stop(i)
		}
	}
	require.Eventually(t, func() bool { return c.servers[survivor].view.Load().Lead == 0 }, 10*time.Second, 20*time.Millisecond)
	_, err = pb.NewKVClient(conn).Range(ctx, &pb.RangeRequest{Key: []byte("k")})
	requireStatus(t, err, codes.Unavailable, "etcdserver: no leader")
	_, err = watch.Recv()
	requireStatus(t, err, codes.Unavailable, "etcdserver: no leader")
}

// Authentication over gRPC: the token travels as metadata.
func TestGRPC_AuthTokenMetadata(t *testing.T) {
	c := startLiveCluster(t, 1, func(cfg *Config) { cfg.BcryptCost = 4 })
	c.waitLeader()
	ctx := context.Background()
	conn := c.dialGRPC(0)
	ac := pb.NewAuthClient(conn)
	_, err := ac.UserAdd(ctx, &pb.AuthUserAddRequest{Name: "root", Password: "pw"})
	require.NoError(t, err)
	_, err = ac.UserGrantRole(ctx, &pb.AuthUserGrantRoleRequest{User: "root", Role: "root"})
	require.NoError(t, err)
	_, err = ac.AuthEnable(ctx, &pb.AuthEnableRequest{})
	require.NoError(t, err)

	_, err = pb.NewKVClient(conn).Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	requireStatus(t, err, codes.InvalidArgument, "etcdserver: user name is empty")
	_, err = ac.Authenticate(ctx, &pb.AuthenticateRequest{Name: "root", Password: "wrong"})
	requireStatus(t, err, codes.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password")
	auth, err := ac.Authenticate(ctx, &pb.AuthenticateRequest{Name: "root", Password: "pw"})
	require.NoError(t, err)
	withToken := metadata.AppendToOutgoingContext(ctx, "token", auth.Token)
	_, err = pb.NewKVClient(conn).Put(withToken, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err)

	// A new password invalidates the user's tokens.
	_, err = ac.UserChangePassword(withToken, &pb.AuthUserChangePasswordRequest{Name: "root", Password: "pw2"})
	require.NoError(t, err)
	_, err = pb.NewKVClient(conn).Put(withToken, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	requireStatus(t, err, codes.Unauthenticated, "etcdserver: invalid auth token")
	// Auth status needs no token, but a stale one is refused there too, as
	// etcd does: that is how a client learns to authenticate again.
	_, err = ac.AuthStatus(withToken, &pb.AuthStatusRequest{})
	requireStatus(t, err, codes.Unauthenticated, "etcdserver: invalid auth token")
	_, err = ac.AuthStatus(ctx, &pb.AuthStatusRequest{})
	require.NoError(t, err)
	stale, _ := newJSONRequest(c.url(0)+"/v3/auth/status", `{}`)
	stale.Header.Set("Authorization", auth.Token)
	resp, err := http.DefaultClient.Do(stale)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "etcdserver: invalid auth token", resp.Header.Get("Www-Authenticate"))

	// The JSON gateway reads the same token from Authorization.
	auth, err = ac.Authenticate(ctx, &pb.AuthenticateRequest{Name: "root", Password: "pw2"})
	require.NoError(t, err)
	req, _ := newJSONRequest(c.url(0)+"/v3/kv/range", `{"key":"aw=="}`)
	req.Header.Set("Authorization", auth.Token)
	code, body := doJSON(t, req)
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `"kvs"`)
}

// A learner serves its status and serializable ranges, and refuses
// everything else as etcd does — a linearizable read most of all: its
// read index would come from a quorum it is not part of, and it may be far
// behind.
func TestLearner_ServesOnlyStatusAndSerializableRanges(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	c.waitLeader()
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.freePort())
	client := fmt.Sprintf("http://127.0.0.1:%d", c.freePort())
	code, body := c.post(0, "/v3/cluster/member/add", `{"peerURLs":["`+peer+`"],"isLearner":true}`)
	require.Equal(t, 200, code, body)
	cfg := c.cfgs[0]
	cfg.Name, cfg.DataDir = "m4", cfg.DataDir+"-m4"
	cfg.ListenClientURLs, cfg.AdvertiseClientURLs = []string{client}, []string{client}
	cfg.ListenPeerURLs, cfg.InitialAdvertisePeerURLs = []string{peer}, []string{peer}
	cfg.InitialCluster += ",m4=" + peer
	cfg.InitialClusterState = "existing"
	c.cfgs, c.servers, c.logs = append(c.cfgs, cfg), append(c.servers, nil), append(c.logs, nil)
	c.start(3)
	require.Eventually(t, func() bool { v := c.servers[3].view.Load(); return v.IsLearner && v.Lead != 0 }, 10*time.Second, 20*time.Millisecond)

	code, body = c.post(3, "/v3/kv/range", `{"key":"aw==","serializable":true}`)
	require.Equal(t, 200, code, body)
	code, body = c.post(3, "/v3/maintenance/status", `{}`)
	require.Equal(t, 200, code, body)
	refused := `{"code":9,"message":"etcdserver: rpc not supported for learner"}`
	for _, path := range []string{"/v3/kv/range", "/v3/kv/put", "/v3/cluster/member/list", "/v3/lease/grant"} {
		code, body = c.post(3, path, `{"key":"aw==","value":"dg==","TTL":"5"}`)
		require.Equal(t, 400, code, path)
		require.JSONEq(t, refused, body, path)
	}
	conn := c.dialGRPC(3)
	watch, err := pb.NewWatchClient(conn).Watch(context.Background())
	require.NoError(t, err)
	_, err = watch.Recv()
	requireStatus(t, err, codes.FailedPrecondition, "etcdserver: rpc not supported for learner")
	// A backup is the one stream a learner serves, as on etcd.
	snap, err := pb.NewMaintenanceClient(conn).Snapshot(context.Background(), &pb.SnapshotRequest{})
	require.NoError(t, err)
	chunk, err := snap.Recv()
	require.NoError(t, err)
	require.NotEmpty(t, chunk.Blob)
}

// A member stopped on purpose says so, and nothing else: its ports closing
// under the gRPC server is not an error to log (it used to log "serve
// gRPC … use of closed network connection" at every Ctrl-C).
func TestServer_ACleanStopLogsNoError(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	_, err := pb.NewKVClient(c.dialGRPC(0)).Put(context.Background(), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err)
	c.stop(0)
	require.NotContains(t, c.logs[0].String(), "level=ERROR")
}
