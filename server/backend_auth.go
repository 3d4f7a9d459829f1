package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/server/api"
)

// The Auth service, and who makes each request. The rules (who may do
// what) are package auth's; here is where a request's user is found — its
// TLS certificate's common name, or its token — and where each request is
// checked: reads where they are served, writes when they are applied
// (auth_entries.go), administration both at the door and when applied.

// caller is who makes the request in ctx. With authentication off it is
// nobody, and every check passes. A token that names nobody is an error;
// a request without credentials is made by nobody, and the checks refuse
// it ("user name is empty").
func (s *Server) caller(ctx context.Context) (auth.Caller, error) {
	st := s.member.Auth()
	if !st.Enabled() {
		return auth.Caller{}, nil
	}
	cr := api.CredentialsFrom(ctx)
	// A token, when there is one, says who calls — a bad one is refused
	// even over a good certificate; the certificate's common name only
	// when there is no token (etcd's EtcdServer.AuthInfoFromCtx).
	if cr.Token == "" {
		if cr.CommonName != "" {
			return auth.Caller{User: cr.CommonName, Revision: st.Revision()}, nil
		}
		return auth.Caller{}, nil
	}
	if s.jwt != nil {
		return s.jwt.verify(cr.Token)
	}
	user, ok := s.member.Tokens().User(cr.Token, time.Now())
	if !ok {
		// A token handed out by another member may not have reached
		// this one yet: it names the log index from which it is known.
		if idx, has := tokenIndex(cr.Token); has && idx > s.view.Load().Applied {
			if s.waitApplied(ctx, idx) == nil {
				user, ok = s.member.Tokens().User(cr.Token, time.Now())
			}
		}
	}
	if !ok {
		return auth.Caller{}, ErrInvalidAuthToken
	}
	return auth.Caller{User: user, Revision: st.Revision()}, nil
}

// waitApplied waits until the member has applied index (for at most a
// second: a token from further ahead is not worth holding a request for).
func (s *Server) waitApplied(ctx context.Context, index uint64) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ch := make(chan struct{})
	if err := s.do(ctx, func(m *Member) { m.whenApplied(index, func() { close(ch) }) }); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// authenticated is the caller, who must be someone (with authentication on).
func (s *Server) authenticated(ctx context.Context) (auth.Caller, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return c, err
	}
	return c, toErrorOrNil(s.member.Auth().CheckAuthenticated(c))
}

// admin checks that the caller may administer the cluster (the root role).
func (s *Server) admin(ctx context.Context) (auth.Caller, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return c, err
	}
	return c, toErrorOrNil(s.member.Auth().CheckAdmin(c))
}

func toErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return toError(err)
}

// checkLeaseKeys checks that the caller may act on a lease's keys: WRITE
// on each to renew or revoke it, READ to list them; an administrator may
// anyway.
func (s *Server) checkLeaseKeys(c auth.Caller, ids []int64, need auth.PermType) error {
	st := s.member.Auth()
	if !st.Enabled() {
		return nil
	}
	for _, id := range ids {
		if err := st.CheckLeaseKeys(c, s.member.leaseKeys(id), need); err != nil {
			return toError(err)
		}
	}
	return nil
}

func (s *Server) AuthStatus(ctx context.Context) (bool, uint64, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return false, 0, Header{}, err
	}
	// Anyone may ask, but a token that is presented must be valid: etcd
	// answers a stale one here too, so a client learns to authenticate again.
	if _, err := s.caller(ctx); err != nil {
		return false, 0, Header{}, err
	}
	st := s.member.Auth()
	return st.Enabled(), st.Revision(), s.header(s.member.Store().Rev()), nil
}

func (s *Server) AuthEnable(ctx context.Context) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpEnable})
}

func (s *Server) AuthDisable(ctx context.Context) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpDisable})
}

// authChange proposes a change of the auth state on behalf of the caller,
// whose right to make it is checked here and again when it is applied
// (the state may change in between).
func (s *Server) authChange(ctx context.Context, req *auth.Request) (Header, error) {
	c, err := s.admin(ctx)
	if err != nil {
		return Header{}, err
	}
	req.Caller = c
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.AuthChange(req, deadline, done) })
	if err != nil {
		return Header{}, err
	}
	return resultHeader(r, s.member.Store().Rev()), nil
}

// dummyHash is compared against when a user does not exist (or has no
// password), so that a failed login takes as long whether the user exists
// or not: the time would otherwise tell an attacker which names exist. It
// is made once, at the cost real hashes are made with.
func (s *Server) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("raftkv: no such user"), s.cfg.BcryptCost)
	})
	return s.dummy
}

// Authenticate checks a password and hands out a token. The password is
// compared here, with bcrypt (constant time, and the same cost for a user
// that does not exist); it is never logged, stored, or sent through the
// log. A simple token goes through the log so that every member knows it;
// a JWT is signed here and needs no one else.
func (s *Server) Authenticate(ctx context.Context, name, password string) (string, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return "", Header{}, err
	}
	st := s.member.Auth()
	if !st.Enabled() {
		return "", Header{}, ErrAuthNotEnabled
	}
	rev := st.Revision()
	u, ok := st.User(name)
	hash := s.dummyHash()
	if ok && !u.NoPassword {
		hash = u.Password
	}
	matched := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	switch {
	case ok && u.NoPassword:
		// Said after the same bcrypt cost as any other refusal.
		return "", Header{}, ErrNoPasswordUser
	case !ok || !matched:
		return "", Header{}, ErrAuthFailed
	}
	if s.jwt != nil {
		token, err := s.jwt.sign(name, rev)
		if err != nil {
			return "", Header{}, err
		}
		return token, s.header(s.member.Store().Rev()), nil
	}
	prefix, err := tokenPrefix()
	if err != nil {
		return "", Header{}, err
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) {
		m.AssignToken(name, prefix, rev, deadline, done)
	})
	if err != nil {
		return "", Header{}, err
	}
	return r.Token, resultHeader(r, s.member.Store().Rev()), nil
}

