package wire

import "fmt"

// Code is a gRPC status code. etcd's JSON gateway reports errors with the
// code its gRPC server chose, so raftkv speaks the same numbers.
type Code int32

// The gRPC status codes (google.golang.org/grpc/codes), by number.
const (
	OK                 Code = 0
	Canceled           Code = 1
	Unknown            Code = 2
	InvalidArgument    Code = 3
	DeadlineExceeded   Code = 4
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	ResourceExhausted  Code = 8
	FailedPrecondition Code = 9
	Aborted            Code = 10
	OutOfRange         Code = 11
	Unimplemented      Code = 12
	Internal           Code = 13
	Unavailable        Code = 14
	DataLoss           Code = 15
	Unauthenticated    Code = 16
)

// String returns the code's gRPC name, for logs.
func (c Code) String() string {
	switch c {
	case OK:
		return "OK"
	case Canceled:
		return "Canceled"
	case Unknown:
		return "Unknown"
	case InvalidArgument:
		return "InvalidArgument"
	case DeadlineExceeded:
		return "DeadlineExceeded"
	case NotFound:
		return "NotFound"
	case AlreadyExists:
		return "AlreadyExists"
	case PermissionDenied:
		return "PermissionDenied"
	case ResourceExhausted:
		return "ResourceExhausted"
	case FailedPrecondition:
		return "FailedPrecondition"
	case Aborted:
		return "Aborted"
	case OutOfRange:
		return "OutOfRange"
	case Unimplemented:
		return "Unimplemented"
	case Internal:
		return "Internal"
	case Unavailable:
		return "Unavailable"
	case DataLoss:
		return "DataLoss"
	case Unauthenticated:
		return "Unauthenticated"
	}
	return fmt.Sprintf("Code(%d)", int32(c))
}

// HTTPStatus is the HTTP status grpc-gateway (and so etcd) answers with for
// this code: InvalidArgument, FailedPrecondition and OutOfRange are all 400,
// NotFound is 404, Unimplemented 501, Unavailable 503, and so on.
func (c Code) HTTPStatus() int {
	switch c {
	case OK:
		return 200
	case Canceled:
		return 499 // nginx's "client closed request"; grpc-gateway uses it too
	case InvalidArgument, FailedPrecondition, OutOfRange:
		return 400
	case DeadlineExceeded:
		return 504
	case NotFound:
		return 404
	case AlreadyExists, Aborted:
		return 409
	case PermissionDenied:
		return 403
	case Unauthenticated:
		return 401
	case ResourceExhausted:
		return 429
	case Unimplemented:
		return 501
	case Unavailable:
		return 503
	}
	return 500 // Unknown, Internal, DataLoss and codes we do not know
}

// CodeFromHTTPStatus guesses a code for an HTTP error that came without a
// JSON body (a proxy's 502, the mux's plain-text 404). It is the inverse of
// HTTPStatus where that is unambiguous.
func CodeFromHTTPStatus(status int) Code {
	switch status {
	case 200:
		return OK
	case 400:
		return InvalidArgument
	case 401:
		return Unauthenticated
	case 403:
		return PermissionDenied
	case 404:
		return NotFound
	case 409:
		return Aborted
	case 429:
		return ResourceExhausted
	case 499:
		return Canceled
	case 501:
		return Unimplemented
	case 502, 503:
		return Unavailable
	case 504:
		return DeadlineExceeded
	}
	return Unknown
}

// Error is an error as etcd's gateway writes it: {"code":N,"message":"..."}.
// The server encodes it with AppendJSON and answers with HTTPStatus; the
// client returns it so that a CLI can print etcd's own words.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Errorf builds an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error returns the message alone, as etcd's client does: etcdctl prints
// "Error: etcdserver: requested lease not found", not the code.
func (e *Error) Error() string { return e.Message }

// HTTPStatus is the status a server answers this error with.
func (e *Error) HTTPStatus() int { return e.Code.HTTPStatus() }

// Is reports whether target is an *Error with the same code and message, so
// that errors.Is(err, wire.ErrCompacted) works on errors that came over the
// network (which are never the same pointer).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

// AppendJSON appends {"code":N,"message":"..."}. The code is always written
// (an error never has code 0); an empty message is left out, as protojson does.
func (e *Error) AppendJSON(b []byte) []byte {
	b = append(b, `{"code":`...)
	b = appendInt(b, int64(e.Code))
	b = appendString(b, "message", e.Message)
	return append(b, '}')
}

func (e *Error) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "code":
			e.Code = Code(it.int32(1, "code"))
		case "message":
			e.Message = it.string(2, "message")
		default:
			it.skip()
		}
	}
}

