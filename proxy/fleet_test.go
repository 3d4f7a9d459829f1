package proxy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// memberNames asks addr for the members: name by client URL (a member
// that has not published its URLs yet is left out).
func memberNames(t *testing.T, addr string) map[string]string {
	t.Helper()
	resp, err := pb.NewClusterClient(grpcConn(t, addr)).MemberList(ctxFor(t), &pb.MemberListRequest{})
	require.NoError(t, err)
	out := map[string]string{}
	for _, m := range resp.Members {
		if len(m.ClientURLs) > 0 {
			out[m.ClientURLs[0]] = m.Name
		}
	}
	return out
}

// Proxies registered under one resolver prefix find each other: member
// list through any of them lists them all, in etcd's record format, and a
// proxy that leaves is gone from the list.
func TestMemberListThroughAProxyListsTheProxies(t *testing.T) {
	c := startCluster(t, 1)
	addrA, addrB := freeAddr(t), freeAddr(t)
	fleetCfg := func(addr, name string) func(*Config) {
		return func(cfg *Config) {
			cfg.AdvertiseClientURL, cfg.Name, cfg.ResolverPrefix, cfg.ResolverTTL = addr, name, "/proxies", 5
		}
	}
	a := startProxyAt(t, c, addrA, fleetCfg(addrA, "proxy-a"))
	b := startProxyAt(t, c, addrB, fleetCfg(addrB, "proxy-b"))
	both := map[string]string{addrA: "proxy-a", addrB: "proxy-b"}
	require.Eventually(t, func() bool { return len(memberNames(t, a.addr)) == 2 }, waitFor, pollEvery)
	require.Equal(t, both, memberNames(t, a.addr))
	require.Eventually(t, func() bool { return len(memberNames(t, b.addr)) == 2 }, waitFor, pollEvery)

	// etcd's endpoint record, under a lease.
	stored, err := pb.NewKVClient(grpcConn(t, c.endpoints()[0])).Range(ctxFor(t), &pb.RangeRequest{Key: []byte("/proxies/" + addrA)})
	require.NoError(t, err)
	require.Len(t, stored.Kvs, 1)
	require.NotZero(t, stored.Kvs[0].Lease)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(stored.Kvs[0].Value, &rec))
	require.Equal(t, map[string]any{"Op": 0.0, "Addr": addrA, "Metadata": `{"name":"proxy-a"}`}, rec)

	require.NoError(t, b.Close())
	require.Eventually(t, func() bool { return len(memberNames(t, a.addr)) == 1 }, waitFor, pollEvery,
		"a proxy that closes withdraws its registration")
	require.Equal(t, map[string]string{addrA: "proxy-a"}, memberNames(t, a.addr))
}

// Without a resolver prefix, a proxy with an address lists itself; without
// an address it has nothing to give, and lists the cluster's members.
func TestMemberListWithoutAFleet(t *testing.T) {
	c := startCluster(t, 3)
	alone := startProxy(t, c, func(cfg *Config) { cfg.AdvertiseClientURL, cfg.Name = "127.0.0.1:23790", "lonely" })
	require.Equal(t, map[string]string{"127.0.0.1:23790": "lonely"}, memberNames(t, alone.addr))
	anonymous := startProxy(t, c, nil)
	var members map[string]string
	require.Eventually(t, func() bool { members = memberNames(t, anonymous.addr); return len(members) == 3 }, waitFor, pollEvery,
		"every member to have published its client URL")
	for _, cfg := range c.cfgs {
		require.Equal(t, cfg.Name, members[cfg.ListenClientURLs[0]])
	}
}
