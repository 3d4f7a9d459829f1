package client

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/raftkv/raftkv/client/wire"
)

// The auth API, method for method clientv3's Auth interface: turn
// authentication on and off, manage users and roles, grant roles
// permissions on key intervals. While auth is on, only a user holding the
// role root may change any of it. The changes are writes, never repeated on
// another endpoint once sent; the reads (status, get, list) fail over.

// Authenticate trades a user's name and password for a token. It is the
// RPC alone, and sends no token: a client made with Config.Username and
// Password authenticates by itself (see token.go, and Login).
func (c *Client) Authenticate(ctx context.Context, name, password string) (*AuthenticateResponse, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	resp := new(AuthenticateResponse)
	body := (&wire.AuthenticateRequest{Name: name, Password: password}).AppendJSON(nil)
	// Asking twice only mints two tokens: safe to repeat.
	if err := c.callAs(ctx, "", "/v3/auth/authenticate", body, resp, safeToRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// AuthEnable turns authentication on. The user root must exist and hold the
// role root ("etcdserver: root user does not have root role" otherwise).
func (c *Client) AuthEnable(ctx context.Context) (*AuthEnableResponse, error) {
	return authCall[AuthEnableResponse](c, ctx, "/v3/auth/enable", &wire.AuthEnableRequest{}, mustNotRepeat)
}

// AuthDisable turns authentication off: every request is allowed again and
// tokens are ignored.
func (c *Client) AuthDisable(ctx context.Context) (*AuthDisableResponse, error) {
	return authCall[AuthDisableResponse](c, ctx, "/v3/auth/disable", &wire.AuthDisableRequest{}, mustNotRepeat)
}

// AuthStatus reports whether auth is on and the auth revision.
func (c *Client) AuthStatus(ctx context.Context) (*AuthStatusResponse, error) {
	return authCall[AuthStatusResponse](c, ctx, "/v3/auth/status", &wire.AuthStatusRequest{}, safeToRepeat)
}

// UserAdd adds a user with a password (which the server hashes).
func (c *Client) UserAdd(ctx context.Context, name, password string) (*AuthUserAddResponse, error) {
	return c.UserAddWithOptions(ctx, name, password, &UserAddOptions{})
}

// UserAddWithOptions adds a user; NoPassword makes one that cannot
// authenticate with a password.
func (c *Client) UserAddWithOptions(ctx context.Context, name, password string, opts *UserAddOptions) (*AuthUserAddResponse, error) {
	req := &wire.AuthUserAddRequest{Name: name, Password: password, Options: opts}
	return authCall[AuthUserAddResponse](c, ctx, "/v3/auth/user/add", req, mustNotRepeat)
}

// UserDelete deletes a user; its tokens die with it.
func (c *Client) UserDelete(ctx context.Context, name string) (*AuthUserDeleteResponse, error) {
	return authCall[AuthUserDeleteResponse](c, ctx, "/v3/auth/user/delete", &wire.AuthUserDeleteRequest{Name: name}, mustNotRepeat)
}

// UserChangePassword changes a user's password; its tokens die.
func (c *Client) UserChangePassword(ctx context.Context, name, password string) (*AuthUserChangePasswordResponse, error) {
	req := &wire.AuthUserChangePasswordRequest{Name: name, Password: password}
	return authCall[AuthUserChangePasswordResponse](c, ctx, "/v3/auth/user/changepw", req, mustNotRepeat)
}

// UserGrantRole grants a role to a user.
func (c *Client) UserGrantRole(ctx context.Context, user, role string) (*AuthUserGrantRoleResponse, error) {
	req := &wire.AuthUserGrantRoleRequest{User: user, Role: role}
	return authCall[AuthUserGrantRoleResponse](c, ctx, "/v3/auth/user/grant", req, mustNotRepeat)
}

// UserGet lists a user's roles (a user may ask about itself; about others,
// only root may).
func (c *Client) UserGet(ctx context.Context, name string) (*AuthUserGetResponse, error) {
	return authCall[AuthUserGetResponse](c, ctx, "/v3/auth/user/get", &wire.AuthUserGetRequest{Name: name}, safeToRepeat)
}

// UserList lists the users, sorted.
func (c *Client) UserList(ctx context.Context) (*AuthUserListResponse, error) {
	return authCall[AuthUserListResponse](c, ctx, "/v3/auth/user/list", &wire.AuthUserListRequest{}, safeToRepeat)
}

// UserRevokeRole takes a role away from a user.
func (c *Client) UserRevokeRole(ctx context.Context, name, role string) (*AuthUserRevokeRoleResponse, error) {
	req := &wire.AuthUserRevokeRoleRequest{Name: name, Role: role}
	return authCall[AuthUserRevokeRoleResponse](c, ctx, "/v3/auth/user/revoke", req, mustNotRepeat)
}

// RoleAdd adds a role without permissions.
func (c *Client) RoleAdd(ctx context.Context, name string) (*AuthRoleAddResponse, error) {
	return authCall[AuthRoleAddResponse](c, ctx, "/v3/auth/role/add", &wire.AuthRoleAddRequest{Name: name}, mustNotRepeat)
}

// RoleGrantPermission lets a role read, write or both the keys in [key,
// rangeEnd): key alone if rangeEnd is empty, every key from key on if
// rangeEnd is "\x00" (GetPrefixRangeEnd gives a prefix's end).
func (c *Client) RoleGrantPermission(ctx context.Context, name, key, rangeEnd string, permType PermissionType) (*AuthRoleGrantPermissionResponse, error) {
	req := &wire.AuthRoleGrantPermissionRequest{Name: name, Perm: &wire.Permission{PermType: permType, Key: []byte(key), RangeEnd: []byte(rangeEnd)}}
	return authCall[AuthRoleGrantPermissionResponse](c, ctx, "/v3/auth/role/grant", req, mustNotRepeat)
}

// RoleGet lists a role's permissions, sorted by key.
func (c *Client) RoleGet(ctx context.Context, role string) (*AuthRoleGetResponse, error) {
	return authCall[AuthRoleGetResponse](c, ctx, "/v3/auth/role/get", &wire.AuthRoleGetRequest{Role: role}, safeToRepeat)
}

// RoleList lists the roles, sorted.
func (c *Client) RoleList(ctx context.Context) (*AuthRoleListResponse, error) {
	return authCall[AuthRoleListResponse](c, ctx, "/v3/auth/role/list", &wire.AuthRoleListRequest{}, safeToRepeat)
}

// RoleRevokePermission takes away the role's permission on exactly the
// interval [key, rangeEnd).
func (c *Client) RoleRevokePermission(ctx context.Context, role, key, rangeEnd string) (*AuthRoleRevokePermissionResponse, error) {
	req := &wire.AuthRoleRevokePermissionRequest{Role: role, Key: []byte(key), RangeEnd: []byte(rangeEnd)}
	return authCall[AuthRoleRevokePermissionResponse](c, ctx, "/v3/auth/role/revoke", req, mustNotRepeat)
}

// RoleDelete deletes a role, and takes it from the users holding it.
func (c *Client) RoleDelete(ctx context.Context, role string) (*AuthRoleDeleteResponse, error) {
	return authCall[AuthRoleDeleteResponse](c, ctx, "/v3/auth/role/delete", &wire.AuthRoleDeleteRequest{Role: role}, mustNotRepeat)
}

// authCall runs one auth RPC. Every auth answer has a Header field; like
// the other calls, it gets an empty one if the server sent none, so that
// resp.Header.Revision cannot panic.
func authCall[T any, P interface {
	*T
	wire.Message
}](c *Client, ctx context.Context, path string, req wire.Message, idem idempotency) (*T, error) {
	resp := P(new(T))
	if err := c.call(ctx, path, req, resp, idem); err != nil {
		return nil, err
	}
	if h := reflect.ValueOf(resp).Elem().FieldByName("Header"); h.IsValid() && h.IsNil() {
		h.Set(reflect.ValueOf(new(wire.ResponseHeader)))
	}
	return (*T)(resp), nil
}

// StrToPermissionType parses "read", "write" or "readwrite", in any case,
// as clientv3 does (etcdctl role grant-permission's argument).
func StrToPermissionType(s string) (PermissionType, error) {
	switch strings.ToUpper(s) {
	case "READ":
		return PermRead, nil
	case "WRITE":
		return PermWrite, nil
	case "READWRITE":
		return PermReadWrite, nil
	}
	return -1, fmt.Errorf("invalid permission type: %s", s)
}

// GetPrefixRangeEnd is the range end that makes [prefix, end) every key
// with this prefix, as clientv3's.
func GetPrefixRangeEnd(prefix string) string { return string(prefixEnd([]byte(prefix))) }
