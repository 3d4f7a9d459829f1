package proxy

import (
	"context"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// Many clients keeping the same lease alive, each on its own keep-alive
// stream: the proxy renews it on one stream to the cluster, merging the
// renewals asked for while one is on its way — and every client's every
// renewal is answered, with the lease's full TTL.
func TestKeepAlivesOfManyClientsTravelTogether(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	conn := grpcConn(t, p.addr)
	lease, err := pb.NewLeaseClient(conn).LeaseGrant(ctxFor(t), &pb.LeaseGrantRequest{TTL: 30})
	require.NoError(t, err)

	const clients, renewals = 20, 5
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stream, err := pb.NewLeaseClient(grpcConn(t, p.addr)).LeaseKeepAlive(ctx)
			if !assert.NoError(t, err) {
				return
			}
			for range renewals {
				if !assert.NoError(t, stream.Send(&pb.LeaseKeepAliveRequest{ID: lease.ID})) {
					return
				}
				resp, err := stream.Recv()
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, lease.ID, resp.ID)
				assert.InDelta(t, 30, resp.TTL, 1, "renewed to its full TTL")
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1, p.leases.streams(), "one stream to the cluster")
	asked, sent := counter(p.metrics.keepAlivesAsked), counter(p.metrics.keepAlivesSent)
	require.Equal(t, float64(clients*renewals), asked)
	require.Less(t, sent, asked, "renewals were merged")
	t.Logf("%v renewals asked for, %v sent to the cluster", asked, sent)

	// A lease that is gone is answered as a member answers: TTL 0.
	_, err = pb.NewLeaseClient(conn).LeaseRevoke(ctxFor(t), &pb.LeaseRevokeRequest{ID: lease.ID})
	require.NoError(t, err)
	stream, err := pb.NewLeaseClient(conn).LeaseKeepAlive(ctxFor(t))
	require.NoError(t, err)
	require.NoError(t, stream.Send(&pb.LeaseKeepAliveRequest{ID: lease.ID}))
	resp, err := stream.Recv()
	require.NoError(t, err)
	require.Zero(t, resp.TTL)
}

// A renewal asked for while another of the same lease is on its way waits
// for the next one — it is never answered by a renewal made before it was
// asked.
func TestARenewalIsNeverOneMadeBeforeItWasAsked(t *testing.T) {
	c := startCluster(t, 1)
	p := startProxy(t, c, nil)
	ka := p.leases
	s := &renewalStream{inFlight: map[int64]*renewal{}, pending: map[int64]*renewal{}, wake: make(chan struct{}, 1)}
	first := &renewal{done: make(chan struct{})}
	s.inFlight[7] = first
	second := &renewal{done: make(chan struct{})}
	s.pending[7] = second

	ka.answered(s, &pb.LeaseKeepAliveResponse{ID: 7, TTL: 10, Header: &pb.ResponseHeader{Revision: 3}})
	<-first.done
	select {
	case <-second.done:
		t.Fatal("the renewal asked for later was answered by the earlier one")
	default:
	}
	require.Equal(t, second, s.inFlight[7], "it is sent next")
	require.Equal(t, []int64{7}, s.toSend)
}
