package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// authMessagesFor returns a new request and a new response value for a
// path of the auth transcript.
func authMessagesFor(path string) (req, resp func() Message, stream bool) {
	newPair := func(rq, rs func() Message) (func() Message, func() Message, bool) { return rq, rs, false }
	switch strings.TrimPrefix(path, "/v3/auth") {
	case "/enable":
		return newPair(func() Message { return new(AuthEnableRequest) }, func() Message { return new(AuthEnableResponse) })
	case "/disable":
		return newPair(func() Message { return new(AuthDisableRequest) }, func() Message { return new(AuthDisableResponse) })
	case "/status":
		return newPair(func() Message { return new(AuthStatusRequest) }, func() Message { return new(AuthStatusResponse) })
	case "/authenticate":
		return newPair(func() Message { return new(AuthenticateRequest) }, func() Message { return new(AuthenticateResponse) })
	case "/user/add":
		return newPair(func() Message { return new(AuthUserAddRequest) }, func() Message { return new(AuthUserAddResponse) })
	case "/user/get":
		return newPair(func() Message { return new(AuthUserGetRequest) }, func() Message { return new(AuthUserGetResponse) })
	case "/user/list":
		return newPair(func() Message { return new(AuthUserListRequest) }, func() Message { return new(AuthUserListResponse) })
	case "/user/delete":
		return newPair(func() Message { return new(AuthUserDeleteRequest) }, func() Message { return new(AuthUserDeleteResponse) })
	case "/user/changepw":
		return newPair(func() Message { return new(AuthUserChangePasswordRequest) }, func() Message { return new(AuthUserChangePasswordResponse) })
	case "/user/grant":
		return newPair(func() Message { return new(AuthUserGrantRoleRequest) }, func() Message { return new(AuthUserGrantRoleResponse) })
	case "/user/revoke":
		return newPair(func() Message { return new(AuthUserRevokeRoleRequest) }, func() Message { return new(AuthUserRevokeRoleResponse) })
	case "/role/add":
		return newPair(func() Message { return new(AuthRoleAddRequest) }, func() Message { return new(AuthRoleAddResponse) })
	case "/role/get":
		return newPair(func() Message { return new(AuthRoleGetRequest) }, func() Message { return new(AuthRoleGetResponse) })
	case "/role/list":
		return newPair(func() Message { return new(AuthRoleListRequest) }, func() Message { return new(AuthRoleListResponse) })
	case "/role/delete":
		return newPair(func() Message { return new(AuthRoleDeleteRequest) }, func() Message { return new(AuthRoleDeleteResponse) })
	case "/role/grant":
		return newPair(func() Message { return new(AuthRoleGrantPermissionRequest) }, func() Message { return new(AuthRoleGrantPermissionResponse) })
	case "/role/revoke":
		return newPair(func() Message { return new(AuthRoleRevokePermissionRequest) }, func() Message { return new(AuthRoleRevokePermissionResponse) })
	}
	return messagesFor(path)
}

// knownErrors are the etcd errors this package declares, by their words.
func knownErrors() map[string]*Error {
	out := map[string]*Error{}
	for _, e := range []*Error{
		ErrRootUserNotExist, ErrRootRoleNotExist, ErrUserAlreadyExist, ErrUserEmpty, ErrUserNotFound,
		ErrRoleAlreadyExist, ErrRoleNotFound, ErrRoleEmpty, ErrAuthFailed, ErrPermissionNotGiven,
		ErrPermissionDenied, ErrRoleNotGranted, ErrPermissionNotGranted, ErrAuthNotEnabled,
		ErrInvalidAuthToken, ErrInvalidAuthMgmt, ErrAuthOldRevision,
	} {
		out[e.Message] = e
	}
	return out
}

// TestGoldenAuthTranscript walks etcd's answers to the auth requests
// (testdata/etcd-auth-gateway.md): every body etcd accepted decodes; every
// body etcd refused before reading it is refused with etcd's words; every
// answer re-encodes to etcd's bytes; every etcd error has its constant here,
// with etcd's code.
func TestGoldenAuthTranscript(t *testing.T) {
	exchanges := readTranscript(t, "testdata/etcd-auth-gateway.md")
	if len(exchanges) < 90 {
		t.Fatalf("parsed only %d exchanges from the transcript; the parser is broken", len(exchanges))
	}
	known := knownErrors()
	seen := map[string]bool{}
	for _, ex := range exchanges {
		newReq, newResp, stream := authMessagesFor(ex.path)
		if newResp == nil {
			t.Fatalf("%s: no message for path %s", ex.title, ex.path)
		}
		t.Run(ex.title, func(t *testing.T) {
			errMsg := ""
			if ex.status != 200 {
				e := transcriptError(t, ex, stream)
				errMsg = e.Message
				if strings.HasPrefix(e.Message, "etcdserver: ") {
					want, ok := known[e.Message]
					if !ok || !errors.Is(e, want) {
						t.Errorf("etcd's error %+v has no constant here with its code (have %+v)", e, want)
					}
					seen[e.Message] = true
				}
			}
			switch {
			case ex.status != 200 && !strings.HasPrefix(errMsg, "etcdserver: "):
				// etcd's decoder refused the body: so must ours, in its words.
				err := Unmarshal([]byte(ex.reqBody), newReq())
				var we *Error
				if !errors.As(err, &we) || we.Code != InvalidArgument || we.Message != errMsg {
					t.Errorf("request %s: got error %v, etcd said %q", ex.reqBody, err, errMsg)
				}
			default:
				checkRequestBody(t, ex.reqBody, newReq, stream)
			}
			if ex.status == 200 {
				checkResponseLines(t, ex, newResp, stream)
			}
		})
	}
	for msg := range known {
		if !seen[msg] && msg != ErrPermissionNotGiven.Message && msg != ErrAuthOldRevision.Message {
			t.Errorf("the transcript never shows %q: is it etcd's?", msg)
		}
	}
}

