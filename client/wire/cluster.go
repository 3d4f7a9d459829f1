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

func (m *Member) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *Member) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type MemberAddRequest struct {
	PeerURLs  []string `json:"peerURLs,omitempty"`
	IsLearner bool     `json:"isLearner,omitempty"`
}

func (m *MemberAddRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MemberAddRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// MemberAddResponse: Member is the new member, Members the whole new list.
type MemberAddResponse struct {
	Header  *ResponseHeader `json:"header,omitempty"`
	Member  *Member         `json:"member,omitempty"`
	Members []Member        `json:"members,omitempty"`
}

func (m *MemberAddResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MemberAddResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// MemberIDRequest is the request of remove and promote: a member ID.
type MemberIDRequest struct {
	ID uint64 `json:"ID,omitempty"`
}

func (m *MemberIDRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MemberIDRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type (
	MemberRemoveRequest  = MemberIDRequest
	MemberPromoteRequest = MemberIDRequest
	// The answers to list, remove, update and promote all carry the
	// member list as it is afterwards.
	MemberRemoveResponse  = MemberListResponse
	MemberUpdateResponse  = MemberListResponse
	MemberPromoteResponse = MemberListResponse
)

type MemberUpdateRequest struct {
	ID       uint64   `json:"ID,omitempty"`
	PeerURLs []string `json:"peerURLs,omitempty"`
}

func (m *MemberUpdateRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MemberUpdateRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// MemberListRequest: Linearizable asks for the list as of a ReadIndex round
// instead of the member's local view.
type MemberListRequest struct {
	Linearizable bool `json:"linearizable,omitempty"`
}

func (m *MemberListRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MemberListRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// MemberListResponse: etcd's header here has no revision.
type MemberListResponse struct {
	Header  *ResponseHeader `json:"header,omitempty"`
	Members []Member        `json:"members,omitempty"`
}

func (m *MemberListResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *MemberListResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }
