package wire

// The key-value messages of etcd's rpc.proto and kv.proto: paths
// /v3/kv/range, /v3/kv/put, /v3/kv/deleterange, /v3/kv/txn, /v3/kv/compaction.
//
// Each decoder accepts a field under its proto name and its JSON (lowerCamel)
// name, as protojson does; the second argument of each reader is the JSON
// name, which is the one protojson's error messages use.

// ResponseHeader is on every response. Revision is the store's revision when
// the request was served (for a write: the revision it created).
type ResponseHeader struct {
	ClusterID uint64 `json:"cluster_id,omitempty"`
	MemberID  uint64 `json:"member_id,omitempty"`
	Revision  int64  `json:"revision,omitempty"`
	RaftTerm  uint64 `json:"raft_term,omitempty"`
}

func (m *ResponseHeader) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendUint64(b, "cluster_id", m.ClusterID)
	b = appendUint64(b, "member_id", m.MemberID)
	b = appendInt64(b, "revision", m.Revision)
	b = appendUint64(b, "raft_term", m.RaftTerm)
	return append(b, '}')
}

func (m *ResponseHeader) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "cluster_id", "clusterId":
			m.ClusterID = it.uint64(1, "clusterId")
		case "member_id", "memberId":
			m.MemberID = it.uint64(2, "memberId")
		case "revision":
			m.Revision = it.int64(3, "revision")
		case "raft_term", "raftTerm":
			m.RaftTerm = it.uint64(4, "raftTerm")
		default:
			it.skip()
		}
	}
}

// KeyValue is one key's state at a revision (mvccpb.KeyValue).
type KeyValue struct {
	Key            []byte `json:"key,omitempty"`
	CreateRevision int64  `json:"create_revision,omitempty"` // revision of the key's creation (since its last delete)
	ModRevision    int64  `json:"mod_revision,omitempty"`    // revision of its last change
	Version        int64  `json:"version,omitempty"`         // changes since creation; a delete resets it to 0
	Value          []byte `json:"value,omitempty"`
	Lease          int64  `json:"lease,omitempty"` // 0: no lease
}

func (m *KeyValue) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBytes(b, "key", m.Key)
	b = appendInt64(b, "create_revision", m.CreateRevision)
	b = appendInt64(b, "mod_revision", m.ModRevision)
	b = appendInt64(b, "version", m.Version)
	b = appendBytes(b, "value", m.Value)
	b = appendInt64(b, "lease", m.Lease)
	return append(b, '}')
}

func (m *KeyValue) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "key":
			m.Key = it.bytes(1, "key")
		case "create_revision", "createRevision":
			m.CreateRevision = it.int64(2, "createRevision")
		case "mod_revision", "modRevision":
			m.ModRevision = it.int64(3, "modRevision")
		case "version":
			m.Version = it.int64(4, "version")
		case "value":
			m.Value = it.bytes(5, "value")
		case "lease":
			m.Lease = it.int64(6, "lease")
		default:
			it.skip()
		}
	}
}

// RangeRequest reads the keys in [Key, RangeEnd). An empty RangeEnd means
// Key alone; RangeEnd "\x00" means every key >= Key; Key = RangeEnd = "\x00"
// means every key.
type RangeRequest struct {
	Key               []byte     `json:"key,omitempty"`
	RangeEnd          []byte     `json:"range_end,omitempty"`
	Limit             int64      `json:"limit,omitempty"`
	Revision          int64      `json:"revision,omitempty"` // 0: the current revision
	SortOrder         SortOrder  `json:"sort_order,omitempty"`
	SortTarget        SortTarget `json:"sort_target,omitempty"`
	Serializable      bool       `json:"serializable,omitempty"` // answer from the member's local state, without a ReadIndex round
	KeysOnly          bool       `json:"keys_only,omitempty"`
	CountOnly         bool       `json:"count_only,omitempty"`
	MinModRevision    int64      `json:"min_mod_revision,omitempty"`
	MaxModRevision    int64      `json:"max_mod_revision,omitempty"`
	MinCreateRevision int64      `json:"min_create_revision,omitempty"`
	MaxCreateRevision int64      `json:"max_create_revision,omitempty"`
}

func (m *RangeRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBytes(b, "key", m.Key)
	b = appendBytes(b, "range_end", m.RangeEnd)
	b = appendInt64(b, "limit", m.Limit)
	b = appendInt64(b, "revision", m.Revision)
	b = appendEnum(b, "sort_order", int32(m.SortOrder), sortOrderNames)
	b = appendEnum(b, "sort_target", int32(m.SortTarget), sortTargetNames)
	b = appendBool(b, "serializable", m.Serializable)
	b = appendBool(b, "keys_only", m.KeysOnly)
	b = appendBool(b, "count_only", m.CountOnly)
	b = appendInt64(b, "min_mod_revision", m.MinModRevision)
	b = appendInt64(b, "max_mod_revision", m.MaxModRevision)
	b = appendInt64(b, "min_create_revision", m.MinCreateRevision)
	b = appendInt64(b, "max_create_revision", m.MaxCreateRevision)
	return append(b, '}')
}

