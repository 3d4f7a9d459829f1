package server

import (
	"errors"
	"net/http"

	"github.com/raftkv/raftkv/kv"
)

// Error is a failure a client sees: a gRPC status code and etcd's message,
// so that answers read exactly like etcd's (the JSON gateway turns the code
// into an HTTP status).
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return e.Message }

// gRPC status codes used by etcd's API.
const (
	CodeInvalidArgument    = 3
	CodeDeadlineExceeded   = 4
	CodeNotFound           = 5
	CodeFailedPrecondition = 9
	CodeOutOfRange         = 11
	CodeUnimplemented      = 12
	CodeInternal           = 13
	CodeUnavailable        = 14
)

// HTTPStatus is the status grpc-gateway maps the code to.
func (e *Error) HTTPStatus() int {
	switch e.Code {
	case CodeInvalidArgument, CodeFailedPrecondition, CodeOutOfRange:
		return http.StatusBadRequest
	case CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	case CodeNotFound:
		return http.StatusNotFound
	case CodeUnimplemented:
		return http.StatusNotImplemented
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// etcd's errors, in etcd's words.
var (
	ErrNoLeader               = &Error{CodeUnavailable, "etcdserver: no leader"}
	ErrTimeout                = &Error{CodeUnavailable, "etcdserver: request timed out"}
	ErrTimeoutDueToLeaderFail = &Error{CodeUnavailable, "etcdserver: request timed out, possibly due to previous leader failure"}
	ErrLeaderChanged          = &Error{CodeUnavailable, "etcdserver: leader changed"}
	ErrStopped                = &Error{CodeUnavailable, "etcdserver: server stopped"}
	ErrRequestTooLarge        = &Error{CodeInvalidArgument, "etcdserver: request is too large"}
	ErrMemberNotFound         = &Error{CodeNotFound, "etcdserver: member not found"}
	ErrPeerURLExists          = &Error{CodeFailedPrecondition, "etcdserver: Peer URLs already exists"}
	ErrMemberNotLearner       = &Error{CodeFailedPrecondition, "etcdserver: can only promote a learner member"}
	ErrLearnerNotReady        = &Error{CodeFailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader"}
	ErrUnhealthy              = &Error{CodeUnavailable, "etcdserver: unhealthy cluster"}
	ErrRemoved                = &Error{CodeUnavailable, "etcdserver: the member has been permanently removed from the cluster"}
	ErrConfChangePending      = &Error{CodeUnavailable, "etcdserver: another membership change is in progress; retry"}
)

// toError maps any failure to what the client sees.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, kv.ErrCompacted), errors.Is(err, kv.ErrFutureRev):
		return &Error{CodeOutOfRange, "etcdserver: " + err.Error()}
	case errors.Is(err, kv.ErrLeaseNotFound):
		return &Error{CodeNotFound, "etcdserver: " + err.Error()}
	case errors.Is(err, kv.ErrLeaseExist):
		return &Error{CodeFailedPrecondition, "etcdserver: " + err.Error()}
	case errors.Is(err, kv.ErrEmptyKey), errors.Is(err, kv.ErrKeyNotFound), errors.Is(err, kv.ErrValueProvided),
		errors.Is(err, kv.ErrLeaseProvided), errors.Is(err, kv.ErrTooManyOps), errors.Is(err, kv.ErrDuplicateKey),
		errors.Is(err, kv.ErrInvalidSortOption), errors.Is(err, kv.ErrLeaseTTLTooLarge):
		return &Error{CodeInvalidArgument, "etcdserver: " + err.Error()}
	case errors.Is(err, kv.ErrInvalidRequest), errors.Is(err, kv.ErrNotReadOnly), errors.Is(err, kv.ErrMalformed):
		return &Error{CodeInvalidArgument, err.Error()}
	}
	return &Error{CodeInternal, err.Error()}
}

// ErrNotLeader is returned for requests only the leader can answer; the
// server forwards them to the leader.
var ErrNotLeader = &Error{CodeFailedPrecondition, "etcdserver: not leader"}
