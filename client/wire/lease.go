package wire

// Leases: /v3/lease/grant, /v3/lease/revoke (and /v3/kv/lease/revoke),
// /v3/lease/keepalive (a stream), /v3/lease/timetolive (and
// /v3/kv/lease/timetolive), /v3/lease/leases. The proto spells these fields
// ID and TTL, and so does the wire.

// LeaseGrantRequest asks for a lease of TTL seconds; ID 0 lets the server
// pick the ID.
type LeaseGrantRequest struct {
	TTL int64 `json:"TTL,omitempty"`
	ID  int64 `json:"ID,omitempty"`
}

func (m *LeaseGrantRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "TTL", m.TTL)
	b = appendInt64(b, "ID", m.ID)
	return append(b, '}')
}

func (m *LeaseGrantRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "TTL":
			m.TTL = it.int64(1, "TTL")
		case "ID":
			m.ID = it.int64(2, "ID")
		default:
			it.skip()
		}
	}
}

type LeaseGrantResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	ID     int64           `json:"ID,omitempty"`
	TTL    int64           `json:"TTL,omitempty"` // may be more than asked: the server's minimum TTL
	Error  string          `json:"error,omitempty"`
}

func (m *LeaseGrantResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendInt64(b, "ID", m.ID)
	b = appendInt64(b, "TTL", m.TTL)
	b = appendString(b, "error", m.Error)
	return append(b, '}')
}

func (m *LeaseGrantResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "ID":
			m.ID = it.int64(2, "ID")
		case "TTL":
			m.TTL = it.int64(3, "TTL")
		case "error":
			m.Error = it.string(4, "error")
		default:
			it.skip()
		}
	}
}

// LeaseIDRequest is the request of revoke and keepalive: a lease ID.
type LeaseIDRequest struct {
	ID int64 `json:"ID,omitempty"`
}

type (
	LeaseRevokeRequest    = LeaseIDRequest
	LeaseKeepAliveRequest = LeaseIDRequest
	LeaseRevokeResponse   = HeaderOnly
	LeaseLeasesRequest    = Empty
)

func (m *LeaseIDRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "ID", m.ID)
	return append(b, '}')
}

func (m *LeaseIDRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "ID" {
			m.ID = it.int64(1, "ID")
		} else {
			it.skip()
		}
	}
}

// LeaseTimeToLiveRequest asks how long a lease has left, and with Keys,
// which keys are attached to it.
type LeaseTimeToLiveRequest struct {
	ID   int64 `json:"ID,omitempty"`
	Keys bool  `json:"keys,omitempty"`
}

func (m *LeaseTimeToLiveRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "ID", m.ID)
	b = appendBool(b, "keys", m.Keys)
	return append(b, '}')
}

func (m *LeaseTimeToLiveRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "ID":
			m.ID = it.int64(1, "ID")
		case "keys":
			m.Keys = it.bool(2, "keys")
		default:
			it.skip()
		}
	}
}

// LeaseKeepAliveResponse: TTL is the renewed TTL; a lease that no longer
// exists is answered with its ID and no TTL (not with an error).
type LeaseKeepAliveResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	ID     int64           `json:"ID,omitempty"`
	TTL    int64           `json:"TTL,omitempty"`
}

func (m *LeaseKeepAliveResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendInt64(b, "ID", m.ID)
	b = appendInt64(b, "TTL", m.TTL)
	return append(b, '}')
}

func (m *LeaseKeepAliveResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "ID":
			m.ID = it.int64(2, "ID")
		case "TTL":
			m.TTL = it.int64(3, "TTL")
		default:
			it.skip()
		}
	}
}

// LeaseTimeToLiveResponse: TTL is the remaining time in seconds, -1 for a
// lease that has expired or was revoked.
type LeaseTimeToLiveResponse struct {
	Header     *ResponseHeader `json:"header,omitempty"`
	ID         int64           `json:"ID,omitempty"`
	TTL        int64           `json:"TTL,omitempty"`
	GrantedTTL int64           `json:"grantedTTL,omitempty"`
	Keys       [][]byte        `json:"keys,omitempty"`
}

func (m *LeaseTimeToLiveResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendInt64(b, "ID", m.ID)
	b = appendInt64(b, "TTL", m.TTL)
	b = appendInt64(b, "grantedTTL", m.GrantedTTL)
	b = appendBytesList(b, "keys", m.Keys)
	return append(b, '}')
}

func (m *LeaseTimeToLiveResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "ID":
			m.ID = it.int64(2, "ID")
		case "TTL":
			m.TTL = it.int64(3, "TTL")
		case "grantedTTL":
			m.GrantedTTL = it.int64(4, "grantedTTL")
		case "keys":
			m.Keys = it.bytesList(5, "keys")
		default:
			it.skip()
		}
	}
}

// LeaseStatus is one entry of the lease list.
type LeaseStatus struct {
	ID int64 `json:"ID,omitempty"`
}

func (m *LeaseStatus) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendInt64(b, "ID", m.ID)
	return append(b, '}')
}

func (m *LeaseStatus) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "ID" {
			m.ID = it.int64(1, "ID")
		} else {
			it.skip()
		}
	}
}

type LeaseLeasesResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Leases []LeaseStatus   `json:"leases,omitempty"`
}

func (m *LeaseLeasesResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendList(b, "leases", m.Leases)
	return append(b, '}')
}

func (m *LeaseLeasesResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "leases":
			decodeList(&it, 2, &m.Leases)
		default:
			it.skip()
		}
	}
}