func (m *RangeRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "key":
			m.Key = it.bytes(1, "key")
		case "range_end", "rangeEnd":
			m.RangeEnd = it.bytes(2, "rangeEnd")
		case "limit":
			m.Limit = it.int64(3, "limit")
		case "revision":
			m.Revision = it.int64(4, "revision")
		case "sort_order", "sortOrder":
			m.SortOrder = SortOrder(it.enum(5, "sortOrder", sortOrderNames))
		case "sort_target", "sortTarget":
			m.SortTarget = SortTarget(it.enum(6, "sortTarget", sortTargetNames))
		case "serializable":
			m.Serializable = it.bool(7, "serializable")
		case "keys_only", "keysOnly":
			m.KeysOnly = it.bool(8, "keysOnly")
		case "count_only", "countOnly":
			m.CountOnly = it.bool(9, "countOnly")
		case "min_mod_revision", "minModRevision":
			m.MinModRevision = it.int64(10, "minModRevision")
		case "max_mod_revision", "maxModRevision":
			m.MaxModRevision = it.int64(11, "maxModRevision")
		case "min_create_revision", "minCreateRevision":
			m.MinCreateRevision = it.int64(12, "minCreateRevision")
		case "max_create_revision", "maxCreateRevision":
			m.MaxCreateRevision = it.int64(13, "maxCreateRevision")
		default:
			it.skip()
		}
	}
}

// RangeResponse: Count is the number of keys in the range even when Limit
// cut Kvs short; More says that it did.
type RangeResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Kvs    []KeyValue      `json:"kvs,omitempty"`
	More   bool            `json:"more,omitempty"`
	Count  int64           `json:"count,omitempty"`
}

func (m *RangeResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendList(b, "kvs", m.Kvs)
	b = appendBool(b, "more", m.More)
	b = appendInt64(b, "count", m.Count)
	return append(b, '}')
}

func (m *RangeResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "kvs":
			decodeList(&it, 2, &m.Kvs)
		case "more":
			m.More = it.bool(3, "more")
		case "count":
			m.Count = it.int64(4, "count")
		default:
			it.skip()
		}
	}
}

// PutRequest writes Value at Key, creating a new revision.
type PutRequest struct {
	Key         []byte `json:"key,omitempty"`
	Value       []byte `json:"value,omitempty"`
	Lease       int64  `json:"lease,omitempty"`
	PrevKV      bool   `json:"prev_kv,omitempty"`      // return the key-value before the put
	IgnoreValue bool   `json:"ignore_value,omitempty"` // keep the current value
	IgnoreLease bool   `json:"ignore_lease,omitempty"` // keep the current lease
}

func (m *PutRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBytes(b, "key", m.Key)
	b = appendBytes(b, "value", m.Value)
	b = appendInt64(b, "lease", m.Lease)
	b = appendBool(b, "prev_kv", m.PrevKV)
	b = appendBool(b, "ignore_value", m.IgnoreValue)
	b = appendBool(b, "ignore_lease", m.IgnoreLease)
	return append(b, '}')
}

func (m *PutRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "key":
			m.Key = it.bytes(1, "key")
		case "value":
			m.Value = it.bytes(2, "value")
		case "lease":
			m.Lease = it.int64(3, "lease")
		case "prev_kv", "prevKv":
			m.PrevKV = it.bool(4, "prevKv")
		case "ignore_value", "ignoreValue":
			m.IgnoreValue = it.bool(5, "ignoreValue")
		case "ignore_lease", "ignoreLease":
			m.IgnoreLease = it.bool(6, "ignoreLease")
		default:
			it.skip()
		}
	}
}

type PutResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	PrevKV *KeyValue       `json:"prev_kv,omitempty"`
}

func (m *PutResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendMsg(b, "prev_kv", m.PrevKV)
	return append(b, '}')
}

func (m *PutResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "prev_kv", "prevKv":
			decodeMsg(&it, 2, &m.PrevKV)
		default:
			it.skip()
		}
	}
}

// DeleteRangeRequest deletes the keys in [Key, RangeEnd), as RangeRequest.
type DeleteRangeRequest struct {
	Key      []byte `json:"key,omitempty"`
	RangeEnd []byte `json:"range_end,omitempty"`
	PrevKV   bool   `json:"prev_kv,omitempty"`
}

