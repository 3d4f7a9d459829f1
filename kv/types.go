package kv

import "strconv"

// The request and response types mirror etcd's rpc.proto and kv.proto, field
// for field, as plain Go structs. The HTTP/JSON gateway maps them to etcd's
// JSON; kv never sees JSON. Enum values are etcd's numbers, so the gateway can
// pass numbers straight through.
//
// Byte slices in responses (keys, values) are shared with the store: they are
// never modified after they are written, and callers must not modify them.

// ResponseHeader is the part of etcd's header that the store knows. The server
// adds the cluster ID, member ID and raft term.
type ResponseHeader struct {
	// Revision is the store revision the request was served at. For a write,
	// it is the revision the write created, or the current revision if the
	// write changed nothing.
	Revision int64
}

// KeyValue is one version of a key (kv.proto's KeyValue).
type KeyValue struct {
	Key []byte
	// CreateRevision is the revision of the put that created the key (after
	// its last delete); ModRevision the revision of this version's write.
	CreateRevision int64
	ModRevision    int64
	// Version counts the puts since the key was created: 1 for a new key.
	// A delete resets it to 0.
	Version int64
	Value   []byte
	// Lease is the ID of the lease the key is attached to, or 0.
	Lease int64
}

// SortOrder is RangeRequest.SortOrder.
type SortOrder int32

// Sort orders, with etcd's numbers.
const (
	SortNone    SortOrder = 0
	SortAscend  SortOrder = 1
	SortDescend SortOrder = 2
)

func (o SortOrder) String() string {
	return enumName(int32(o), "NONE", "ASCEND", "DESCEND")
}

// SortTarget is RangeRequest.SortTarget.
type SortTarget int32

// Sort targets, with etcd's numbers.
const (
	SortByKey     SortTarget = 0
	SortByVersion SortTarget = 1
	SortByCreate  SortTarget = 2
	SortByMod     SortTarget = 3
	SortByValue   SortTarget = 4
)

func (t SortTarget) String() string {
	return enumName(int32(t), "KEY", "VERSION", "CREATE", "MOD", "VALUE")
}

// RangeRequest reads the keys in [Key, RangeEnd) at a revision.
//
// An empty RangeEnd means the single key Key; RangeEnd "\x00" means every key
// from Key on; Key and RangeEnd both "\x00" means all keys.
type RangeRequest struct {
	Key      []byte
	RangeEnd []byte
	// Limit caps the number of keys returned (0: no limit). Count still
	// reports every match, and More says whether the limit cut the answer.
	Limit int64
	// Revision reads the store as it was at that revision (0: current).
	Revision   int64
	SortOrder  SortOrder
	SortTarget SortTarget
	// Serializable is carried for the server (it may serve the read locally
	// without a read index); the store itself always answers from its state.
	Serializable bool
	KeysOnly     bool // drop values (and, as etcd 3.7 does, leases)
	CountOnly    bool
	// Filters on the returned keys (0: no filter). They do not change Count.
	MinModRevision    int64
	MaxModRevision    int64
	MinCreateRevision int64
	MaxCreateRevision int64
}

// RangeResponse answers a RangeRequest.
type RangeResponse struct {
	Header ResponseHeader
	Kvs    []KeyValue
	// More is true when Limit cut the result short.
	More bool
	// Count is the number of keys in the range at the revision.
	Count int64
}

// PutRequest writes Value under Key.
type PutRequest struct {
	Key   []byte
	Value []byte
	// Lease attaches the key to a lease (0: none). The lease must exist.
	Lease int64
	// PrevKv asks for the key's previous version in the response.
	PrevKv bool
	// IgnoreValue keeps the key's current value; IgnoreLease its current
	// lease. Either one fails with ErrKeyNotFound if the key does not exist.
	IgnoreValue bool
	IgnoreLease bool
}

// PutResponse answers a PutRequest.
type PutResponse struct {
	Header ResponseHeader
	PrevKv *KeyValue
}

// DeleteRangeRequest deletes the keys in [Key, RangeEnd) (same range rules as
// RangeRequest).
type DeleteRangeRequest struct {
	Key      []byte
	RangeEnd []byte
	PrevKv   bool
}

// DeleteRangeResponse answers a DeleteRangeRequest.
type DeleteRangeResponse struct {
	Header  ResponseHeader
	Deleted int64
	PrevKvs []KeyValue
}

// RequestOp is one operation inside a transaction: exactly one field is set.
type RequestOp struct {
	Range       *RangeRequest
	Put         *PutRequest
	DeleteRange *DeleteRangeRequest
	Txn         *TxnRequest
}

// ResponseOp is the answer to one RequestOp: the field matching the request is set.
type ResponseOp struct {
	Range       *RangeResponse
	Put         *PutResponse
	DeleteRange *DeleteRangeResponse
	Txn         *TxnResponse
}

