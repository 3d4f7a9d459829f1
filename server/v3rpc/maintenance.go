package v3rpc

import (
	"context"
	"errors"
	"io"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

type maintenanceServer struct {
	pb.UnimplementedMaintenanceServer
	b api.Backend
}

func (s *maintenanceServer) Status(ctx context.Context, _ *pb.StatusRequest) (*pb.StatusResponse, error) {
	st, err := s.b.Status(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.StatusResponse{
		Header: pbconv.Header(st.Header), Version: st.Version, DbSize: st.DBSize, Leader: st.Leader,
		RaftIndex: st.RaftIndex, RaftTerm: st.RaftTerm, RaftAppliedIndex: st.RaftAppliedIndex, Errors: st.Errors,
		DbSizeInUse: st.DBSizeInUse, IsLearner: st.IsLearner, StorageVersion: st.StorageVersion, DbSizeQuota: st.DBSizeQuota,
		DowngradeInfo: &pb.DowngradeInfo{},
	}, nil
}

func (s *maintenanceServer) Alarm(ctx context.Context, r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	alarms, h, err := s.b.Alarm(ctx, api.AlarmRequest{Action: api.AlarmAction(r.Action), MemberID: r.MemberID, Alarm: api.AlarmType(r.Alarm)})
	if err != nil {
		return nil, togRPCError(err)
	}
	out := &pb.AlarmResponse{Header: pbconv.Header(h)}
	for _, a := range alarms {
		out.Alarms = append(out.Alarms, &pb.AlarmMember{MemberID: a.MemberID, Alarm: pb.AlarmType(a.Alarm)})
	}
	return out, nil
}

func (s *maintenanceServer) Defragment(ctx context.Context, _ *pb.DefragmentRequest) (*pb.DefragmentResponse, error) {
	h, err := s.b.Defragment(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.DefragmentResponse{Header: pbconv.Header(h)}, nil
}

func (s *maintenanceServer) Hash(ctx context.Context, _ *pb.HashRequest) (*pb.HashResponse, error) {
	hash, h, err := s.b.Hash(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.HashResponse{Header: pbconv.Header(h), Hash: hash}, nil
}

func (s *maintenanceServer) HashKV(ctx context.Context, r *pb.HashKVRequest) (*pb.HashKVResponse, error) {
	hk, h, err := s.b.HashKV(ctx, r.Revision)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.HashKVResponse{Header: pbconv.Header(h), Hash: hk.Hash, CompactRevision: hk.CompactRevision, HashRevision: hk.HashRevision}, nil
}

// Snapshot streams a backup: the chunks, then the one holding their SHA-256.
func (s *maintenanceServer) Snapshot(_ *pb.SnapshotRequest, stream grpc.ServerStreamingServer[pb.SnapshotResponse]) error {
	snap, err := s.b.Snapshot(stream.Context())
	if err != nil {
		return togRPCError(err)
	}
	defer snap.Close()
	for {
		chunk, remaining, err := snap.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return togRPCError(err)
		}
		if err := stream.Send(&pb.SnapshotResponse{RemainingBytes: uint64(remaining), Blob: chunk, Version: snap.Version()}); err != nil {
			return err
		}
	}
}

func (s *maintenanceServer) MoveLeader(ctx context.Context, r *pb.MoveLeaderRequest) (*pb.MoveLeaderResponse, error) {
	h, err := s.b.MoveLeader(ctx, r.TargetID)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.MoveLeaderResponse{Header: pbconv.Header(h)}, nil
}

// Downgrade is not served: raftkv has one storage version.
func (s *maintenanceServer) Downgrade(context.Context, *pb.DowngradeRequest) (*pb.DowngradeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "raftkv does not serve Maintenance.Downgrade: it has a single storage version")
}
