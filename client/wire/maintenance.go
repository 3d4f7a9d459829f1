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

func (m *StatusResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *StatusResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type DowngradeInfo struct {
	Enabled       bool   `json:"enabled,omitempty"`
	TargetVersion string `json:"targetVersion,omitempty"`
}

func (m *DowngradeInfo) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *DowngradeInfo) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// HashResponse: a hash of the member's whole store (a 32-bit number, so it
// is a bare JSON number, not a string).
type HashResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Hash   uint32          `json:"hash,omitempty"`
}

func (m *HashResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *HashResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// HashKVRequest asks for a hash of the key-value history up to Revision
// (0: the current revision). Members that agree have equal hashes.
type HashKVRequest struct {
	Revision int64 `json:"revision,omitempty"`
}

func (m *HashKVRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *HashKVRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type HashKVResponse struct {
	Header          *ResponseHeader `json:"header,omitempty"`
	Hash            uint32          `json:"hash,omitempty"`
	CompactRevision int64           `json:"compact_revision,omitempty"`
	HashRevision    int64           `json:"hash_revision,omitempty"`
}

func (m *HashKVResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *HashKVResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AlarmRequest lists (GET), raises or clears alarms. MemberID 0 and Alarm
// NONE mean "all" for GET and DEACTIVATE.
type AlarmRequest struct {
	Action   AlarmAction `json:"action,omitempty"`
	MemberID uint64      `json:"memberID,omitempty"`
	Alarm    AlarmType   `json:"alarm,omitempty"`
}

func (m *AlarmRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AlarmRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AlarmMember struct {
	MemberID uint64    `json:"memberID,omitempty"`
	Alarm    AlarmType `json:"alarm,omitempty"`
}

func (m *AlarmMember) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AlarmMember) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AlarmResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Alarms []AlarmMember   `json:"alarms,omitempty"`
}

func (m *AlarmResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AlarmResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

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

func (m *MoveLeaderRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MoveLeaderRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }
