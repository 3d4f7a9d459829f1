package v3rpc

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

type kvServer struct {
	pb.UnimplementedKVServer
	b api.Backend
}

func (s *kvServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	resp, h, err := s.b.Range(ctx, pbconv.ToRange(r))
	if err != nil {
		return nil, togRPCError(err)
	}
	return pbconv.RangeResponse(resp, pbconv.Header(h)), nil
}

// RangeStream (new in etcd 3.7) is not served: clients fall back to Range.
func (s *kvServer) RangeStream(*pb.RangeRequest, grpc.ServerStreamingServer[pb.RangeStreamResponse]) error {
	return status.Error(codes.Unimplemented, "raftkv does not serve KV.RangeStream: use KV.Range")
}

func (s *kvServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	resp, h, err := s.b.Put(ctx, pbconv.ToPut(r))
	if err != nil {
		return nil, togRPCError(err)
	}
	return pbconv.PutResponse(resp, pbconv.Header(h)), nil
}

func (s *kvServer) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	resp, h, err := s.b.DeleteRange(ctx, pbconv.ToDeleteRange(r))
	if err != nil {
		return nil, togRPCError(err)
	}
	return pbconv.DeleteRangeResponse(resp, pbconv.Header(h)), nil
}

func (s *kvServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	resp, h, err := s.b.Txn(ctx, pbconv.ToTxn(r))
	if err != nil {
		return nil, togRPCError(err)
	}
	return pbconv.TxnResponse(resp, pbconv.Header(h)), nil
}

func (s *kvServer) Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	_, h, err := s.b.Compact(ctx, &kv.CompactionRequest{Revision: r.Revision, Physical: r.Physical})
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.CompactionResponse{Header: pbconv.Header(h)}, nil
}
