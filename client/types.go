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

	AuthenticateResponse             = wire.AuthenticateResponse
	AuthEnableResponse               = wire.AuthEnableResponse
	AuthDisableResponse              = wire.AuthDisableResponse
	AuthStatusResponse               = wire.AuthStatusResponse
	AuthUserAddResponse              = wire.AuthUserAddResponse
	AuthUserDeleteResponse           = wire.AuthUserDeleteResponse
	AuthUserChangePasswordResponse   = wire.AuthUserChangePasswordResponse
	AuthUserGrantRoleResponse        = wire.AuthUserGrantRoleResponse
	AuthUserGetResponse              = wire.AuthUserGetResponse
	AuthUserRevokeRoleResponse       = wire.AuthUserRevokeRoleResponse
	AuthUserListResponse             = wire.AuthUserListResponse
	AuthRoleAddResponse              = wire.AuthRoleAddResponse
	AuthRoleGrantPermissionResponse  = wire.AuthRoleGrantPermissionResponse
	AuthRoleGetResponse              = wire.AuthRoleGetResponse
	AuthRoleListResponse             = wire.AuthRoleListResponse
	AuthRoleRevokePermissionResponse = wire.AuthRoleRevokePermissionResponse
	AuthRoleDeleteResponse           = wire.AuthRoleDeleteResponse
	UserAddOptions                   = wire.UserAddOptions
	Permission                       = wire.Permission
	PermissionType                   = wire.PermissionType
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

	PermRead      = wire.PermRead
	PermWrite     = wire.PermWrite
	PermReadWrite = wire.PermReadWrite
)

// etcd's errors, to compare with errors.Is: the client returns a server's
// error as the *Error it sent, with etcd's code and words.
var (
	ErrCompacted     = wire.ErrCompacted
	ErrFutureRev     = wire.ErrFutureRev
	ErrLeaseNotFound = wire.ErrLeaseNotFound
	ErrNoLeader      = wire.ErrNoLeader
	ErrEmptyKey      = wire.ErrEmptyKey

	ErrAuthFailed           = wire.ErrAuthFailed
	ErrAuthNotEnabled       = wire.ErrAuthNotEnabled
	ErrInvalidAuthToken     = wire.ErrInvalidAuthToken
	ErrAuthOldRevision      = wire.ErrAuthOldRevision
	ErrUserEmpty            = wire.ErrUserEmpty
	ErrPermissionDenied     = wire.ErrPermissionDenied
	ErrRootUserNotExist     = wire.ErrRootUserNotExist
	ErrRootRoleNotExist     = wire.ErrRootRoleNotExist
	ErrUserAlreadyExist     = wire.ErrUserAlreadyExist
	ErrUserNotFound         = wire.ErrUserNotFound
	ErrRoleAlreadyExist     = wire.ErrRoleAlreadyExist
	ErrRoleNotFound         = wire.ErrRoleNotFound
	ErrRoleNotGranted       = wire.ErrRoleNotGranted
	ErrPermissionNotGranted = wire.ErrPermissionNotGranted
	ErrInvalidAuthMgmt      = wire.ErrInvalidAuthMgmt
)

// ensureHeader gives a response the header a well-behaved server always
// sends, so that resp.Header.Revision never panics on a server that did not.
func ensureHeader(h **wire.ResponseHeader) {
	if *h == nil {
		*h = new(wire.ResponseHeader)
	}
}
