package proxy

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/metadata"
)

func serializableGet(t *testing.T, kvc pb.KVClient, key string) string {
	t.Helper()
	resp, err := kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte(key), Serializable: true})
	require.NoError(t, err)
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

// gauge reads a gauge's value.
func gauge(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		panic(err)
	}
	return m.GetGauge().GetValue()
}

// warmCache reads key serializably until the cache answers it.
func warmCache(t *testing.T, p *testProxy, kvc pb.KVClient, key string) {
	t.Helper()
	require.Eventually(t, func() bool {
		before := gauge(p.metrics.cacheHits)
		serializableGet(t, kvc, key)
		return gauge(p.metrics.cacheHits) > before
	}, waitFor, pollEvery, "the cache to answer %s", key)
}

// Serializable reads are answered by the proxy; a write through the proxy
// removes what it changed at once, a write elsewhere as soon as the
// proxy's watch brings it; linearizable reads always go to the cluster.
func TestSerializableReadsComeFromACacheThatFollowsTheCluster(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	kvc := pb.NewKVClient(grpcConn(t, p.addr))
	put(t, kvc, "k", "v1")
	warmCache(t, p, kvc, "k")
	require.Equal(t, "v1", serializableGet(t, kvc, "k"))

	// Through the proxy: the next read sees it (the write removed the
	// answer before it returned).
	put(t, kvc, "k", "v2")
	require.Equal(t, "v2", serializableGet(t, kvc, "k"))

	// Around the proxy, straight to the member: the proxy's watch of the
	// namespace removes the answer.
	warmCache(t, p, kvc, "k")
	member := pb.NewKVClient(grpcConn(t, c.endpoints()[0]))
	put(t, member, "k", "v3")
	require.Eventually(t, func() bool { return serializableGet(t, kvc, "k") == "v3" }, waitFor, pollEvery)

	// A linearizable read is never the cache's to answer.
	hits := gauge(p.metrics.cacheHits)
	for range 3 {
		resp, err := kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("k")})
		require.NoError(t, err)
		require.Equal(t, "v3", string(resp.Kvs[0].Value))
	}
	require.Equal(t, hits, gauge(p.metrics.cacheHits))

	// Nor is a request that says who makes it: the cluster decides what
	// that client may read.
	withToken := metadata.AppendToOutgoingContext(ctxFor(t), "token", "someone")
	_, err := kvc.Range(withToken, &pb.RangeRequest{Key: []byte("k"), Serializable: true})
	require.NoError(t, err)
	require.Equal(t, hits, gauge(p.metrics.cacheHits))

	// A range answer goes when any key in it changes.
	put(t, kvc, "r/a", "1")
	rangeGet := func() int {
		resp, err := kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("r/"), RangeEnd: []byte("r0"), Serializable: true})
		require.NoError(t, err)
		return len(resp.Kvs)
	}
	require.Eventually(t, func() bool {
		before := gauge(p.metrics.cacheHits)
		return rangeGet() == 1 && gauge(p.metrics.cacheHits) > before
	}, waitFor, pollEvery)
	put(t, member, "r/b", "2")
	require.Eventually(t, func() bool { return rangeGet() == 2 }, waitFor, pollEvery)
}

// Once authentication is on, an answer cached before is never handed to a
// client the cluster would refuse — even when authentication was turned on
// around the proxy.
func TestCacheStopsWhenAuthenticationStarts(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	kvc := pb.NewKVClient(grpcConn(t, p.addr))
	put(t, kvc, "secret", "v")
	warmCache(t, p, kvc, "secret")

	member := grpcConn(t, c.endpoints()[0])
	auth := pb.NewAuthClient(member)
	ctx := context.Background()
	_, err := auth.UserAdd(ctx, &pb.AuthUserAddRequest{Name: "root", Password: "pw"})
	require.NoError(t, err)
	_, err = auth.UserGrantRole(ctx, &pb.AuthUserGrantRoleRequest{User: "root", Role: "root"})
	require.NoError(t, err)
	_, err = auth.AuthEnable(ctx, &pb.AuthEnableRequest{})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		_, err := kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("secret"), Serializable: true})
		return err != nil
	}, waitFor, pollEvery, "an anonymous read to be refused by the cluster, not answered by the cache")
	require.False(t, p.cache.isArmed())
	_, err = kvc.Range(ctxFor(t), &pb.RangeRequest{Key: []byte("secret"), Serializable: true})
	require.ErrorContains(t, err, "user name is empty")
}
