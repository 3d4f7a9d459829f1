package api

import "context"

// Credentials are what a request says about who makes it: a token (gRPC's
// "token" metadata, the gateway's Authorization header, without "Bearer
// "), and the common name of the verified TLS client certificate it came
// with (with --client-cert-auth, etcd takes the certificate's CN as the
// user). The adapters put them in the request's context; the backend
// decides who that is.
type Credentials struct {
	Token      string
	CommonName string
}

type credentialsKey struct{}

// WithCredentials returns ctx carrying c.
func WithCredentials(ctx context.Context, c Credentials) context.Context {
	return context.WithValue(ctx, credentialsKey{}, c)
}

// CredentialsFrom returns the credentials ctx carries (none: zero).
func CredentialsFrom(ctx context.Context) Credentials {
	c, _ := ctx.Value(credentialsKey{}).(Credentials)
	return c
}

// Auth is etcd's Auth service: users, roles, permissions, and turning
// authentication on and off.
type Auth interface {
	AuthEnable(ctx context.Context) (Header, error)
	AuthDisable(ctx context.Context) (Header, error)
	AuthStatus(ctx context.Context) (enabled bool, revision uint64, h Header, err error)
	// Authenticate checks a user's password and hands out a token.
	Authenticate(ctx context.Context, name, password string) (token string, h Header, err error)
	// UserAdd adds a user with a password (hashed by the member), or a
	// password hash given in base64 (hashedPassword), or none.
	UserAdd(ctx context.Context, name, password, hashedPassword string, noPassword bool) (Header, error)
	UserGet(ctx context.Context, name string) (roles []string, h Header, err error)
	UserList(ctx context.Context) (users []string, h Header, err error)
	UserDelete(ctx context.Context, name string) (Header, error)
	UserChangePassword(ctx context.Context, name, password, hashedPassword string) (Header, error)
	UserGrantRole(ctx context.Context, user, role string) (Header, error)
	UserRevokeRole(ctx context.Context, user, role string) (Header, error)
	RoleAdd(ctx context.Context, name string) (Header, error)
	RoleGet(ctx context.Context, name string) (perms []Permission, h Header, err error)
	RoleList(ctx context.Context) (roles []string, h Header, err error)
	RoleDelete(ctx context.Context, name string) (Header, error)
	RoleGrantPermission(ctx context.Context, role string, perm Permission) (Header, error)
	RoleRevokePermission(ctx context.Context, role string, key, rangeEnd []byte) (Header, error)
}

// PermType is what a permission allows, with etcd's numbers.
type PermType int32

// The permission types.
const (
	PermRead      PermType = 0
	PermWrite     PermType = 1
	PermReadWrite PermType = 2
)

// Permission is one key interval a role may read, write, or both.
type Permission struct {
	Type     PermType
	Key      []byte
	RangeEnd []byte
}
