package v3rpc

import (
	"context"
	"errors"
	"io"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

type watchServer struct {
	pb.UnimplementedWatchServer
	b       api.Backend
	metrics api.Metrics
}

// errWatchCanceled is what etcd ends a watch stream with when its context
// is canceled.
var errWatchCanceled = status.Error(codes.Canceled, "etcdserver: watch canceled")

// Watch serves one watch stream. The client's requests are read on their
// own goroutine, in order, and handed to the backend's stream, which sends
// the answers and events; the stream lasts until the client goes away (or,
// for a client that requires a leader, until the member has had none for a
// while: interceptors.go). A client that has sent its last request (io.EOF)
// keeps receiving events, as in etcd.
func (s *watchServer) Watch(stream grpc.BidiStreamingServer[pb.WatchRequest, pb.WatchResponse]) error {
	ctx := stream.Context()
	s.metrics.WatchStreamOpened()
	defer s.metrics.WatchStreamClosed()
	ws, err := s.b.Watch(ctx, func(r *api.WatchResponse) error { return stream.Send(toPBWatchResponse(r)) })
	if err != nil {
		return togRPCError(err)
	}
	defer ws.Close()
	recvErr := make(chan error, 1)
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					recvErr <- err
				}
				return
			}
			switch u := req.RequestUnion.(type) {
			case *pb.WatchRequest_CreateRequest:
				if u.CreateRequest != nil {
					ws.Create(toWatchCreate(u.CreateRequest))
				}
			case *pb.WatchRequest_CancelRequest:
				if u.CancelRequest != nil {
					ws.Cancel(u.CancelRequest.WatchId)
				}
			case *pb.WatchRequest_ProgressRequest:
				if u.ProgressRequest != nil {
					ws.RequestProgress()
				}
			}
			// Any other request is ignored, as etcd ignores it: one bad
			// request should not end a stream that others share.
		}
	}()
	select {
	case err := <-recvErr:
		return err
	case <-ctx.Done():
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			return err // the reason a leader monitor gave, say
		}
		return errWatchCanceled
	}
}

func toWatchCreate(c *pb.WatchCreateRequest) *api.WatchCreateRequest {
	out := &api.WatchCreateRequest{
		WatchRequest: kv.WatchRequest{Key: c.Key, RangeEnd: c.RangeEnd, StartRevision: c.StartRevision, PrevKv: c.PrevKv},
		WatchID:      c.WatchId, ProgressNotify: c.ProgressNotify, Fragment: c.Fragment,
	}
	for _, f := range c.Filters {
		out.Filters = append(out.Filters, kv.WatchFilter(f))
	}
	return out
}

func toPBWatchResponse(r *api.WatchResponse) *pb.WatchResponse {
	return &pb.WatchResponse{
		Header: pbconv.Header(r.Header), WatchId: r.WatchID, Created: r.Created, Canceled: r.Canceled,
		CompactRevision: r.CompactRevision, CancelReason: r.CancelReason, Fragment: r.Fragment, Events: pbconv.Events(r.Events),
	}
}
