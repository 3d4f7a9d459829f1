package wire

// Maintenance: /v3/maintenance/status|hash|hashkv|alarm|defragment|snapshot|transfer-leadership,
// and the two plain endpoints GET /version and GET /health.

type (
	StatusRequest      = Empty
	HashRequest        = Empty
	DefragmentRequest  = Empty
	SnapshotRequest    = Empty
	DefragmentResponse = HeaderOnly
	MoveLeaderResponse = HeaderOnly
)

// StatusResponse describes the member that answered. The odd casing of the
// field names (dbSize, raftIndex, ...) is the proto's own.
type StatusResponse struct {
	Header           *ResponseHeader `json:"header,omitempty"`
	Version          string          `json:"version,omitempty"`
	DbSize           int64           `json:"dbSize,omitempty"`
	Leader           uint64          `json:"leader,omitempty"`
	RaftIndex        uint64          `json:"raftIndex,omitempty"`
	RaftTerm         uint64          `json:"raftTerm,omitempty"`
	RaftAppliedIndex uint64          `json:"raftAppliedIndex,omitempty"`
	Errors           []string        `json:"errors,omitempty"`
	DbSizeInUse      int64           `json:"dbSizeInUse,omitempty"`
	IsLearner        bool            `json:"isLearner,omitempty"`
	StorageVersion   string          `json:"storageVersion,omitempty"`
	DbSizeQuota      int64           `json:"dbSizeQuota,omitempty"`
	DowngradeInfo    *DowngradeInfo  `json:"downgradeInfo,omitempty"` // etcd always sends it, empty: {}
}

func (m *StatusResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendString(b, "version", m.Version)
	b = appendInt64(b, "dbSize", m.DbSize)
	b = appendUint64(b, "leader", m.Leader)
	b = appendUint64(b, "raftIndex", m.RaftIndex)
	b = appendUint64(b, "raftTerm", m.RaftTerm)
	b = appendUint64(b, "raftAppliedIndex", m.RaftAppliedIndex)
	b = appendStringList(b, "errors", m.Errors)
	b = appendInt64(b, "dbSizeInUse", m.DbSizeInUse)
	b = appendBool(b, "isLearner", m.IsLearner)
	b = appendString(b, "storageVersion", m.StorageVersion)
	b = appendInt64(b, "dbSizeQuota", m.DbSizeQuota)
	b = appendMsg(b, "downgradeInfo", m.DowngradeInfo)
	return append(b, '}')
}

func (m *StatusResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "version":
			m.Version = it.string(2, "version")
		case "dbSize":
			m.DbSize = it.int64(3, "dbSize")
		case "leader":
			m.Leader = it.uint64(4, "leader")
		case "raftIndex":
			m.RaftIndex = it.uint64(5, "raftIndex")
		case "raftTerm":
			m.RaftTerm = it.uint64(6, "raftTerm")
		case "raftAppliedIndex":
			m.RaftAppliedIndex = it.uint64(7, "raftAppliedIndex")
		case "errors":
			m.Errors = it.stringList(8, "errors")
		case "dbSizeInUse":
			m.DbSizeInUse = it.int64(9, "dbSizeInUse")
		case "isLearner":
			m.IsLearner = it.bool(10, "isLearner")
		case "storageVersion":
			m.StorageVersion = it.string(11, "storageVersion")
		case "dbSizeQuota":
			m.DbSizeQuota = it.int64(12, "dbSizeQuota")
		case "downgradeInfo":
			decodeMsg(&it, 13, &m.DowngradeInfo)
		default:
			it.skip()
		}
	}
}

type DowngradeInfo struct {
	Enabled       bool   `json:"enabled,omitempty"`
	TargetVersion string `json:"targetVersion,omitempty"`
}

func (m *DowngradeInfo) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBool(b, "enabled", m.Enabled)
	b = appendString(b, "targetVersion", m.TargetVersion)
	return append(b, '}')
}

func (m *DowngradeInfo) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "enabled":
			m.Enabled = it.bool(1, "enabled")
		case "targetVersion":
			m.TargetVersion = it.string(2, "targetVersion")
		default:
			it.skip()
		}
	}
}

// HashResponse: a hash of the member's whole store (a 32-bit number, so it
// is a bare JSON number, not a string).
type HashResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Hash   uint32          `json:"hash,omitempty"`
}

func (m *HashResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendUint32(b, "hash", m.Hash)
	return append(b, '}')
}

func (m *HashResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "hash":
			m.Hash = it.uint32(2, "hash")
		default:
			it.skip()
		}
	}
}

// HashKVRequest asks for a hash of the key-value history up to Revision
// (0: the current revision). Members that agree have equal hashes.
type HashKVRequest struct {
	Revision int64 `json:"revision,omitempty"`
}

func (m *HashKVRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "revision", m.Revision)
	return append(b, '}')
}

func (m *HashKVRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "revision" {
			m.Revision = it.int64(1, "revision")
		} else {
			it.skip()
		}
	}
}

type HashKVResponse struct {
	Header          *ResponseHeader `json:"header,omitempty"`
	Hash            uint32          `json:"hash,omitempty"`
	CompactRevision int64           `json:"compact_revision,omitempty"`
	HashRevision    int64           `json:"hash_revision,omitempty"`
}

func (m *HashKVResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendUint32(b, "hash", m.Hash)
	b = appendInt64(b, "compact_revision", m.CompactRevision)
	b = appendInt64(b, "hash_revision", m.HashRevision)
	return append(b, '}')
}