func (m *DeleteRangeRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBytes(b, "key", m.Key)
	b = appendBytes(b, "range_end", m.RangeEnd)
	b = appendBool(b, "prev_kv", m.PrevKV)
	return append(b, '}')
}

func (m *DeleteRangeRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "key":
			m.Key = it.bytes(1, "key")
		case "range_end", "rangeEnd":
			m.RangeEnd = it.bytes(2, "rangeEnd")
		case "prev_kv", "prevKv":
			m.PrevKV = it.bool(3, "prevKv")
		default:
			it.skip()
		}
	}
}

type DeleteRangeResponse struct {
	Header  *ResponseHeader `json:"header,omitempty"`
	Deleted int64           `json:"deleted,omitempty"`
	PrevKVs []KeyValue      `json:"prev_kvs,omitempty"`
}

func (m *DeleteRangeResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendInt64(b, "deleted", m.Deleted)
	b = appendList(b, "prev_kvs", m.PrevKVs)
	return append(b, '}')
}

func (m *DeleteRangeResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "deleted":
			m.Deleted = it.int64(2, "deleted")
		case "prev_kvs", "prevKvs":
			decodeList(&it, 3, &m.PrevKVs)
		default:
			it.skip()
		}
	}
}

// Compare is one condition of a txn: Target of Key (or of every key in
// [Key, RangeEnd)) stands in relation Result to the value in the field
// Target names (Version, CreateRevision, ModRevision, Value or Lease).
//
// In the proto those five are a oneof: only the one Target names is sent,
// and it is sent even when it is zero ("version":"0" is how "the key does not
// exist" is asked), so that a reader can see which one was meant.
type Compare struct {
	Result         CompareResult `json:"result,omitempty"`
	Target         CompareTarget `json:"target,omitempty"`
	Key            []byte        `json:"key,omitempty"`
	Version        int64         `json:"version,omitempty"`
	CreateRevision int64         `json:"create_revision,omitempty"`
	ModRevision    int64         `json:"mod_revision,omitempty"`
	Value          []byte        `json:"value,omitempty"`
	Lease          int64         `json:"lease,omitempty"`
	RangeEnd       []byte        `json:"range_end,omitempty"`
}

func (m *Compare) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendEnum(b, "result", int32(m.Result), compareResultNames)
	b = appendEnum(b, "target", int32(m.Target), compareTargetNames)
	b = appendBytes(b, "key", m.Key)
	// The oneof member is written even when zero: its presence is the point.
	var name string
	var v int64
	switch m.Target {
	case CompareVersion:
		name, v = "version", m.Version
	case CompareCreate:
		name, v = "create_revision", m.CreateRevision
	case CompareMod:
		name, v = "mod_revision", m.ModRevision
	case CompareLease:
		name, v = "lease", m.Lease
	case CompareValue:
		b = appendField(b, "value")
		b = appendBase64(b, m.Value)
	}
	if name != "" {
		b = appendField(b, name)
		b = append(b, '"')
		b = appendInt(b, v)
		b = append(b, '"')
	}
	b = appendBytes(b, "range_end", m.RangeEnd)
	return append(b, '}')
}

func (m *Compare) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "result":
			m.Result = CompareResult(it.enum(1, "result", compareResultNames))
		case "target":
			m.Target = CompareTarget(it.enum(2, "target", compareTargetNames))
		case "key":
			m.Key = it.bytes(3, "key")
		case "version":
			m.Version = it.int64(4, "version")
		case "create_revision", "createRevision":
			m.CreateRevision = it.int64(5, "createRevision")
		case "mod_revision", "modRevision":
			m.ModRevision = it.int64(6, "modRevision")
		case "value":
			m.Value = it.bytes(7, "value")
		case "lease":
			m.Lease = it.int64(8, "lease")
		case "range_end", "rangeEnd":
			m.RangeEnd = it.bytes(64, "rangeEnd")
		default:
			it.skip()
		}
	}
}

// RequestOp is one operation of a txn: exactly one field is set (a oneof).
type RequestOp struct {
	RequestRange       *RangeRequest       `json:"request_range,omitempty"`
	RequestPut         *PutRequest         `json:"request_put,omitempty"`
	RequestDeleteRange *DeleteRangeRequest `json:"request_delete_range,omitempty"`
	RequestTxn         *TxnRequest         `json:"request_txn,omitempty"`
}

func (m *RequestOp) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "request_range", m.RequestRange)
	b = appendMsg(b, "request_put", m.RequestPut)
	b = appendMsg(b, "request_delete_range", m.RequestDeleteRange)
	b = appendMsg(b, "request_txn", m.RequestTxn)
	return append(b, '}')
}

