package server

import (
	"errors"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// Failures a client sees are *wire.Error values: a gRPC status code and
// etcd's message, so that answers read exactly like etcd's (the JSON gateway
// turns the code into an HTTP status). The member uses etcd's own errors.
var (
	ErrNoLeader               = wire.ErrNoLeader
	ErrNotLeader              = wire.ErrNotLeader
	ErrTimeout                = wire.ErrTimeout
	ErrTimeoutDueToLeaderFail = wire.ErrTimeoutDueToLeaderFail
	ErrLeaderChanged          = wire.ErrLeaderChanged
	ErrStopped                = wire.ErrStopped
	ErrRequestTooLarge        = wire.ErrRequestTooLarge
	ErrMemberNotFound         = wire.ErrMemberNotFound
	ErrPeerURLExists          = wire.ErrPeerURLExist
	ErrMemberNotLearner       = wire.ErrMemberNotLearner
	ErrLearnerNotReady        = wire.ErrLearnerNotReady
	ErrUnhealthy              = wire.ErrUnhealthy
	ErrBadURLs                = wire.ErrMemberBadURLs
	ErrBadLeaderTransferee    = wire.ErrBadLeaderTransferee
	ErrTimeoutLeaderTransfer  = wire.ErrTimeoutLeaderTransfer
	ErrNoSpace                = wire.ErrNoSpace
	ErrCorrupt                = wire.ErrCorrupt
	// ErrRemoved has etcd's words for a member that was removed.
	ErrRemoved = &wire.Error{Code: wire.Unavailable, Message: "etcdserver: the member has been permanently removed from the cluster"}
	// ErrConfChangePending: raft allows one membership change at a time.
	ErrConfChangePending = &wire.Error{Code: wire.Unavailable, Message: "etcdserver: another membership change is in progress; retry"}
)

// toError maps any failure to what the client sees.
func toError(err error) *wire.Error {
	var e *wire.Error
	if errors.As(err, &e) {
		return e
	}
	for _, m := range kvErrors {
		if errors.Is(err, m.kv) {
			return m.wire
		}
	}
	return &wire.Error{Code: wire.InvalidArgument, Message: err.Error()}
}

var kvErrors = []struct {
	kv   error
	wire *wire.Error
}{
	{kv.ErrCompacted, wire.ErrCompacted},
	{kv.ErrFutureRev, wire.ErrFutureRev},
	{kv.ErrLeaseNotFound, wire.ErrLeaseNotFound},
	{kv.ErrLeaseExist, wire.ErrLeaseExist},
	{kv.ErrLeaseTTLTooLarge, wire.ErrLeaseTTLTooLarge},
	{kv.ErrEmptyKey, wire.ErrEmptyKey},
	{kv.ErrKeyNotFound, wire.ErrKeyNotFound},
	{kv.ErrValueProvided, wire.ErrValueProvided},
	{kv.ErrLeaseProvided, wire.ErrLeaseProvided},
	{kv.ErrTooManyOps, wire.ErrTooManyOps},
	{kv.ErrDuplicateKey, wire.ErrDuplicateKey},
	{kv.ErrInvalidSortOption, &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: invalid sort option"}},
}
