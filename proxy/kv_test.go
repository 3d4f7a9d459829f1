package proxy

import (
	"testing"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/client"
)

// A proxy answers both APIs as a member does: what is written through one
// is read through the other, with the cluster's headers and etcd's errors.
func TestProxyServesGRPCAndTheJSONGateway(t *testing.T) {
	c := startCluster(t, 3)
	p := startProxy(t, c, nil)
	kvc := pb.NewKVClient(grpcConn(t, p.addr))

	rev := put(t, kvc, "/greeting", "hello")
	jc, err := client.New(client.Config{Endpoints: []string{p.addr}, RequestTimeout: waitFor})
	require.NoError(t, err)
	defer jc.Close()
	got, err := jc.Get(ctxFor(t), "/greeting")
	require.NoError(t, err)
	require.Len(t, got.Kvs, 1)
	require.Equal(t, "hello", string(got.Kvs[0].Value))
	require.Equal(t, rev, got.Kvs[0].ModRevision)

	_, err = jc.Put(ctxFor(t), "/greeting", "bonjour")
	require.NoError(t, err)
	resp, err := kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("/greeting")})
	require.NoError(t, err)
	require.Equal(t, "bonjour", string(resp.Kvs[0].Value))
	require.NotZero(t, resp.Header.ClusterId, "the header is the cluster's")

	txn, err := kvc.Txn(ctxFor(t), &pb.TxnRequest{
		Compare: []*pb.Compare{{Key: []byte("/greeting"), Target: pb.Compare_VALUE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_Value{Value: []byte("bonjour")}}},
		Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("/greeting")}}}},
	})
	require.NoError(t, err)
	require.True(t, txn.Succeeded)
	require.Equal(t, "bonjour", string(txn.Responses[0].GetResponseRange().Kvs[0].Value))

	// etcd's errors, with etcd's codes and words, from the cluster.
	_, err = kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("/greeting"), Revision: rev + 1000})
	require.Equal(t, codes.OutOfRange, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "required revision is a future revision")
	_, err = kvc.Put(ctxFor(t), &pb.PutRequest{Value: []byte("no key")})
	require.Equal(t, "etcdserver: key is not provided", status.Convert(err).Message())
}

// The proxy's own health, and the cluster's through it, as etcd's
// grpc-proxy serves them; /proxy/metrics holds the proxy's figures under
// etcd's names, /metrics a member's.
func TestProxyHealthAndMetricsPaths(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	require.Eventually(t, func() bool {
		return readAll(t, "http://"+p.addr+"/health") == `{"health":"true","reason":""}`
	}, waitFor, pollEvery)
	require.Equal(t, `{"health":"true","reason":""}`, readAll(t, "http://"+p.addr+"/proxy/health"))
	own := readAll(t, "http://"+p.addr+"/proxy/metrics")
	for _, name := range []string{"etcd_grpc_proxy_watchers_coalescing_total", "etcd_grpc_proxy_events_coalescing_total", "etcd_grpc_proxy_cache_hits_total", "etcd_grpc_proxy_cache_misses_total", "etcd_grpc_proxy_cache_keys_total", "raftkv_grpc_proxy_upstream_watches"} {
		require.Contains(t, own, name)
	}
	require.Contains(t, readAll(t, "http://"+p.addr+"/metrics"), "etcd_debugging_mvcc_watcher_total", "a member's metrics, passed through")

	c.stop(0)
	require.Eventually(t, func() bool {
		resp, err := httpGet("http://" + p.addr + "/health")
		return err == nil && resp == 503
	}, waitFor, pollEvery, "a proxy whose cluster is gone is not healthy")
}