func (m *HashKVResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "hash":
			m.Hash = it.uint32(2, "hash")
		case "compact_revision", "compactRevision":
			m.CompactRevision = it.int64(3, "compactRevision")
		case "hash_revision", "hashRevision":
			m.HashRevision = it.int64(4, "hashRevision")
		default:
			it.skip()
		}
	}
}

// AlarmRequest lists (GET), raises or clears alarms. MemberID 0 and Alarm
// NONE mean "all" for GET and DEACTIVATE.
type AlarmRequest struct {
	Action   AlarmAction `json:"action,omitempty"`
	MemberID uint64      `json:"memberID,omitempty"`
	Alarm    AlarmType   `json:"alarm,omitempty"`
}

func (m *AlarmRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendEnum(b, "action", int32(m.Action), alarmActionNames)
	b = appendUint64(b, "memberID", m.MemberID)
	b = appendEnum(b, "alarm", int32(m.Alarm), alarmTypeNames)
	return append(b, '}')
}

func (m *AlarmRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "action":
			m.Action = AlarmAction(it.enum(1, "action", alarmActionNames))
		case "memberID":
			m.MemberID = it.uint64(2, "memberID")
		case "alarm":
			m.Alarm = AlarmType(it.enum(3, "alarm", alarmTypeNames))
		default:
			it.skip()
		}
	}
}

type AlarmMember struct {
	MemberID uint64    `json:"memberID,omitempty"`
	Alarm    AlarmType `json:"alarm,omitempty"`
}

func (m *AlarmMember) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendUint64(b, "memberID", m.MemberID)
	b = appendEnum(b, "alarm", int32(m.Alarm), alarmTypeNames)
	return append(b, '}')
}

func (m *AlarmMember) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "memberID":
			m.MemberID = it.uint64(1, "memberID")
		case "alarm":
			m.Alarm = AlarmType(it.enum(2, "alarm", alarmTypeNames))
		default:
			it.skip()
		}
	}
}

type AlarmResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Alarms []AlarmMember   `json:"alarms,omitempty"`
}

func (m *AlarmResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendList(b, "alarms", m.Alarms)
	return append(b, '}')
}

func (m *AlarmResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "alarms":
			decodeList(&it, 2, &m.Alarms)
		default:
			it.skip()
		}
	}
}

// SnapshotResponse is one chunk of the snapshot stream: Blob holds the next
// bytes of the database file, RemainingBytes how many are still to come.
type SnapshotResponse struct {
	Header         *ResponseHeader `json:"header,omitempty"`
	RemainingBytes uint64          `json:"remaining_bytes,omitempty"`
	Blob           []byte          `json:"blob,omitempty"`
	Version        string          `json:"version,omitempty"`
}

func (m *SnapshotResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendUint64(b, "remaining_bytes", m.RemainingBytes)
	b = appendBytes(b, "blob", m.Blob)
	b = appendString(b, "version", m.Version)
	return append(b, '}')
}

func (m *SnapshotResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "remaining_bytes", "remainingBytes":
			m.RemainingBytes = it.uint64(2, "remainingBytes")
		case "blob":
			m.Blob = it.bytes(3, "blob")
		case "version":
			m.Version = it.string(4, "version")
		default:
			it.skip()
		}
	}
}

// Version is the body of GET /version. It is not a proto message: etcd
// writes it with encoding/json, so every field is always there.
type Version struct {
	Server  string `json:"etcdserver"`
	Cluster string `json:"etcdcluster"`
	Storage string `json:"storage"`
}

func (m *Version) AppendJSON(b []byte) []byte {
	b = append(b, `{"etcdserver":`...)
	b = appendQuoted(b, m.Server)
	b = append(b, `,"etcdcluster":`...)
	b = appendQuoted(b, m.Cluster)
	b = append(b, `,"storage":`...)
	b = appendQuoted(b, m.Storage)
	return append(b, '}')
}

func (m *Version) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "etcdserver":
			m.Server = it.string(1, "etcdserver")
		case "etcdcluster":
			m.Cluster = it.string(2, "etcdcluster")
		case "storage":
			m.Storage = it.string(3, "storage")
		default:
			it.skip()
		}
	}
}

// Health is the body of GET /health: {"health":"true","reason":""}. Health
// is a string, "true" or "false", and Reason says why not (etcd: "RAFT NO
// LEADER", ...). Written with encoding/json by etcd: both fields always there.
type Health struct {
	Health string `json:"health"`
	Reason string `json:"reason"`
}

// Healthy reports whether Health is "true".
func (m *Health) Healthy() bool { return m.Health == "true" }

func (m *Health) AppendJSON(b []byte) []byte {
	b = append(b, `{"health":`...)
	b = appendQuoted(b, m.Health)
	b = append(b, `,"reason":`...)
	b = appendQuoted(b, m.Reason)
	return append(b, '}')
}

func (m *Health) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "health":
			m.Health = it.string(1, "health")
		case "reason":
			m.Reason = it.string(2, "reason")
		default:
			it.skip()
		}
	}
}

// MoveLeaderRequest asks the leader to hand leadership to another voting
// member (etcd's Maintenance.MoveLeader). The answer is a HeaderOnly.
type MoveLeaderRequest struct {
	TargetID uint64 `json:"targetID,omitempty"`
}

func (m *MoveLeaderRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendUint64(b, "targetID", m.TargetID)
	return append(b, '}')
}

func (m *MoveLeaderRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "targetID" {
			m.TargetID = it.uint64(1, "targetID")
		} else {
			it.skip()
		}
	}
}
