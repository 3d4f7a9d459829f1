package server

import (
	"errors"

	"github.com/raftkv/raftkv/auth"
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

// etcd's errors for authentication (rpctypes' ErrGRPC* values).
var (
	ErrUserEmpty            = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: user name is empty"}
	ErrAuthFailed           = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: authentication failed, invalid user ID or password"}
	ErrPermissionDenied     = &wire.Error{Code: wire.PermissionDenied, Message: "etcdserver: permission denied"}
	ErrInvalidAuthToken     = &wire.Error{Code: wire.Unauthenticated, Message: "etcdserver: invalid auth token"}
	ErrAuthOldRevision      = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: revision of auth store is old"}
	ErrAuthNotEnabled       = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: authentication is not enabled"}
	ErrInvalidAuthMgmt      = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: invalid auth management"}
	ErrRootUserNotExist     = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: root user does not exist"}
	ErrRootRoleNotExist     = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: root user does not have root role"}
	ErrUserAlreadyExist     = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: user name already exists"}
	ErrUserNotFound         = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: user name not found"}
	ErrRoleAlreadyExist     = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: role name already exists"}
	ErrRoleNotFound         = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: role name not found"}
	ErrRoleEmpty            = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: role name is empty"}
	ErrPermissionNotGiven   = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: permission not given"}
	ErrRoleNotGranted       = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: role is not granted to the user"}
	ErrPermissionNotGranted = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: permission is not granted to the role"}
)

// ErrNoPasswordUser is a password given for a user made without one. etcd's
// gRPC layer has no translation for its auth store's error (toGRPCErrorMap
// lacks it): its clients see code Unknown and the store's own text.
var ErrNoPasswordUser = &wire.Error{Code: wire.Unknown, Message: auth.ErrNoPasswordUser.Error()}

// errAuthFailed is a token assignment refused at apply time: the user
// changed after the password was checked. The client hears etcd's
// authentication failure.
var errAuthFailed = ErrAuthFailed

var kvErrors = []struct {
	kv   error
	wire *wire.Error
}{
	{auth.ErrUserEmpty, ErrUserEmpty},
	{auth.ErrPermissionDenied, ErrPermissionDenied},
	{auth.ErrAuthOldRevision, ErrAuthOldRevision},
	{auth.ErrAuthNotEnabled, ErrAuthNotEnabled},
	{auth.ErrInvalidAuthMgmt, ErrInvalidAuthMgmt},
	{auth.ErrRootUserNotExist, ErrRootUserNotExist},
	{auth.ErrRootRoleNotExist, ErrRootRoleNotExist},
	{auth.ErrUserAlreadyExist, ErrUserAlreadyExist},
	{auth.ErrUserNotFound, ErrUserNotFound},
	{auth.ErrRoleAlreadyExist, ErrRoleAlreadyExist},
	{auth.ErrRoleNotFound, ErrRoleNotFound},
	{auth.ErrRoleEmpty, ErrRoleEmpty},
	{auth.ErrPermissionNotGiven, ErrPermissionNotGiven},
	{auth.ErrRoleNotGranted, ErrRoleNotGranted},
	{auth.ErrPermissionNotGranted, ErrPermissionNotGranted},
	{auth.ErrNoPasswordUser, ErrNoPasswordUser},
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
