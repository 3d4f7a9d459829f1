package v3http

import (
	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/pbconv"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

// etcd bounds a request twice. Its gRPC server refuses any message larger
// than --max-request-bytes plus 512 KiB (grpcOverheadBytes) before reading
// it, with ResourceExhausted and gRPC's words; a request under that bound
// that must go through raft is refused by the member if it exceeds
// --max-request-bytes ("request is too large", which the member checks:
// server.Member.Write). In etcd the JSON gateway reaches the member through
// that gRPC server, so a JSON request meets both bounds — and so it does
// here, on every unary body and on every line of a stream.

// grpcOverheadBytes is what etcd's gRPC server allows above
// --max-request-bytes.
const grpcOverheadBytes = 512 * 1024

type limits struct {
	// maxGRPC is the gRPC receive limit in protobuf bytes.
	maxGRPC int
	// maxJSONBytes bounds what the gateway reads of one request (a body,
	// or one line of a stream): the JSON of a message under maxGRPC is at
	// most about 4/3 of it (bytes travel in base64), and the gateway reads
	// up to twice that so that it can measure most oversized requests
	// exactly. Past it, the request is refused unread.
	maxJSONBytes int64
}

func newLimits(maxRequestBytes int) limits {
	grpcLimit := maxRequestBytes + grpcOverheadBytes
	return limits{maxGRPC: grpcLimit, maxJSONBytes: 2*int64(grpcLimit)*4/3 + 64<<10}
}

// tooLargeForGRPC is gRPC's refusal of a message of n bytes.
func (l limits) tooLargeForGRPC(n int64) *wire.Error {
	return wire.Errorf(wire.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, l.maxGRPC)
}

// unreadSize estimates the protobuf size of a request too large to read:
// its JSON's bytes are mostly base64.
func unreadSize(jsonBytes int64) int64 { return jsonBytes * 3 / 4 }

// check refuses a request whose protobuf encoding would exceed the gRPC
// limit. jsonLen is the length of the JSON it was decoded from: protobuf is
// never larger than the JSON of the same message (field numbers instead of
// names, raw bytes instead of base64), so only a request whose JSON is over
// the limit needs measuring.
func (l limits) check(req wire.Message, jsonLen int) *wire.Error {
	if jsonLen <= l.maxGRPC {
		return nil
	}
	if n := protoSize(req, jsonLen); n > l.maxGRPC {
		return l.tooLargeForGRPC(int64(n))
	}
	return nil
}

// protoSize is the size of req as etcd's gRPC server would receive it (for
// the rarely large requests, a bound on it).
func protoSize(req wire.Message, jsonLen int) int {
	var m proto.Message
	switch r := req.(type) {
	case *wire.PutRequest:
		m = pbconv.FromPutRequest(toKVPut(r))
	case *wire.RangeRequest:
		m = pbconv.FromRangeRequest(toKVRange(r))
	case *wire.DeleteRangeRequest:
		m = pbconv.FromDeleteRangeRequest(toKVDelete(r))
	case *wire.TxnRequest:
		m = pbconv.FromTxnRequest(toKVTxn(r))
	case *wire.WatchRequest:
		m = watchRequestPB(r)
	case *wire.LeaseKeepAliveRequest:
		m = &pb.LeaseKeepAliveRequest{ID: r.ID}
	default:
		// The request re-encoded, without the unknown fields and the
		// white space the body may have had: protobuf is no larger.
		return len(req.AppendJSON(nil))
	}
	return proto.Size(m)
}

func watchRequestPB(r *wire.WatchRequest) *pb.WatchRequest {
	switch {
	case r.CreateRequest != nil:
		c := r.CreateRequest
		cr := &pb.WatchCreateRequest{Key: c.Key, RangeEnd: c.RangeEnd, StartRevision: c.StartRevision, ProgressNotify: c.ProgressNotify,
			PrevKv: c.PrevKV, WatchId: c.WatchID, Fragment: c.Fragment}
		for _, f := range c.Filters {
			cr.Filters = append(cr.Filters, pb.WatchCreateRequest_FilterType(f))
		}
		return &pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: cr}}
	case r.CancelRequest != nil:
		return &pb.WatchRequest{RequestUnion: &pb.WatchRequest_CancelRequest{CancelRequest: &pb.WatchCancelRequest{WatchId: r.CancelRequest.WatchID}}}
	}
	return &pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}}
}
