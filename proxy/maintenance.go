package proxy

import (
	"context"
	"errors"
	"io"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/raftkv/raftkv/server/api"
)

// The Maintenance service, passed through to whichever member the
// connection picks, as etcd's proxy does: a client that needs a given
// member's status, hash or backup talks to that member.

func (p *Proxy) Status(ctx context.Context) (*api.Status, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.StatusResponse, error) {
		return p.up.maint.Status(ctx, &pb.StatusRequest{})
	})
	if err != nil {
		return nil, err
	}
	return &api.Status{
		Header: h, Version: out.Version, DBSize: out.DbSize, DBSizeInUse: out.DbSizeInUse, DBSizeQuota: out.DbSizeQuota,
		Leader: out.Leader, RaftIndex: out.RaftIndex, RaftTerm: out.RaftTerm, RaftAppliedIndex: out.RaftAppliedIndex,
		IsLearner: out.IsLearner, Errors: out.Errors, StorageVersion: out.StorageVersion,
	}, nil
}

func (p *Proxy) Alarm(ctx context.Context, req api.AlarmRequest) ([]api.AlarmMember, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AlarmResponse, error) {
		return p.up.maint.Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_AlarmAction(req.Action), MemberID: req.MemberID, Alarm: pb.AlarmType(req.Alarm)})
	})
	if err != nil {
		return nil, h, err
	}
	alarms := make([]api.AlarmMember, len(out.Alarms))
	for i, a := range out.Alarms {
		alarms[i] = api.AlarmMember{MemberID: a.MemberID, Alarm: api.AlarmType(a.Alarm)}
	}
	return alarms, h, nil
}

func (p *Proxy) Hash(ctx context.Context) (uint32, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.HashResponse, error) {
		return p.up.maint.Hash(ctx, &pb.HashRequest{})
	})
	if err != nil {
		return 0, h, err
	}
	return out.Hash, h, nil
}

func (p *Proxy) HashKV(ctx context.Context, rev int64) (*api.HashKV, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.HashKVResponse, error) {
		return p.up.maint.HashKV(ctx, &pb.HashKVRequest{Revision: rev})
	})
	if err != nil {
		return nil, h, err
	}
	return &api.HashKV{Hash: out.Hash, CompactRevision: out.CompactRevision, HashRevision: out.HashRevision}, h, nil
}

func (p *Proxy) Defragment(ctx context.Context) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.DefragmentResponse, error) {
		return p.up.maint.Defragment(ctx, &pb.DefragmentRequest{})
	})
	return h, err
}

func (p *Proxy) MoveLeader(ctx context.Context, target uint64) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.MoveLeaderResponse, error) {
		return p.up.maint.MoveLeader(ctx, &pb.MoveLeaderRequest{TargetID: target})
	})
	return h, err
}

// Snapshot streams a member's backup through the proxy, chunk by chunk.
func (p *Proxy) Snapshot(ctx context.Context) (api.SnapshotStream, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := p.up.maint.Snapshot(outgoing(ctx), &pb.SnapshotRequest{})
	if err != nil {
		cancel()
		return nil, fromGRPC(err)
	}
	return &snapshotStream{stream: stream, cancel: cancel}, nil
}

type snapshotStream struct {
	stream  grpc.ServerStreamingClient[pb.SnapshotResponse]
	cancel  context.CancelFunc
	version string
}

func (s *snapshotStream) Next() ([]byte, int64, error) {
	resp, err := s.stream.Recv()
	if errors.Is(err, io.EOF) {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, fromGRPC(err)
	}
	s.version = resp.Version
	return resp.Blob, int64(resp.RemainingBytes), nil
}

func (s *snapshotStream) Version() string { return s.version }
func (s *snapshotStream) Close()          { s.cancel() }