func (m *RequestOp) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "request_range", "requestRange":
			decodeMsg(&it, 1, &m.RequestRange)
		case "request_put", "requestPut":
			decodeMsg(&it, 2, &m.RequestPut)
		case "request_delete_range", "requestDeleteRange":
			decodeMsg(&it, 3, &m.RequestDeleteRange)
		case "request_txn", "requestTxn":
			decodeMsg(&it, 4, &m.RequestTxn)
		default:
			it.skip()
		}
	}
}

// ResponseOp is the answer to one RequestOp, in the same position.
type ResponseOp struct {
	ResponseRange       *RangeResponse       `json:"response_range,omitempty"`
	ResponsePut         *PutResponse         `json:"response_put,omitempty"`
	ResponseDeleteRange *DeleteRangeResponse `json:"response_delete_range,omitempty"`
	ResponseTxn         *TxnResponse         `json:"response_txn,omitempty"`
}

func (m *ResponseOp) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "response_range", m.ResponseRange)
	b = appendMsg(b, "response_put", m.ResponsePut)
	b = appendMsg(b, "response_delete_range", m.ResponseDeleteRange)
	b = appendMsg(b, "response_txn", m.ResponseTxn)
	return append(b, '}')
}

func (m *ResponseOp) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "response_range", "responseRange":
			decodeMsg(&it, 1, &m.ResponseRange)
		case "response_put", "responsePut":
			decodeMsg(&it, 2, &m.ResponsePut)
		case "response_delete_range", "responseDeleteRange":
			decodeMsg(&it, 3, &m.ResponseDeleteRange)
		case "response_txn", "responseTxn":
			decodeMsg(&it, 4, &m.ResponseTxn)
		default:
			it.skip()
		}
	}
}

// TxnRequest: if every Compare holds, run Success, else run Failure, all at
// one revision, atomically.
type TxnRequest struct {
	Compare []Compare   `json:"compare,omitempty"`
	Success []RequestOp `json:"success,omitempty"`
	Failure []RequestOp `json:"failure,omitempty"`
}

func (m *TxnRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendList(b, "compare", m.Compare)
	b = appendList(b, "success", m.Success)
	b = appendList(b, "failure", m.Failure)
	return append(b, '}')
}

func (m *TxnRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "compare":
			decodeList(&it, 1, &m.Compare)
		case "success":
			decodeList(&it, 2, &m.Success)
		case "failure":
			decodeList(&it, 3, &m.Failure)
		default:
			it.skip()
		}
	}
}

// TxnResponse: in etcd, the sub-responses carry a header holding only the
// revision, and a nested txn's header is empty ({}), but present.
type TxnResponse struct {
	Header    *ResponseHeader `json:"header,omitempty"`
	Succeeded bool            `json:"succeeded,omitempty"`
	Responses []ResponseOp    `json:"responses,omitempty"`
}

func (m *TxnResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendBool(b, "succeeded", m.Succeeded)
	b = appendList(b, "responses", m.Responses)
	return append(b, '}')
}

func (m *TxnResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "succeeded":
			m.Succeeded = it.bool(2, "succeeded")
		case "responses":
			decodeList(&it, 3, &m.Responses)
		default:
			it.skip()
		}
	}
}

// CompactionRequest discards history before Revision.
type CompactionRequest struct {
	Revision int64 `json:"revision,omitempty"`
	Physical bool  `json:"physical,omitempty"` // answer only once the space is reclaimed
}

func (m *CompactionRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "revision", m.Revision)
	b = appendBool(b, "physical", m.Physical)
	return append(b, '}')
}

func (m *CompactionRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "revision":
			m.Revision = it.int64(1, "revision")
		case "physical":
			m.Physical = it.bool(2, "physical")
		default:
			it.skip()
		}
	}
}

// CompactionResponse carries only the header.
type CompactionResponse = HeaderOnly

// HeaderOnly is the shape of every response that says nothing but "done":
// compaction, lease revoke, defragment, and the alarm list when empty.
type HeaderOnly struct {
	Header *ResponseHeader `json:"header,omitempty"`
}

func (m *HeaderOnly) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	return append(b, '}')
}

func (m *HeaderOnly) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "header" {
			decodeMsg(&it, 1, &m.Header)
		} else {
			it.skip()
		}
	}
}

// Empty is the shape of every request without fields (status, hash, lease
// list, defragment, snapshot, progress).
type Empty struct{}

func (m *Empty) AppendJSON(b []byte) []byte { return append(b, '{', '}') }

func (m *Empty) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		it.skip()
	}
}
