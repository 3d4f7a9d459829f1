package kv

import "errors"

// Errors a client can cause. Their texts are etcd's, without the "etcdserver: "
// prefix that etcd's gRPC layer adds (the server adds it back and maps each
// error to its gRPC code and HTTP status). The store returns these values
// unwrapped, so errors.Is and == both work and Error() is the exact text.
var (
	// ErrCompacted: the revision asked for is older than the compaction point.
	ErrCompacted = errors.New("mvcc: required revision has been compacted")
	// ErrFutureRev: the revision asked for has not been written yet.
	ErrFutureRev = errors.New("mvcc: required revision is a future revision")

	ErrEmptyKey          = errors.New("key is not provided")
	ErrKeyNotFound       = errors.New("key not found")
	ErrValueProvided     = errors.New("value is provided")
	ErrLeaseProvided     = errors.New("lease is provided")
	ErrTooManyOps        = errors.New("too many operations in txn request")
	ErrDuplicateKey      = errors.New("duplicate key given in txn request")
	ErrInvalidSortOption = errors.New("invalid sort option")

	ErrLeaseNotFound    = errors.New("requested lease not found")
	ErrLeaseExist       = errors.New("lease already exists")
	ErrLeaseTTLTooLarge = errors.New("too large lease TTL")
)

// Errors that are raftkv's own (etcd has no text for them).
var (
	// ErrInvalidRequest: a Request (or RequestOp) with more than one operation
	// set, or a Request with none.
	ErrInvalidRequest = errors.New("kv: request must hold exactly one operation")
	// ErrNotReadOnly: ReadTxn was given a transaction that may write.
	ErrNotReadOnly = errors.New("kv: transaction is not read-only")
	// ErrMalformed wraps every error from decoding bytes (a request or a snapshot).
	ErrMalformed = errors.New("kv: malformed encoding")
)