// CompareTarget says which field of a key a Compare looks at.
type CompareTarget int32

// Compare targets, with etcd's numbers.
const (
	CompareVersion CompareTarget = 0
	CompareCreate  CompareTarget = 1
	CompareMod     CompareTarget = 2
	CompareValue   CompareTarget = 3
	CompareLease   CompareTarget = 4
)

func (t CompareTarget) String() string {
	return enumName(int32(t), "VERSION", "CREATE", "MOD", "VALUE", "LEASE")
}

// CompareResult is the relation a Compare tests.
type CompareResult int32

// Compare results, with etcd's numbers.
const (
	CompareEqual    CompareResult = 0
	CompareGreater  CompareResult = 1
	CompareLess     CompareResult = 2
	CompareNotEqual CompareResult = 3
)

func (r CompareResult) String() string {
	return enumName(int32(r), "EQUAL", "GREATER", "LESS", "NOT_EQUAL")
}

// Compare is one condition of a transaction: "Target of Key (or of every key
// in [Key, RangeEnd)) is Result the target value". In etcd the target value is
// a oneof; here only the field named by Target is used.
type Compare struct {
	Result   CompareResult
	Target   CompareTarget
	Key      []byte
	RangeEnd []byte

	Version        int64
	CreateRevision int64
	ModRevision    int64
	Value          []byte
	Lease          int64
}

// TxnRequest runs Success if every Compare holds, Failure otherwise, as one
// atomic write at one revision.
type TxnRequest struct {
	Compare []Compare
	Success []RequestOp
	Failure []RequestOp
}

// TxnResponse answers a TxnRequest; Responses match the branch that ran.
type TxnResponse struct {
	Header    ResponseHeader
	Succeeded bool
	Responses []ResponseOp
}

// CompactionRequest drops the history older than Revision.
type CompactionRequest struct {
	Revision int64
	// Physical is carried for the server (etcd waits for the compaction to
	// reach disk); the in-memory store compacts at once either way.
	Physical bool
}

// CompactionResponse answers a CompactionRequest.
type CompactionResponse struct {
	Header ResponseHeader
}

// LeaseGrantRequest creates lease ID with a time-to-live in seconds. The ID
// must be chosen before the request is proposed (every member must apply
// the same ID); 0 is not a valid ID.
type LeaseGrantRequest struct {
	TTL int64
	ID  int64
}

// LeaseGrantResponse answers a LeaseGrantRequest. TTL is the granted TTL,
// which may be larger than the requested one (see Config.MinLeaseTTL).
type LeaseGrantResponse struct {
	Header ResponseHeader
	ID     int64
	TTL    int64
}

// LeaseRevokeRequest deletes a lease and every key attached to it.
type LeaseRevokeRequest struct {
	ID int64
}

// LeaseRevokeResponse answers a LeaseRevokeRequest.
type LeaseRevokeResponse struct {
	Header ResponseHeader
}

// LeaseTimeToLiveRequest asks about one lease.
type LeaseTimeToLiveRequest struct {
	ID   int64
	Keys bool
}

// LeaseTimeToLiveResponse answers a LeaseTimeToLiveRequest. TTL is the
// remaining time in seconds, or -1 when the lease does not exist.
type LeaseTimeToLiveResponse struct {
	Header     ResponseHeader
	ID         int64
	TTL        int64
	GrantedTTL int64
	Keys       [][]byte
}

// LeaseStatus is one entry of LeaseLeasesResponse.
type LeaseStatus struct {
	ID int64
}

// LeaseLeasesResponse lists every lease, by ascending ID.
type LeaseLeasesResponse struct {
	Header ResponseHeader
	Leases []LeaseStatus
}

// LeaseKeepAliveResponse answers a keep-alive: the lease's TTL, counted again
// from now.
type LeaseKeepAliveResponse struct {
	Header ResponseHeader
	ID     int64
	TTL    int64
}

// EventType is Event.Type.
type EventType int32

// Event types, with etcd's numbers.
const (
	EventPut    EventType = 0
	EventDelete EventType = 1
)

func (t EventType) String() string { return enumName(int32(t), "PUT", "DELETE") }

// Event is one change seen by a watcher. For a delete, Kv holds only the key
// and the revision of the delete (as in etcd).
type Event struct {
	Type EventType
	Kv   KeyValue
	// PrevKv is the key's value just before the change's revision, when the
	// watcher asked for it and it is still in the history.
	PrevKv *KeyValue
}

// enumName returns names[v], or the number for values etcd does not define.
func enumName(v int32, names ...string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return "UNKNOWN(" + strconv.Itoa(int(v)) + ")"
}
