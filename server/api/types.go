package api

import "github.com/raftkv/raftkv/kv"

// Header is etcd's ResponseHeader: which cluster and member answered, at
// which revision of the store, in which raft term.
type Header struct {
	ClusterID uint64
	MemberID  uint64
	Revision  int64
	RaftTerm  uint64
}

// Member is one cluster member as etcd lists it. A member that has not
// published its name and client URLs yet (it has not started) has neither.
type Member struct {
	ID         uint64
	Name       string
	PeerURLs   []string
	ClientURLs []string
	IsLearner  bool
}

// Status is one member's Maintenance.Status.
type Status struct {
	Header Header
	// Version is the etcd API version the member implements.
	Version          string
	DBSize           int64
	DBSizeInUse      int64
	DBSizeQuota      int64
	Leader           uint64
	RaftIndex        uint64
	RaftTerm         uint64
	RaftAppliedIndex uint64
	IsLearner        bool
	// Errors are the active alarms in etcd's words.
	Errors         []string
	StorageVersion string
}

// AlarmType is an alarm's kind, with etcd's numbers.
type AlarmType int32

// etcd's alarm types.
const (
	AlarmNone    AlarmType = 0
	AlarmNoSpace AlarmType = 1
	AlarmCorrupt AlarmType = 2
)

// String returns etcd's name for the alarm.
func (t AlarmType) String() string {
	switch t {
	case AlarmNone:
		return "NONE"
	case AlarmNoSpace:
		return "NOSPACE"
	case AlarmCorrupt:
		return "CORRUPT"
	}
	return "UNKNOWN"
}

// AlarmAction is what an alarm request does, with etcd's numbers.
type AlarmAction int32

// etcd's alarm actions.
const (
	AlarmGet        AlarmAction = 0
	AlarmActivate   AlarmAction = 1
	AlarmDeactivate AlarmAction = 2
)

// AlarmMember is one raised alarm: which member raised which kind.
type AlarmMember struct {
	MemberID uint64
	Alarm    AlarmType
}

// AlarmRequest is etcd's AlarmRequest.
type AlarmRequest struct {
	Action   AlarmAction
	MemberID uint64
	Alarm    AlarmType
}

// HashKV is a hash of the key-value history up to HashRevision, taken
// while CompactRevision was the member's compaction revision: two members
// with the same history and compaction revision have the same hash.
type HashKV struct {
	Hash            uint32
	CompactRevision int64
	HashRevision    int64
}

// Version is what /version reports: the etcd versions the member speaks.
type Version struct {
	Server  string
	Cluster string
	Storage string
}

// Health is /health's answer.
type Health struct {
	Healthy bool
	// Reason says why not, in etcd's words ("RAFT NO LEADER", "ALARM
	// NOSPACE", ...).
	Reason string
}

// WatchCreateRequest opens one watch on a stream.
type WatchCreateRequest struct {
	kv.WatchRequest
	// WatchID is the client's choice of ID (0: the stream picks one).
	WatchID int64
	// ProgressNotify asks for periodic progress responses while idle.
	ProgressNotify bool
	// Fragment allows a revision's events to be split over several
	// responses when they would exceed the request size limit.
	Fragment bool
}

// WatchResponse is one message of a watch stream.
type WatchResponse struct {
	Header  Header
	WatchID int64
	Created bool
	// Canceled ends the watch; CancelReason says why, and CompactRevision
	// is set when the watch asked for history that compaction dropped.
	Canceled        bool
	CompactRevision int64
	CancelReason    string
	// Fragment is set on every response of a split revision but the last.
	Fragment bool
	Events   []kv.Event
}
