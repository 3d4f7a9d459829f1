package v3rpc

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raftkv/raftkv/client/wire"
)

// togRPCError turns a backend's failure into the status etcd sends for it:
// the backend's errors already carry etcd's gRPC code and exact words
// (rpctypes' ErrGRPC* values are status errors with the same).
func togRPCError(err error) error {
	if err == nil {
		return nil
	}
	var e *wire.Error
	switch {
	case errors.As(err, &e):
		return status.Error(codes.Code(e.Code), e.Message)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, context.Canceled.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, context.DeadlineExceeded.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// errNoLeader is etcd's refusal of a request that requires a leader.
var errNoLeader = status.Error(codes.Unavailable, wire.ErrNoLeader.Message)

// errPermissionNotGiven is etcd's answer to a grant without a permission.
var errPermissionNotGiven = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: permission not given"}
