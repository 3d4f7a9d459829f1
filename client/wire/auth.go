package wire

// Authentication, users and roles: /v3/auth/enable|disable|status|authenticate,
// /v3/auth/user/add|get|list|delete|changepw|grant|revoke and
// /v3/auth/role/add|get|list|delete|grant|revoke (etcd's Auth service).
//
// These are tagged messages (tagged.go): each field is spelled once, in its
// tag, and the codec follows the struct. The fields are declared in the
// proto's order, and their names are the proto's, odd ones included: a
// grant names its user "user" but a revoke names it "name", a role is "name"
// when added or granted a permission and "role" everywhere else, and
// hashedPassword and permType are camelCase in the proto itself.
//
// A client authenticates once and then sends the token it got in the
// Authorization header of every request (bare, or after "Bearer ").

type (
	AuthEnableRequest   = Empty
	AuthDisableRequest  = Empty
	AuthStatusRequest   = Empty
	AuthUserListRequest = Empty
	AuthRoleListRequest = Empty

	// Every change answers with a header alone.
	AuthEnableResponse               = HeaderOnly
	AuthDisableResponse              = HeaderOnly
	AuthUserAddResponse              = HeaderOnly
	AuthUserDeleteResponse           = HeaderOnly
	AuthUserChangePasswordResponse   = HeaderOnly
	AuthUserGrantRoleResponse        = HeaderOnly
	AuthUserRevokeRoleResponse       = HeaderOnly
	AuthRoleAddResponse              = HeaderOnly
	AuthRoleDeleteResponse           = HeaderOnly
	AuthRoleGrantPermissionResponse  = HeaderOnly
	AuthRoleRevokePermissionResponse = HeaderOnly
)

// AuthStatusResponse: AuthRevision counts the changes to users, roles and
// permissions; a token minted before the latest change may be refused
// ("revision of auth store is old") and must be renewed.
type AuthStatusResponse struct {
	Header       *ResponseHeader `json:"header,omitempty"`
	Enabled      bool            `json:"enabled,omitempty"`
	AuthRevision uint64          `json:"authRevision,omitempty"`
}

func (m *AuthStatusResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthStatusResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthenticateRequest trades a user's name and password for a token.
type AuthenticateRequest struct {
	Name     string `json:"name,omitempty"`
	Password string `json:"password,omitempty"`
}

func (m *AuthenticateRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthenticateRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthenticateResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Token  string          `json:"token,omitempty"`
}

func (m *AuthenticateResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthenticateResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthUserAddRequest: a client sends Password; a member hashes it with
// bcrypt and puts only HashedPassword (base64 of the hash) in the log.
type AuthUserAddRequest struct {
	Name           string          `json:"name,omitempty"`
	Password       string          `json:"password,omitempty"`
	Options        *UserAddOptions `json:"options,omitempty"`
	HashedPassword string          `json:"hashedPassword,omitempty"`
}

func (m *AuthUserAddRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserAddRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// UserAddOptions (authpb.UserAddOptions): a user with NoPassword cannot
// authenticate with a password (etcd meant it for TLS certificate names).
type UserAddOptions struct {
	NoPassword bool `json:"no_password,omitempty"`
}

func (m *UserAddOptions) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *UserAddOptions) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthUserGetRequest struct {
	Name string `json:"name,omitempty"`
}

func (m *AuthUserGetRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserGetRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthUserGetResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Roles  []string        `json:"roles,omitempty"`
}

func (m *AuthUserGetResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserGetResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthUserDeleteRequest struct {
	Name string `json:"name,omitempty"`
}

func (m *AuthUserDeleteRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserDeleteRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthUserChangePasswordRequest struct {
	Name           string `json:"name,omitempty"`
	Password       string `json:"password,omitempty"`
	HashedPassword string `json:"hashedPassword,omitempty"`
}

func (m *AuthUserChangePasswordRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserChangePasswordRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthUserGrantRoleRequest names its user "user" (the revoke: "name").
type AuthUserGrantRoleRequest struct {
	User string `json:"user,omitempty"`
	Role string `json:"role,omitempty"`
}

func (m *AuthUserGrantRoleRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserGrantRoleRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthUserRevokeRoleRequest names its user "name" (the grant: "user").
type AuthUserRevokeRoleRequest struct {
	Name string `json:"name,omitempty"`
	Role string `json:"role,omitempty"`
}

func (m *AuthUserRevokeRoleRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserRevokeRoleRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthUserListResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Users  []string        `json:"users,omitempty"`
}

func (m *AuthUserListResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthUserListResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthRoleAddRequest struct {
	Name string `json:"name,omitempty"`
}

func (m *AuthRoleAddRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleAddRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthRoleGetRequest struct {
	Role string `json:"role,omitempty"`
}

func (m *AuthRoleGetRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleGetRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthRoleGetResponse lists the role's permissions sorted by key. The role
// root holds one READWRITE permission on every key (key empty, range end
// "\x00") that etcd makes up for the answer.
type AuthRoleGetResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Perm   []Permission    `json:"perm,omitempty"`
}

func (m *AuthRoleGetResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleGetResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthRoleListResponse struct {
	Header *ResponseHeader `json:"header,omitempty"`
	Roles  []string        `json:"roles,omitempty"`
}

func (m *AuthRoleListResponse) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleListResponse) decodeJSON(d *decoder)      { decodeTagged(d, m) }

type AuthRoleDeleteRequest struct {
	Role string `json:"role,omitempty"`
}

func (m *AuthRoleDeleteRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleDeleteRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthRoleGrantPermissionRequest gives the role Name a permission. Granting
// an interval the role already has changes only its type.
type AuthRoleGrantPermissionRequest struct {
	Name string      `json:"name,omitempty"`
	Perm *Permission `json:"perm,omitempty"`
}

func (m *AuthRoleGrantPermissionRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleGrantPermissionRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// AuthRoleRevokePermissionRequest takes away the permission on exactly the
// interval [Key, RangeEnd): there is no partial revoke.
type AuthRoleRevokePermissionRequest struct {
	Role     string `json:"role,omitempty"`
	Key      []byte `json:"key,omitempty"`
	RangeEnd []byte `json:"range_end,omitempty"`
}

func (m *AuthRoleRevokePermissionRequest) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *AuthRoleRevokePermissionRequest) decodeJSON(d *decoder)      { decodeTagged(d, m) }

// Permission (authpb.Permission) lets a role read, write or both the keys
// of an interval: Key alone when RangeEnd is empty, [Key, RangeEnd)
// otherwise, every key from Key on when RangeEnd is "\x00", and every key
// when both are "\x00".
type Permission struct {
	PermType PermissionType `json:"permType,omitempty"`
	Key      []byte         `json:"key,omitempty"`
	RangeEnd []byte         `json:"range_end,omitempty"`
}

func (m *Permission) AppendJSON(b []byte) []byte { return appendTagged(b, m) }
func (m *Permission) decodeJSON(d *decoder)      { decodeTagged(d, m) }
