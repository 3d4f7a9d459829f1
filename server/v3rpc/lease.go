package v3rpc

import (
	"context"
	"errors"
	"io"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

type leaseServer struct {
	pb.UnimplementedLeaseServer
	b api.Backend
}

func (s *leaseServer) LeaseGrant(ctx context.Context, r *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error) {
	g, h, err := s.b.LeaseGrant(ctx, &kv.LeaseGrantRequest{TTL: r.TTL, ID: r.ID})
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.LeaseGrantResponse{Header: pbconv.Header(h), ID: g.ID, TTL: g.TTL}, nil
}

func (s *leaseServer) LeaseRevoke(ctx context.Context, r *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
	h, err := s.b.LeaseRevoke(ctx, r.ID)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.LeaseRevokeResponse{Header: pbconv.Header(h)}, nil
}

// LeaseKeepAlive answers each renewal on the stream in turn, as etcd does;
// a lease that is gone is answered with TTL 0.
func (s *leaseServer) LeaseKeepAlive(stream grpc.BidiStreamingServer[pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse]) error {
	ctx := stream.Context()
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp, h, err := s.b.LeaseKeepAlive(ctx, req.ID)
		if err != nil {
			return togRPCError(err)
		}
		if err := stream.Send(&pb.LeaseKeepAliveResponse{Header: pbconv.Header(h), ID: resp.ID, TTL: resp.TTL}); err != nil {
			return err
		}
	}
}

func (s *leaseServer) LeaseTimeToLive(ctx context.Context, r *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error) {
	resp, h, err := s.b.LeaseTimeToLive(ctx, &kv.LeaseTimeToLiveRequest{ID: r.ID, Keys: r.Keys})
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.LeaseTimeToLiveResponse{Header: pbconv.Header(h), ID: resp.ID, TTL: resp.TTL, GrantedTTL: resp.GrantedTTL, Keys: resp.Keys}, nil
}

func (s *leaseServer) LeaseLeases(ctx context.Context, _ *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error) {
	resp, h, err := s.b.LeaseLeases(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	out := &pb.LeaseLeasesResponse{Header: pbconv.Header(h)}
	for _, l := range resp.Leases {
		out.Leases = append(out.Leases, &pb.LeaseStatus{ID: l.ID})
	}
	return out, nil
}
