package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/server"
)

func freeAddr(t *testing.T) string {
	for range 1000 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

// startMembers starts a cluster of n members in the test process.
func startMembers(t *testing.T, n int) ([]*server.Server, []string) {
	dir := t.TempDir()
	var cfgs []server.Config
	var initial, clients []string
	for i := range n {
		cfg := server.DefaultConfig()
		cfg.Name, cfg.DataDir = fmt.Sprintf("m%d", i+1), fmt.Sprintf("%s/m%d", dir, i+1)
		c, p := freeAddr(t), "http://"+freeAddr(t)
		cfg.ListenClientURLs, cfg.AdvertiseClientURLs = []string{"http://" + c}, []string{"http://" + c}
		cfg.ListenPeerURLs, cfg.InitialAdvertisePeerURLs = []string{p}, []string{p}
		cfg.HeartbeatInterval, cfg.ElectionTimeout = 20*time.Millisecond, 200*time.Millisecond
		initial = append(initial, cfg.Name+"="+p)
		clients = append(clients, c)
		cfgs = append(cfgs, cfg)
	}
	var servers []*server.Server
	for _, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
		s, err := server.Start(cfg, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		servers = append(servers, s)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Stop()
		}
	})
	return servers, clients
}

func startGateway(t *testing.T, endpoints []string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := &Gateway{Endpoints: endpoints, RetryDelay: time.Hour}
	go g.Serve(ln)
	t.Cleanup(func() { g.Close() })
	return ln.Addr().String()
}

// memberBehind asks, on a new connection through the gateway, which member
// answers.
func memberBehind(t *testing.T, addr string) uint64 {
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
	require.NoError(t, err)
	return st.Header.MemberId
}

// Connections through the gateway go round-robin to the members, carrying
// gRPC and the JSON gateway alike; a member that is down is passed over.
func TestGatewaySpreadsConnectionsOverTheMembersThatAnswer(t *testing.T) {
	servers, endpoints := startMembers(t, 3)
	addr := startGateway(t, endpoints)

	seen := map[uint64]bool{}
	require.Eventually(t, func() bool {
		seen[memberBehind(t, addr)] = true
		return len(seen) == 3
	}, 20*time.Second, 10*time.Millisecond, "every member answers through the gateway")

	jc, err := client.New(client.Config{Endpoints: []string{addr}, RequestTimeout: 10 * time.Second})
	require.NoError(t, err)
	defer jc.Close()
	_, err = jc.Put(context.Background(), "k", "v")
	require.NoError(t, err)

	servers[0].Stop()
	for range 6 {
		require.NotZero(t, memberBehind(t, addr), "a connection lands on a member that is up")
	}
}
