package v3rpc

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

type clusterServer struct {
	pb.UnimplementedClusterServer
	b api.Backend
}

func (s *clusterServer) MemberAdd(ctx context.Context, r *pb.MemberAddRequest) (*pb.MemberAddResponse, error) {
	added, members, h, err := s.b.MemberAdd(ctx, r.PeerURLs, r.IsLearner)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.MemberAddResponse{Header: pbconv.Header(h), Member: toPBMember(added), Members: toPBMembers(members)}, nil
}

func (s *clusterServer) MemberRemove(ctx context.Context, r *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error) {
	members, h, err := s.b.MemberRemove(ctx, r.ID)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.MemberRemoveResponse{Header: pbconv.Header(h), Members: toPBMembers(members)}, nil
}

func (s *clusterServer) MemberUpdate(ctx context.Context, r *pb.MemberUpdateRequest) (*pb.MemberUpdateResponse, error) {
	members, h, err := s.b.MemberUpdate(ctx, r.ID, r.PeerURLs)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.MemberUpdateResponse{Header: pbconv.Header(h), Members: toPBMembers(members)}, nil
}

func (s *clusterServer) MemberList(ctx context.Context, r *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	members, h, err := s.b.MemberList(ctx, r.Linearizable)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.MemberListResponse{Header: pbconv.Header(h), Members: toPBMembers(members)}, nil
}

func (s *clusterServer) MemberPromote(ctx context.Context, r *pb.MemberPromoteRequest) (*pb.MemberPromoteResponse, error) {
	members, h, err := s.b.MemberPromote(ctx, r.ID)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.MemberPromoteResponse{Header: pbconv.Header(h), Members: toPBMembers(members)}, nil
}

func toPBMember(m api.Member) *pb.Member {
	return &pb.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, IsLearner: m.IsLearner}
}

func toPBMembers(ms []api.Member) []*pb.Member {
	out := make([]*pb.Member, len(ms))
	for i, m := range ms {
		out[i] = toPBMember(m)
	}
	return out
}
