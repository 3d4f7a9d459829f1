package client

import "github.com/raftkv/raftkv/client/wire"

// The client returns the wire messages themselves: what you get is exactly
// what the server sent. These names read like etcd's clientv3.
type (
	Error          = wire.Error
	ResponseHeader = wire.ResponseHeader
	KeyValue       = wire.KeyValue
	Event          = wire.Event
	Member         = wire.Member

	GetResponse             = wire.RangeResponse
	PutResponse             = wire.PutResponse
	DeleteResponse          = wire.DeleteRangeResponse
	TxnResponse             = wire.TxnResponse
	CompactResponse         = wire.CompactionResponse
	LeaseGrantResponse      = wire.LeaseGrantResponse
	LeaseRevokeResponse     = wire.LeaseRevokeResponse
	LeaseKeepAliveResponse  = wire.LeaseKeepAliveResponse
	LeaseTimeToLiveResponse = wire.LeaseTimeToLiveResponse
	LeaseLeasesResponse     = wire.LeaseLeasesResponse
	MemberListResponse      = wire.MemberListResponse
	MemberAddResponse       = wire.MemberAddResponse
	MemberRemoveResponse    = wire.MemberRemoveResponse
	MemberUpdateResponse    = wire.MemberUpdateResponse
	MemberPromoteResponse   = wire.MemberPromoteResponse
	StatusResponse          = wire.StatusResponse
	HashKVResponse          = wire.HashKVResponse
	DefragmentResponse      = wire.DefragmentResponse
	MoveLeaderResponse      = wire.MoveLeaderResponse
	AlarmResponse           = wire.AlarmResponse
	Health                  = wire.Health
	VersionInfo             = wire.Version

	SortTarget = wire.SortTarget
	SortOrder  = wire.SortOrder
)

const (
	SortNone    = wire.SortNone
	SortAscend  = wire.SortAscend
	SortDescend = wire.SortDescend

	SortByKey            = wire.SortByKey
	SortByVersion        = wire.SortByVersion
	SortByCreateRevision = wire.SortByCreateRevision
	SortByModRevision    = wire.SortByModRevision
	SortByValue          = wire.SortByValue

	EventTypePut    = wire.EventPut
	EventTypeDelete = wire.EventDelete
)

// etcd's errors, to compare with errors.Is: the client returns a server's
// error as the *Error it sent, with etcd's code and words.
var (
	ErrCompacted     = wire.ErrCompacted
	ErrFutureRev     = wire.ErrFutureRev
	ErrLeaseNotFound = wire.ErrLeaseNotFound
	ErrNoLeader      = wire.ErrNoLeader
	ErrEmptyKey      = wire.ErrEmptyKey
)

// ensureHeader gives a response the header a well-behaved server always
// sends, so that resp.Header.Revision never panics on a server that did not.
func ensureHeader(h **wire.ResponseHeader) {
	if *h == nil {
		*h = new(wire.ResponseHeader)
	}
}
