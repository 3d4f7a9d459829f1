package wire

// The watch stream, /v3/watch. The request body is a sequence of
// WatchRequest objects (read them with a StreamDecoder); the response is a
// sequence of {"result":WatchResponse} lines (write them with
// AppendStreamResult).

// WatchRequest is a oneof: exactly one of its fields is set.
type WatchRequest struct {
	CreateRequest   *WatchCreateRequest `json:"create_request,omitempty"`
	CancelRequest   *WatchCancelRequest `json:"cancel_request,omitempty"`
	ProgressRequest *Empty              `json:"progress_request,omitempty"`
}

func (m *WatchRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "create_request", m.CreateRequest)
	b = appendMsg(b, "cancel_request", m.CancelRequest)
	b = appendMsg(b, "progress_request", m.ProgressRequest)
	return append(b, '}')
}

func (m *WatchRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "create_request", "createRequest":
			decodeMsg(&it, 1, &m.CreateRequest)
		case "cancel_request", "cancelRequest":
			decodeMsg(&it, 2, &m.CancelRequest)
		case "progress_request", "progressRequest":
			decodeMsg(&it, 3, &m.ProgressRequest)
		default:
			it.skip()
		}
	}
}

// WatchCreateRequest starts watching [Key, RangeEnd) from StartRevision
// (0: from the next revision). A start revision in the past replays history
// first: this is what makes a watch resumable after a disconnection.
type WatchCreateRequest struct {
	Key            []byte       `json:"key,omitempty"`
	RangeEnd       []byte       `json:"range_end,omitempty"`
	StartRevision  int64        `json:"start_revision,omitempty"`
	ProgressNotify bool         `json:"progress_notify,omitempty"`
	Filters        []FilterType `json:"filters,omitempty"`
	PrevKV         bool         `json:"prev_kv,omitempty"`
	WatchID        int64        `json:"watch_id,omitempty"` // 0: the server picks
	Fragment       bool         `json:"fragment,omitempty"`
}

func (m *WatchCreateRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBytes(b, "key", m.Key)
	b = appendBytes(b, "range_end", m.RangeEnd)
	b = appendInt64(b, "start_revision", m.StartRevision)
	b = appendBool(b, "progress_notify", m.ProgressNotify)
	b = appendEnumList(b, "filters", m.Filters, filterTypeNames)
	b = appendBool(b, "prev_kv", m.PrevKV)
	b = appendInt64(b, "watch_id", m.WatchID)
	b = appendBool(b, "fragment", m.Fragment)
	return append(b, '}')
}

func (m *WatchCreateRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "key":
			m.Key = it.bytes(1, "key")
		case "range_end", "rangeEnd":
			m.RangeEnd = it.bytes(2, "rangeEnd")
		case "start_revision", "startRevision":
			m.StartRevision = it.int64(3, "startRevision")
		case "progress_notify", "progressNotify":
			m.ProgressNotify = it.bool(4, "progressNotify")
		case "filters":
			for _, v := range it.enumList(5, "filters", filterTypeNames) {
				m.Filters = append(m.Filters, FilterType(v))
			}
		case "prev_kv", "prevKv":
			m.PrevKV = it.bool(6, "prevKv")
		case "watch_id", "watchId":
			m.WatchID = it.int64(7, "watchId")
		case "fragment":
			m.Fragment = it.bool(8, "fragment")
		default:
			it.skip()
		}
	}
}

// WatchCancelRequest stops one watch of the stream.
type WatchCancelRequest struct {
	WatchID int64 `json:"watch_id,omitempty"`
}

func (m *WatchCancelRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "watch_id", m.WatchID)
	return append(b, '}')
}

func (m *WatchCancelRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "watch_id", "watchId":
			m.WatchID = it.int64(1, "watchId")
		default:
			it.skip()
		}
	}
}

// WatchResponse is one message of the stream: the answer to a create
// (Created), to a cancel (Canceled), to a progress request (WatchID -1 and a
// header), or a batch of events. A watch canceled because its start revision
// was compacted has Canceled and CompactRevision; its header has no revision.
type WatchResponse struct {
	Header          *ResponseHeader `json:"header,omitempty"`
	WatchID         int64           `json:"watch_id,omitempty"`
	Created         bool            `json:"created,omitempty"`
	Canceled        bool            `json:"canceled,omitempty"`
	CompactRevision int64           `json:"compact_revision,omitempty"`
	CancelReason    string          `json:"cancel_reason,omitempty"`
	Fragment        bool            `json:"fragment,omitempty"`
	Events          []Event         `json:"events,omitempty"`
}

func (m *WatchResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendInt64(b, "watch_id", m.WatchID)
	b = appendBool(b, "created", m.Created)
	b = appendBool(b, "canceled", m.Canceled)
	b = appendInt64(b, "compact_revision", m.CompactRevision)
	b = appendString(b, "cancel_reason", m.CancelReason)
	b = appendBool(b, "fragment", m.Fragment)
	b = appendList(b, "events", m.Events)
	return append(b, '}')
}

func (m *WatchResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "watch_id", "watchId":
			m.WatchID = it.int64(2, "watchId")
		case "created":
			m.Created = it.bool(3, "created")
		case "canceled":
			m.Canceled = it.bool(4, "canceled")
		case "compact_revision", "compactRevision":
			m.CompactRevision = it.int64(5, "compactRevision")
		case "cancel_reason", "cancelReason":
			m.CancelReason = it.string(6, "cancelReason")
		case "fragment":
			m.Fragment = it.bool(7, "fragment")
		case "events":
			decodeList(&it, 11, &m.Events)
		default:
			it.skip()
		}
	}
}

// Event is one change. A DELETE's Kv holds only the key and the revision of
// the delete; PrevKV is there only if the watch asked for it.
type Event struct {
	Type   EventType `json:"type,omitempty"`
	Kv     *KeyValue `json:"kv,omitempty"`
	PrevKV *KeyValue `json:"prev_kv,omitempty"`
}

func (m *Event) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendEnum(b, "type", int32(m.Type), eventTypeNames)
	b = appendMsg(b, "kv", m.Kv)
	b = appendMsg(b, "prev_kv", m.PrevKV)
	return append(b, '}')
}

func (m *Event) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "type":
			m.Type = EventType(it.enum(1, "type", eventTypeNames))
		case "kv":
			decodeMsg(&it, 2, &m.Kv)
		case "prev_kv", "prevKv":
			decodeMsg(&it, 3, &m.PrevKV)
		default:
			it.skip()
		}
	}
}