// etcd's errors, with etcd's codes and words (etcd's api/v3rpc/rpctypes).
// The server returns these; the client compares against them with errors.Is.
// Treat them as constants: they are shared.
var (
	ErrEmptyKey        = &Error{InvalidArgument, "etcdserver: key is not provided"}
	ErrKeyNotFound     = &Error{InvalidArgument, "etcdserver: key not found"}
	ErrValueProvided   = &Error{InvalidArgument, "etcdserver: value is provided"}
	ErrLeaseProvided   = &Error{InvalidArgument, "etcdserver: lease is provided"}
	ErrTooManyOps      = &Error{InvalidArgument, "etcdserver: too many operations in txn request"}
	ErrDuplicateKey    = &Error{InvalidArgument, "etcdserver: duplicate key given in txn request"}
	ErrRequestTooLarge = &Error{InvalidArgument, "etcdserver: request is too large"}
	ErrCompacted       = &Error{OutOfRange, "etcdserver: mvcc: required revision has been compacted"}
	ErrFutureRev       = &Error{OutOfRange, "etcdserver: mvcc: required revision is a future revision"}
	ErrNoSpace         = &Error{ResourceExhausted, "etcdserver: mvcc: database space exceeded"}

	ErrLeaseNotFound    = &Error{NotFound, "etcdserver: requested lease not found"}
	ErrLeaseExist       = &Error{FailedPrecondition, "etcdserver: lease already exists"}
	ErrLeaseTTLTooLarge = &Error{OutOfRange, "etcdserver: too large lease TTL"}

	ErrMemberExist            = &Error{FailedPrecondition, "etcdserver: member ID already exist"}
	ErrPeerURLExist           = &Error{FailedPrecondition, "etcdserver: Peer URLs already exists"}
	ErrMemberNotEnoughStarted = &Error{FailedPrecondition, "etcdserver: re-configuration failed due to not enough started members"}
	ErrMemberBadURLs          = &Error{InvalidArgument, "etcdserver: given member URLs are invalid"}
	ErrMemberNotFound         = &Error{NotFound, "etcdserver: member not found"}
	ErrMemberNotLearner       = &Error{FailedPrecondition, "etcdserver: can only promote a learner member"}
	ErrLearnerNotReady        = &Error{FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader"}
	ErrTooManyLearners        = &Error{FailedPrecondition, "etcdserver: too many learner members in cluster"}

	ErrNoLeader                   = &Error{Unavailable, "etcdserver: no leader"}
	ErrNotLeader                  = &Error{FailedPrecondition, "etcdserver: not leader"}
	ErrLeaderChanged              = &Error{Unavailable, "etcdserver: leader changed"}
	ErrNotCapable                 = &Error{Unavailable, "etcdserver: not capable"}
	ErrStopped                    = &Error{Unavailable, "etcdserver: server stopped"}
	ErrTimeout                    = &Error{Unavailable, "etcdserver: request timed out"}
	ErrTimeoutDueToLeaderFail     = &Error{Unavailable, "etcdserver: request timed out, possibly due to previous leader failure"}
	ErrTimeoutDueToConnectionLost = &Error{Unavailable, "etcdserver: request timed out, possibly due to connection lost"}
	ErrTimeoutWaitAppliedIndex    = &Error{Unavailable, "etcdserver: request timed out, waiting for the applied index took too long"}
	ErrUnhealthy                  = &Error{Unavailable, "etcdserver: unhealthy cluster"}
	ErrCorrupt                    = &Error{DataLoss, "etcdserver: corrupt cluster"}
	ErrTooManyRequests            = &Error{ResourceExhausted, "etcdserver: too many requests"}
	ErrBadLeaderTransferee        = &Error{FailedPrecondition, "etcdserver: bad leader transferee"}
	ErrTimeoutLeaderTransfer      = &Error{Unavailable, "etcdserver: request timed out, leader transfer took too long"}

	// Authentication and authorization. Clients tell them apart by their
	// words, so they must be byte for byte etcd's: "invalid auth token",
	// "revision of auth store is old" and "user name is empty" make a client
	// authenticate again; "authentication failed" makes etcdctl exit 2.
	ErrRootUserNotExist     = &Error{FailedPrecondition, "etcdserver: root user does not exist"}
	ErrRootRoleNotExist     = &Error{FailedPrecondition, "etcdserver: root user does not have root role"}
	ErrUserAlreadyExist     = &Error{FailedPrecondition, "etcdserver: user name already exists"}
	ErrUserEmpty            = &Error{InvalidArgument, "etcdserver: user name is empty"}
	ErrUserNotFound         = &Error{FailedPrecondition, "etcdserver: user name not found"}
	ErrRoleAlreadyExist     = &Error{FailedPrecondition, "etcdserver: role name already exists"}
	ErrRoleNotFound         = &Error{FailedPrecondition, "etcdserver: role name not found"}
	ErrRoleEmpty            = &Error{InvalidArgument, "etcdserver: role name is empty"}
	ErrAuthFailed           = &Error{InvalidArgument, "etcdserver: authentication failed, invalid user ID or password"}
	ErrPermissionNotGiven   = &Error{InvalidArgument, "etcdserver: permission not given"}
	ErrPermissionDenied     = &Error{PermissionDenied, "etcdserver: permission denied"}
	ErrRoleNotGranted       = &Error{FailedPrecondition, "etcdserver: role is not granted to the user"}
	ErrPermissionNotGranted = &Error{FailedPrecondition, "etcdserver: permission is not granted to the role"}
	ErrAuthNotEnabled       = &Error{FailedPrecondition, "etcdserver: authentication is not enabled"}
	ErrInvalidAuthToken     = &Error{Unauthenticated, "etcdserver: invalid auth token"}
	ErrInvalidAuthMgmt      = &Error{InvalidArgument, "etcdserver: invalid auth management"}
	ErrAuthOldRevision      = &Error{InvalidArgument, "etcdserver: revision of auth store is old"}

	// The gateway's own answers for a wrong method and an unknown /v3 path.
	ErrMethodNotAllowed = &Error{Unimplemented, "Method Not Allowed"}
	ErrPathNotFound     = &Error{NotFound, "Not Found"}
)
