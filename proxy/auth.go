package proxy

import (
	"context"

	"go.etcd.io/etcd/api/v3/authpb"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// The Auth service, passed through: users, roles and tokens are the
// cluster's. A client logs in through the proxy and gets the cluster's
// token, which the proxy hands on with each of that client's calls; a
// permission is checked by the member that serves the call, as if the
// client had called it. A client certificate's name stops at the proxy —
// the members see the proxy's own connection — as with etcd's proxy.

// unary makes one call to the cluster on the caller's behalf and returns
// its answer and header.
func unary[T interface{ GetHeader() *pb.ResponseHeader }](p *Proxy, ctx context.Context, call func(ctx context.Context) (T, error)) (T, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := call(outgoing(ctx))
	if err != nil {
		return out, api.Header{}, fromGRPC(err)
	}
	return out, pbconv.FromHeader(out.GetHeader()), nil
}

func (p *Proxy) AuthEnable(ctx context.Context) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthEnableResponse, error) {
		return p.up.auth.AuthEnable(ctx, &pb.AuthEnableRequest{})
	})
	if err == nil {
		// From now on the cluster decides who reads what: the cache
		// stops at once, not at the next status check.
		p.follow.stop()
	}
	return h, err
}

func (p *Proxy) AuthDisable(ctx context.Context) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthDisableResponse, error) {
		return p.up.auth.AuthDisable(ctx, &pb.AuthDisableRequest{})
	})
	return h, err
}

func (p *Proxy) AuthStatus(ctx context.Context) (bool, uint64, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthStatusResponse, error) {
		return p.up.auth.AuthStatus(ctx, &pb.AuthStatusRequest{})
	})
	if err != nil {
		return false, 0, h, err
	}
	return out.Enabled, out.AuthRevision, h, nil
}

func (p *Proxy) Authenticate(ctx context.Context, name, password string) (string, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthenticateResponse, error) {
		return p.up.auth.Authenticate(ctx, &pb.AuthenticateRequest{Name: name, Password: password})
	})
	if err != nil {
		return "", h, err
	}
	return out.Token, h, nil
}

func (p *Proxy) UserAdd(ctx context.Context, name, password, hashedPassword string, noPassword bool) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserAddResponse, error) {
		return p.up.auth.UserAdd(ctx, &pb.AuthUserAddRequest{
			Name: name, Password: password, HashedPassword: hashedPassword, Options: &authpb.UserAddOptions{NoPassword: noPassword},
		})
	})
	return h, err
}

func (p *Proxy) UserGet(ctx context.Context, name string) ([]string, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserGetResponse, error) {
		return p.up.auth.UserGet(ctx, &pb.AuthUserGetRequest{Name: name})
	})
	if err != nil {
		return nil, h, err
	}
	return out.Roles, h, nil
}

func (p *Proxy) UserList(ctx context.Context) ([]string, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserListResponse, error) {
		return p.up.auth.UserList(ctx, &pb.AuthUserListRequest{})
	})
	if err != nil {
		return nil, h, err
	}
	return out.Users, h, nil
}

func (p *Proxy) UserDelete(ctx context.Context, name string) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserDeleteResponse, error) {
		return p.up.auth.UserDelete(ctx, &pb.AuthUserDeleteRequest{Name: name})
	})
	return h, err
}

func (p *Proxy) UserChangePassword(ctx context.Context, name, password, hashedPassword string) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserChangePasswordResponse, error) {
		return p.up.auth.UserChangePassword(ctx, &pb.AuthUserChangePasswordRequest{Name: name, Password: password, HashedPassword: hashedPassword})
	})
	return h, err
}

func (p *Proxy) UserGrantRole(ctx context.Context, user, role string) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserGrantRoleResponse, error) {
		return p.up.auth.UserGrantRole(ctx, &pb.AuthUserGrantRoleRequest{User: user, Role: role})
	})
	return h, err
}

func (p *Proxy) UserRevokeRole(ctx context.Context, user, role string) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthUserRevokeRoleResponse, error) {
		return p.up.auth.UserRevokeRole(ctx, &pb.AuthUserRevokeRoleRequest{Name: user, Role: role})
	})
	return h, err
}

func (p *Proxy) RoleAdd(ctx context.Context, name string) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthRoleAddResponse, error) {
		return p.up.auth.RoleAdd(ctx, &pb.AuthRoleAddRequest{Name: name})
	})
	return h, err
}

func (p *Proxy) RoleGet(ctx context.Context, name string) ([]api.Permission, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthRoleGetResponse, error) {
		return p.up.auth.RoleGet(ctx, &pb.AuthRoleGetRequest{Role: name})
	})
	if err != nil {
		return nil, h, err
	}
	perms := make([]api.Permission, len(out.Perm))
	for i, pm := range out.Perm {
		perms[i] = api.Permission{Type: api.PermType(pm.PermType), Key: pm.Key, RangeEnd: pm.RangeEnd}
	}
	return perms, h, nil
}

func (p *Proxy) RoleList(ctx context.Context) ([]string, api.Header, error) {
	out, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthRoleListResponse, error) {
		return p.up.auth.RoleList(ctx, &pb.AuthRoleListRequest{})
	})
	if err != nil {
		return nil, h, err
	}
	return out.Roles, h, nil
}

func (p *Proxy) RoleDelete(ctx context.Context, name string) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthRoleDeleteResponse, error) {
		return p.up.auth.RoleDelete(ctx, &pb.AuthRoleDeleteRequest{Role: name})
	})
	return h, err
}

func (p *Proxy) RoleGrantPermission(ctx context.Context, role string, perm api.Permission) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthRoleGrantPermissionResponse, error) {
		return p.up.auth.RoleGrantPermission(ctx, &pb.AuthRoleGrantPermissionRequest{
			Name: role, Perm: &authpb.Permission{PermType: authpb.Permission_Type(perm.Type), Key: perm.Key, RangeEnd: perm.RangeEnd},
		})
	})
	return h, err
}

func (p *Proxy) RoleRevokePermission(ctx context.Context, role string, key, rangeEnd []byte) (api.Header, error) {
	_, h, err := unary(p, ctx, func(ctx context.Context) (*pb.AuthRoleRevokePermissionResponse, error) {
		return p.up.auth.RoleRevokePermission(ctx, &pb.AuthRoleRevokePermissionRequest{Role: role, Key: key, RangeEnd: rangeEnd})
	})
	return h, err
}