// tokenPrefix is the random part of a simple token: 16 letters, as etcd's.
func tokenPrefix() (string, error) {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 16)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(letters))))
		if err != nil {
			return "", fmt.Errorf("server: token: %w", err)
		}
		b[i] = letters[n.Int64()]
	}
	return string(b), nil
}

// passwordHash is what a password turns into before it enters the log:
// its bcrypt hash, or a hash the client made itself (hashedPassword, in
// base64, as etcd accepts).
func (s *Server) passwordHash(password, hashed string) ([]byte, error) {
	if hashed != "" {
		h, err := base64.StdEncoding.DecodeString(hashed)
		if err != nil {
			return nil, ErrAuthFailed
		}
		return h, nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("server: hash password: %w", err)
	}
	return h, nil
}

func (s *Server) UserAdd(ctx context.Context, name, password, hashed string, noPassword bool) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	if name == "" {
		return Header{}, ErrUserEmpty
	}
	req := &auth.Request{Op: auth.OpUserAdd, User: name, NoPassword: noPassword}
	if !noPassword {
		h, err := s.passwordHash(password, hashed)
		if err != nil {
			return Header{}, err
		}
		req.Password = h
	}
	return s.authChange(ctx, req)
}

func (s *Server) UserChangePassword(ctx context.Context, name, password, hashed string) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	h, err := s.passwordHash(password, hashed)
	if err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpUserChangePassword, User: name, Password: h})
}

func (s *Server) UserDelete(ctx context.Context, name string) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpUserDelete, User: name})
}

func (s *Server) UserGrantRole(ctx context.Context, user, role string) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpUserGrantRole, User: user, Role: role})
}

func (s *Server) UserRevokeRole(ctx context.Context, user, role string) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpUserRevokeRole, User: user, Role: role})
}

func (s *Server) RoleAdd(ctx context.Context, name string) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	if name == "" {
		return Header{}, ErrRoleEmpty
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpRoleAdd, Role: name})
}

func (s *Server) RoleDelete(ctx context.Context, name string) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpRoleDelete, Role: name})
}

func (s *Server) RoleGrantPermission(ctx context.Context, role string, p api.Permission) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpRoleGrantPermission, Role: role,
		Perm: auth.Permission{Type: auth.PermType(p.Type), Key: p.Key, RangeEnd: p.RangeEnd}})
}

func (s *Server) RoleRevokePermission(ctx context.Context, role string, key, rangeEnd []byte) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	return s.authChange(ctx, &auth.Request{Op: auth.OpRoleRevokePermission, Role: role, Perm: auth.Permission{Key: key, RangeEnd: rangeEnd}})
}

// The queries read the auth state after a read barrier, so that they see
// every change committed before them (etcd sends them through its log).

// UserGet: an administrator may see any user; anyone else only themselves.
func (s *Server) UserGet(ctx context.Context, name string) ([]string, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, Header{}, err
	}
	st := s.member.Auth()
	if err := st.CheckAdmin(c); err != nil && !(st.Enabled() && c.User == name) {
		return nil, Header{}, toError(err)
	}
	u, ok := st.User(name)
	if !ok {
		return nil, Header{}, ErrUserNotFound
	}
	return u.Roles, s.header(s.member.Store().Rev()), nil
}

// RoleGet: an administrator may see any role; anyone else only those they hold.
func (s *Server) RoleGet(ctx context.Context, name string) ([]api.Permission, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, Header{}, err
	}
	st := s.member.Auth()
	if err := st.CheckAdmin(c); err != nil && !st.HasRole(c.User, name) {
		return nil, Header{}, toError(err)
	}
	r, ok := st.Role(name)
	if !ok {
		return nil, Header{}, ErrRoleNotFound
	}
	perms := make([]api.Permission, len(r.Perms))
	for i, p := range r.Perms {
		perms[i] = api.Permission{Type: api.PermType(p.Type), Key: p.Key, RangeEnd: p.RangeEnd}
	}
	return perms, s.header(s.member.Store().Rev()), nil
}

func (s *Server) UserList(ctx context.Context) ([]string, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, Header{}, err
	}
	return s.member.Auth().Users(), s.header(s.member.Store().Rev()), nil
}

func (s *Server) RoleList(ctx context.Context) ([]string, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	if err := s.barrier(ctx, true); err != nil {
		return nil, Header{}, err
	}
	return s.member.Auth().Roles(), s.header(s.member.Store().Rev()), nil
}

// watchRefusal is the cancel reason of a watch its caller may not open:
// etcd's words, the gRPC status as a string.
func watchRefusal(err error) string {
	e := toError(err)
	var code string
	switch {
	case errors.Is(e, ErrPermissionDenied):
		code = "PermissionDenied"
	default:
		code = e.Code.String()
	}
	return fmt.Sprintf("rpc error: code = %s desc = %s", code, e.Message)
}
