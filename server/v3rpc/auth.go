package v3rpc

import (
	"context"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// credentials are who a call says it comes from, as etcd reads them: the
// "token" metadata (or "authorization", with or without "Bearer "), and
// the common name of a verified TLS client certificate.
func credentialsOf(ctx context.Context) api.Credentials {
	var c api.Credentials
	ts := metadata.ValueFromIncomingContext(ctx, "token")
	if len(ts) == 0 {
		ts = metadata.ValueFromIncomingContext(ctx, "authorization")
	}
	if len(ts) > 0 {
		c.Token = strings.TrimPrefix(ts[0], "Bearer ")
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 && len(ti.State.VerifiedChains[0]) > 0 {
			c.CommonName = ti.State.VerifiedChains[0][0].Subject.CommonName
		}
	}
	return c
}

// authServer is etcd's Auth service.
type authServer struct {
	pb.UnimplementedAuthServer
	b api.Backend
}

func (s *authServer) AuthEnable(ctx context.Context, _ *pb.AuthEnableRequest) (*pb.AuthEnableResponse, error) {
	h, err := s.b.AuthEnable(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthEnableResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) AuthDisable(ctx context.Context, _ *pb.AuthDisableRequest) (*pb.AuthDisableResponse, error) {
	h, err := s.b.AuthDisable(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthDisableResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) AuthStatus(ctx context.Context, _ *pb.AuthStatusRequest) (*pb.AuthStatusResponse, error) {
	on, rev, h, err := s.b.AuthStatus(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthStatusResponse{Header: pbconv.Header(h), Enabled: on, AuthRevision: rev}, nil
}

func (s *authServer) Authenticate(ctx context.Context, r *pb.AuthenticateRequest) (*pb.AuthenticateResponse, error) {
	token, h, err := s.b.Authenticate(ctx, r.Name, r.Password)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthenticateResponse{Header: pbconv.Header(h), Token: token}, nil
}

func (s *authServer) UserAdd(ctx context.Context, r *pb.AuthUserAddRequest) (*pb.AuthUserAddResponse, error) {
	h, err := s.b.UserAdd(ctx, r.Name, r.Password, r.HashedPassword, r.Options.GetNoPassword())
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserAddResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) UserGet(ctx context.Context, r *pb.AuthUserGetRequest) (*pb.AuthUserGetResponse, error) {
	roles, h, err := s.b.UserGet(ctx, r.Name)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserGetResponse{Header: pbconv.Header(h), Roles: roles}, nil
}

func (s *authServer) UserList(ctx context.Context, _ *pb.AuthUserListRequest) (*pb.AuthUserListResponse, error) {
	users, h, err := s.b.UserList(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserListResponse{Header: pbconv.Header(h), Users: users}, nil
}

func (s *authServer) UserDelete(ctx context.Context, r *pb.AuthUserDeleteRequest) (*pb.AuthUserDeleteResponse, error) {
	h, err := s.b.UserDelete(ctx, r.Name)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserDeleteResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) UserChangePassword(ctx context.Context, r *pb.AuthUserChangePasswordRequest) (*pb.AuthUserChangePasswordResponse, error) {
	h, err := s.b.UserChangePassword(ctx, r.Name, r.Password, r.HashedPassword)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserChangePasswordResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) UserGrantRole(ctx context.Context, r *pb.AuthUserGrantRoleRequest) (*pb.AuthUserGrantRoleResponse, error) {
	h, err := s.b.UserGrantRole(ctx, r.User, r.Role)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserGrantRoleResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) UserRevokeRole(ctx context.Context, r *pb.AuthUserRevokeRoleRequest) (*pb.AuthUserRevokeRoleResponse, error) {
	h, err := s.b.UserRevokeRole(ctx, r.Name, r.Role)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthUserRevokeRoleResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) RoleAdd(ctx context.Context, r *pb.AuthRoleAddRequest) (*pb.AuthRoleAddResponse, error) {
	h, err := s.b.RoleAdd(ctx, r.Name)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthRoleAddResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) RoleGet(ctx context.Context, r *pb.AuthRoleGetRequest) (*pb.AuthRoleGetResponse, error) {
	perms, h, err := s.b.RoleGet(ctx, r.Role)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthRoleGetResponse{Header: pbconv.Header(h), Perm: pbconv.Permissions(perms)}, nil
}

func (s *authServer) RoleList(ctx context.Context, _ *pb.AuthRoleListRequest) (*pb.AuthRoleListResponse, error) {
	roles, h, err := s.b.RoleList(ctx)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthRoleListResponse{Header: pbconv.Header(h), Roles: roles}, nil
}

func (s *authServer) RoleDelete(ctx context.Context, r *pb.AuthRoleDeleteRequest) (*pb.AuthRoleDeleteResponse, error) {
	h, err := s.b.RoleDelete(ctx, r.Role)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthRoleDeleteResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) RoleGrantPermission(ctx context.Context, r *pb.AuthRoleGrantPermissionRequest) (*pb.AuthRoleGrantPermissionResponse, error) {
	if r.Perm == nil {
		return nil, togRPCError(errPermissionNotGiven)
	}
	h, err := s.b.RoleGrantPermission(ctx, r.Name, api.Permission{Type: api.PermType(r.Perm.PermType), Key: r.Perm.Key, RangeEnd: r.Perm.RangeEnd})
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthRoleGrantPermissionResponse{Header: pbconv.Header(h)}, nil
}

func (s *authServer) RoleRevokePermission(ctx context.Context, r *pb.AuthRoleRevokePermissionRequest) (*pb.AuthRoleRevokePermissionResponse, error) {
	h, err := s.b.RoleRevokePermission(ctx, r.Role, r.Key, r.RangeEnd)
	if err != nil {
		return nil, togRPCError(err)
	}
	return &pb.AuthRoleRevokePermissionResponse{Header: pbconv.Header(h)}, nil
}
