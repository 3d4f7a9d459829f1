package wire

// Membership: /v3/cluster/member/list|add|remove|update|promote. The proto
// spells these fields ID, peerURLs, clientURLs, isLearner, and so does the wire.

// Member is one member of the cluster. A member that was added but has not
// started yet has no name and no client URLs.
type Member struct {
	ID         uint64   `json:"ID,omitempty"`
	Name       string   `json:"name,omitempty"`
	PeerURLs   []string `json:"peerURLs,omitempty"`
	ClientURLs []string `json:"clientURLs,omitempty"`
	IsLearner  bool     `json:"isLearner,omitempty"`
}

func (m *Member) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendUint64(b, "ID", m.ID)
	b = appendString(b, "name", m.Name)
	b = appendStringList(b, "peerURLs", m.PeerURLs)
	b = appendStringList(b, "clientURLs", m.ClientURLs)
	b = appendBool(b, "isLearner", m.IsLearner)
	return append(b, '}')
}

func (m *Member) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "ID":
			m.ID = it.uint64(1, "ID")
		case "name":
			m.Name = it.string(2, "name")
		case "peerURLs":
			m.PeerURLs = it.stringList(3, "peerURLs")
		case "clientURLs":
			m.ClientURLs = it.stringList(4, "clientURLs")
		case "isLearner":
			m.IsLearner = it.bool(5, "isLearner")
		default:
			it.skip()
		}
	}
}

type MemberAddRequest struct {
	PeerURLs  []string `json:"peerURLs,omitempty"`
	IsLearner bool     `json:"isLearner,omitempty"`
}

func (m *MemberAddRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringList(b, "peerURLs", m.PeerURLs)
	b = appendBool(b, "isLearner", m.IsLearner)
	return append(b, '}')
}

func (m *MemberAddRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "peerURLs":
			m.PeerURLs = it.stringList(1, "peerURLs")
		case "isLearner":
			m.IsLearner = it.bool(2, "isLearner")
		default:
			it.skip()
		}
	}
}

// MemberAddResponse: Member is the new member, Members the whole new list.
type MemberAddResponse struct {
	Header  *ResponseHeader `json:"header,omitempty"`
	Member  *Member         `json:"member,omitempty"`
	Members []Member        `json:"members,omitempty"`
}

func (m *MemberAddResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendMsg(b, "member", m.Member)
	b = appendList(b, "members", m.Members)
	return append(b, '}')
}

func (m *MemberAddResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "member":
			decodeMsg(&it, 2, &m.Member)
		case "members":
			decodeList(&it, 3, &m.Members)
		default:
			it.skip()
		}
	}
}

// MemberIDRequest is the request of remove and promote: a member ID.
type MemberIDRequest struct {
	ID uint64 `json:"ID,omitempty"`
}

type (
	MemberRemoveRequest  = MemberIDRequest
	MemberPromoteRequest = MemberIDRequest
	// The answers to list, remove, update and promote all carry the
	// member list as it is afterwards.
	MemberRemoveResponse  = MemberListResponse
	MemberUpdateResponse  = MemberListResponse
	MemberPromoteResponse = MemberListResponse
)

func (m *MemberIDRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendUint64(b, "ID", m.ID)
	return append(b, '}')
}

func (m *MemberIDRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "ID" {
			m.ID = it.uint64(1, "ID")
		} else {
			it.skip()
		}
	}
}

type MemberUpdateRequest struct {
	ID       uint64   `json:"ID,omitempty"`
	PeerURLs []string `json:"peerURLs,omitempty"`
}

func (m *MemberUpdateRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendUint64(b, "ID", m.ID)
	b = appendStringList(b, "peerURLs", m.PeerURLs)
	return append(b, '}')
}

func (m *MemberUpdateRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "ID":
			m.ID = it.uint64(1, "ID")
		case "peerURLs":
			m.PeerURLs = it.stringList(2, "peerURLs")
		default:
			it.skip()
		}
	}
}

// MemberListRequest: Linearizable asks for the list as of a ReadIndex round
// instead of the member's local view.
type MemberListRequest struct {
	Linearizable bool `json:"linearizable,omitempty"`
}

func (m *MemberListRequest) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendBool(b, "linearizable", m.Linearizable)
	return append(b, '}')
}

func (m *MemberListRequest) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		if string(it.name) == "linearizable" {
			m.Linearizable = it.bool(1, "linearizable")
		} else {
			it.skip()
		}
	}
}

// MemberListResponse: etcd's header here has no revision.
type MemberListResponse struct {
	Header  *ResponseHeader `json:"header,omitempty"`
	Members []Member        `json:"members,omitempty"`
}

func (m *MemberListResponse) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendMsg(b, "header", m.Header)
	b = appendList(b, "members", m.Members)
	return append(b, '}')
}

func (m *MemberListResponse) decodeJSON(d *decoder) {
	it := d.object()
	for it.next() {
		switch string(it.name) {
		case "header":
			decodeMsg(&it, 1, &m.Header)
		case "members":
			decodeList(&it, 2, &m.Members)
		default:
			it.skip()
		}
	}
}