// transcriptError decodes an error answer, unary {"code":...} or a
// stream's {"error":{...}}, and checks that it re-encodes to etcd's bytes
// and maps to etcd's HTTP status.
func transcriptError(t *testing.T, ex exchange, stream bool) *Error {
	t.Helper()
	if len(ex.body) != 1 {
		t.Fatalf("error body: %q", ex.body)
	}
	if !stream {
		checkErrorBody(t, ex)
		var e Error
		if err := Unmarshal([]byte(ex.body[0]), &e); err != nil {
			t.Fatal(err)
		}
		return &e
	}
	err := NewStreamDecoder(strings.NewReader(ex.body[0] + "\n")).DecodeResult(new(HeaderOnly))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("stream error %s decodes as %v", ex.body[0], err)
	}
	if got := string(AppendStreamError(nil, e)); got != ex.body[0]+"\n" {
		t.Errorf("stream error differs:\netcd: %s\nours: %s", ex.body[0], got)
	}
	if e.HTTPStatus() != ex.status {
		t.Errorf("code %d maps to HTTP %d, etcd answered %d", e.Code, e.HTTPStatus(), ex.status)
	}
	return e
}

// checkResponseLines decodes each line of a 200 answer and re-encodes it.
func checkResponseLines(t *testing.T, ex exchange, newResp func() Message, stream bool) {
	t.Helper()
	for _, line := range ex.body {
		m := newResp()
		var got string
		if stream {
			if err := NewStreamDecoder(strings.NewReader(line + "\n")).DecodeResult(m); err != nil {
				t.Fatalf("decode %s: %v", line, err)
			}
			got = strings.TrimSuffix(string(AppendStreamResult(nil, m)), "\n")
		} else {
			if err := Unmarshal([]byte(line), m); err != nil {
				t.Fatalf("decode %s: %v", line, err)
			}
			got = string(Marshal(m))
		}
		if got != line {
			t.Errorf("re-encoded body differs from etcd's:\netcd: %s\nours: %s", line, got)
		}
	}
}

// The requests etcd accepted mean what etcd took them to mean: both names
// of a field, enums by name or number, an unknown enum name as the zero
// value, null as not set.
func TestDecodeAuthRequests(t *testing.T) {
	tests := []struct {
		body      string
		got, want Message
	}{
		{`{"user":"alice","role":"reader"}`, &AuthUserGrantRoleRequest{}, &AuthUserGrantRoleRequest{User: "alice", Role: "reader"}},
		{`{"name":"alice","role":"reader"}`, &AuthUserRevokeRoleRequest{}, &AuthUserRevokeRoleRequest{Name: "alice", Role: "reader"}},
		{`{"name":"bob","options":{"no_password":true}}`, &AuthUserAddRequest{}, &AuthUserAddRequest{Name: "bob", Options: &UserAddOptions{NoPassword: true}}},
		{`{"name":"bob","options":{"noPassword":true},"hashedPassword":"JDJh"}`, &AuthUserAddRequest{},
			&AuthUserAddRequest{Name: "bob", Options: &UserAddOptions{NoPassword: true}, HashedPassword: "JDJh"}},
		{`{"name":"carol","password":"c","options":null}`, &AuthUserAddRequest{}, &AuthUserAddRequest{Name: "carol", Password: "c"}},
		{`{"name":"alice","options":{}}`, &AuthUserAddRequest{}, &AuthUserAddRequest{Name: "alice", Options: &UserAddOptions{}}},
		{`{"name":"r","perm":{"permType":1,"key":"YmFy"}}`, &AuthRoleGrantPermissionRequest{},
			&AuthRoleGrantPermissionRequest{Name: "r", Perm: &Permission{PermType: PermWrite, Key: []byte("bar")}}},
		{`{"name":"r","perm":{"permType":"READWRITE","key":"AA==","rangeEnd":"AA=="}}`, &AuthRoleGrantPermissionRequest{},
			&AuthRoleGrantPermissionRequest{Name: "r", Perm: &Permission{PermType: PermReadWrite, Key: []byte{0}, RangeEnd: []byte{0}}}},
		{`{"name":"r","perm":{"permType":"SIDEWAYS","key":"eA=="}}`, &AuthRoleGrantPermissionRequest{},
			&AuthRoleGrantPermissionRequest{Name: "r", Perm: &Permission{Key: []byte("x")}}},
		{`{"role":"r","key":"ay8=","rangeEnd":"AA=="}`, &AuthRoleRevokePermissionRequest{},
			&AuthRoleRevokePermissionRequest{Role: "r", Key: []byte("k/"), RangeEnd: []byte{0}}},
		{`{"header":{"revision":"3"},"enabled":true,"authRevision":"22"}`, &AuthStatusResponse{},
			&AuthStatusResponse{Header: &ResponseHeader{Revision: 3}, Enabled: true, AuthRevision: 22}},
		{`{"perm":[{"permType":"WRITE","key":"YmFy"},{"key":"Zm9v","range_end":"Zm9w"}]}`, &AuthRoleGetResponse{},
			&AuthRoleGetResponse{Perm: []Permission{{PermType: PermWrite, Key: []byte("bar")}, {Key: []byte("foo"), RangeEnd: []byte("fop")}}}},
		{`{"roles":["a","b"],"bogus":{"x":[1]}}`, &AuthUserGetResponse{}, &AuthUserGetResponse{Roles: []string{"a", "b"}}},
	}
	for _, tt := range tests {
		if err := Unmarshal([]byte(tt.body), tt.got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("Unmarshal(%s) (-want +got):\n%s", tt.body, diff)
		}
	}
}

// The requests as a client writes them: proto names, the proto's order,
// zero values left out (READ is the zero permission type), an empty
// options message written as {} as clientv3's UserAdd sends it.
func TestEncodeAuthRequests(t *testing.T) {
	tests := []struct {
		msg  Message
		want string
	}{
		{&AuthenticateRequest{Name: "root", Password: "pw"}, `{"name":"root","password":"pw"}`},
		{&AuthUserAddRequest{Name: "alice", Password: "pw", Options: &UserAddOptions{}}, `{"name":"alice","password":"pw","options":{}}`},
		{&AuthUserAddRequest{Name: "eve", Options: &UserAddOptions{NoPassword: true}}, `{"name":"eve","options":{"no_password":true}}`},
		{&AuthUserAddRequest{Name: "h", HashedPassword: "JDJh"}, `{"name":"h","hashedPassword":"JDJh"}`},
		{&AuthUserGrantRoleRequest{User: "alice", Role: "reader"}, `{"user":"alice","role":"reader"}`},
		{&AuthUserRevokeRoleRequest{Name: "alice", Role: "reader"}, `{"name":"alice","role":"reader"}`},
		{&AuthRoleGetRequest{Role: "reader"}, `{"role":"reader"}`},
		{&AuthRoleGrantPermissionRequest{Name: "r", Perm: &Permission{Key: []byte("foo"), RangeEnd: []byte("fop")}},
			`{"name":"r","perm":{"key":"Zm9v","range_end":"Zm9w"}}`},
		{&AuthRoleGrantPermissionRequest{Name: "r", Perm: &Permission{PermType: PermReadWrite, Key: []byte{0}, RangeEnd: []byte{0}}},
			`{"name":"r","perm":{"permType":"READWRITE","key":"AA==","range_end":"AA=="}}`},
		{&AuthRoleRevokePermissionRequest{Role: "r", Key: []byte("k")}, `{"role":"r","key":"aw=="}`},
		{&AuthStatusResponse{AuthRevision: 1}, `{"authRevision":"1"}`},
		{&AuthRoleGetResponse{Perm: []Permission{{PermType: 7}}}, `{"perm":[{"permType":7}]}`},
		{&AuthEnableRequest{}, `{}`},
	}
	for _, tt := range tests {
		if got := string(Marshal(tt.msg)); got != tt.want {
			t.Errorf("Marshal(%#v):\n got %s\nwant %s", tt.msg, got, tt.want)
		}
	}
}

func TestRoundTripAuth(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		add := rapid.Make[AuthUserAddRequest]().Draw(t, "add")
		roundTrip(t, &add)
		grant := rapid.Make[AuthRoleGrantPermissionRequest]().Draw(t, "grant")
		roundTrip(t, &grant)
		revoke := rapid.Make[AuthRoleRevokePermissionRequest]().Draw(t, "revoke")
		roundTrip(t, &revoke)
		roundTrip(t, &AuthRoleGetResponse{Header: genHeader().Draw(t, "h"), Perm: rapid.SliceOf(rapid.Custom(func(t *rapid.T) Permission {
			return Permission{PermType: PermissionType(rapid.Int32Range(-1, 4).Draw(t, "type")), Key: genBytes().Draw(t, "k"), RangeEnd: genBytes().Draw(t, "e")}
		})).Draw(t, "perm")})
		roundTrip(t, &AuthStatusResponse{Header: genHeader().Draw(t, "h"), Enabled: rapid.Bool().Draw(t, "on"), AuthRevision: rapid.Uint64().Draw(t, "rev")})
		roundTrip(t, &AuthUserListResponse{Users: rapid.SliceOf(genString()).Draw(t, "users")})
		roundTrip(t, &AuthenticateResponse{Header: genHeader().Draw(t, "h"), Token: genString().Draw(t, "token")})
	})
}
