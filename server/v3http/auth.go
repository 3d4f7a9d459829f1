package v3http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// The Auth service's paths (/v3/auth/...). These are rare calls, so their
// JSON is not hand-written as the key-value paths' is: it is etcd's own
// messages (etcdserverpb) through protojson, with the options of etcd's
// gateway (proto field names, zero values left out, unknown fields
// ignored) — the very encoding etcd's gateway uses, field for field.

var (
	gatewayMarshal   = protojson.MarshalOptions{UseProtoNames: true}
	gatewayUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// pbAnswer is a protobuf response as the gateway writes it.
type pbAnswer struct{ m proto.Message }

func (a pbAnswer) AppendJSON(b []byte) []byte {
	out, err := gatewayMarshal.Marshal(a.m)
	if err != nil {
		return append(b, "{}"...)
	}
	// protojson varies its white space on purpose; etcd's answers have none.
	var compact bytes.Buffer
	if json.Compact(&compact, out) != nil {
		return append(b, out...)
	}
	return append(b, compact.Bytes()...)
}

// decodePB decodes a request body as etcd's gateway does: encoding/json
// reads the value first (its syntax errors are the answer), then protojson
// maps it onto the message. An empty body is {}.
func decodePB(body []byte, m proto.Message) *wire.Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var raw json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return wire.Errorf(wire.InvalidArgument, "unexpected EOF")
		}
		return wire.Errorf(wire.InvalidArgument, "%v", err)
	}
	if err := gatewayUnmarshal.Unmarshal(raw, m); err != nil {
		return wire.Errorf(wire.InvalidArgument, "%v", err)
	}
	return nil
}

// authRPC builds a gateway handler from a request type and what to do.
func authRPC[Req proto.Message](newReq func() Req, do func(ctx context.Context, req Req) (proto.Message, error)) rpc {
	return func(ctx context.Context, body []byte) (answer, *wire.Error) {
		req := newReq()
		if werr := decodePB(body, req); werr != nil {
			return nil, werr
		}
		resp, err := do(ctx, req)
		if err != nil {
			return nil, asError(err)
		}
		return pbAnswer{resp}, nil
	}
}

func (h *Handler) authRPCs() map[string]rpc {
	b := h.backend
	hdr := pbconv.Header
	return map[string]rpc{
		"auth/enable": authRPC(func() *pb.AuthEnableRequest { return &pb.AuthEnableRequest{} }, func(ctx context.Context, _ *pb.AuthEnableRequest) (proto.Message, error) {
			h, err := b.AuthEnable(ctx)
			return &pb.AuthEnableResponse{Header: hdr(h)}, err
		}),
		"auth/disable": authRPC(func() *pb.AuthDisableRequest { return &pb.AuthDisableRequest{} }, func(ctx context.Context, _ *pb.AuthDisableRequest) (proto.Message, error) {
			h, err := b.AuthDisable(ctx)
			return &pb.AuthDisableResponse{Header: hdr(h)}, err
		}),
		"auth/status": authRPC(func() *pb.AuthStatusRequest { return &pb.AuthStatusRequest{} }, func(ctx context.Context, _ *pb.AuthStatusRequest) (proto.Message, error) {
			on, rev, h, err := b.AuthStatus(ctx)
			return &pb.AuthStatusResponse{Header: hdr(h), Enabled: on, AuthRevision: rev}, err
		}),
		"auth/authenticate": authRPC(func() *pb.AuthenticateRequest { return &pb.AuthenticateRequest{} }, func(ctx context.Context, r *pb.AuthenticateRequest) (proto.Message, error) {
			token, h, err := b.Authenticate(ctx, r.Name, r.Password)
			return &pb.AuthenticateResponse{Header: hdr(h), Token: token}, err
		}),
		"auth/user/add": authRPC(func() *pb.AuthUserAddRequest { return &pb.AuthUserAddRequest{} }, func(ctx context.Context, r *pb.AuthUserAddRequest) (proto.Message, error) {
			h, err := b.UserAdd(ctx, r.Name, r.Password, r.HashedPassword, r.Options.GetNoPassword())
			return &pb.AuthUserAddResponse{Header: hdr(h)}, err
		}),
		"auth/user/get": authRPC(func() *pb.AuthUserGetRequest { return &pb.AuthUserGetRequest{} }, func(ctx context.Context, r *pb.AuthUserGetRequest) (proto.Message, error) {
			roles, h, err := b.UserGet(ctx, r.Name)
			return &pb.AuthUserGetResponse{Header: hdr(h), Roles: roles}, err
		}),
		"auth/user/list": authRPC(func() *pb.AuthUserListRequest { return &pb.AuthUserListRequest{} }, func(ctx context.Context, _ *pb.AuthUserListRequest) (proto.Message, error) {
			users, h, err := b.UserList(ctx)
			return &pb.AuthUserListResponse{Header: hdr(h), Users: users}, err
		}),
		"auth/user/delete": authRPC(func() *pb.AuthUserDeleteRequest { return &pb.AuthUserDeleteRequest{} }, func(ctx context.Context, r *pb.AuthUserDeleteRequest) (proto.Message, error) {
			h, err := b.UserDelete(ctx, r.Name)
			return &pb.AuthUserDeleteResponse{Header: hdr(h)}, err
		}),
		"auth/user/changepw": authRPC(func() *pb.AuthUserChangePasswordRequest { return &pb.AuthUserChangePasswordRequest{} }, func(ctx context.Context, r *pb.AuthUserChangePasswordRequest) (proto.Message, error) {
			h, err := b.UserChangePassword(ctx, r.Name, r.Password, r.HashedPassword)
			return &pb.AuthUserChangePasswordResponse{Header: hdr(h)}, err
		}),
		"auth/user/grant": authRPC(func() *pb.AuthUserGrantRoleRequest { return &pb.AuthUserGrantRoleRequest{} }, func(ctx context.Context, r *pb.AuthUserGrantRoleRequest) (proto.Message, error) {
			h, err := b.UserGrantRole(ctx, r.User, r.Role)
			return &pb.AuthUserGrantRoleResponse{Header: hdr(h)}, err
		}),
		"auth/user/revoke": authRPC(func() *pb.AuthUserRevokeRoleRequest { return &pb.AuthUserRevokeRoleRequest{} }, func(ctx context.Context, r *pb.AuthUserRevokeRoleRequest) (proto.Message, error) {
			h, err := b.UserRevokeRole(ctx, r.Name, r.Role)
			return &pb.AuthUserRevokeRoleResponse{Header: hdr(h)}, err
		}),
		"auth/role/add": authRPC(func() *pb.AuthRoleAddRequest { return &pb.AuthRoleAddRequest{} }, func(ctx context.Context, r *pb.AuthRoleAddRequest) (proto.Message, error) {
			h, err := b.RoleAdd(ctx, r.Name)
			return &pb.AuthRoleAddResponse{Header: hdr(h)}, err
		}),
		"auth/role/get": authRPC(func() *pb.AuthRoleGetRequest { return &pb.AuthRoleGetRequest{} }, func(ctx context.Context, r *pb.AuthRoleGetRequest) (proto.Message, error) {
			perms, h, err := b.RoleGet(ctx, r.Role)
			return &pb.AuthRoleGetResponse{Header: hdr(h), Perm: pbconv.Permissions(perms)}, err
		}),
		"auth/role/list": authRPC(func() *pb.AuthRoleListRequest { return &pb.AuthRoleListRequest{} }, func(ctx context.Context, _ *pb.AuthRoleListRequest) (proto.Message, error) {
			roles, h, err := b.RoleList(ctx)
			return &pb.AuthRoleListResponse{Header: hdr(h), Roles: roles}, err
		}),
		"auth/role/delete": authRPC(func() *pb.AuthRoleDeleteRequest { return &pb.AuthRoleDeleteRequest{} }, func(ctx context.Context, r *pb.AuthRoleDeleteRequest) (proto.Message, error) {
			h, err := b.RoleDelete(ctx, r.Role)
			return &pb.AuthRoleDeleteResponse{Header: hdr(h)}, err
		}),
		"auth/role/grant": authRPC(func() *pb.AuthRoleGrantPermissionRequest { return &pb.AuthRoleGrantPermissionRequest{} }, func(ctx context.Context, r *pb.AuthRoleGrantPermissionRequest) (proto.Message, error) {
			if r.Perm == nil {
				return nil, errPermissionNotGiven
			}
			h, err := b.RoleGrantPermission(ctx, r.Name, api.Permission{Type: api.PermType(r.Perm.PermType), Key: r.Perm.Key, RangeEnd: r.Perm.RangeEnd})
			return &pb.AuthRoleGrantPermissionResponse{Header: hdr(h)}, err
		}),
		"auth/role/revoke": authRPC(func() *pb.AuthRoleRevokePermissionRequest { return &pb.AuthRoleRevokePermissionRequest{} }, func(ctx context.Context, r *pb.AuthRoleRevokePermissionRequest) (proto.Message, error) {
			h, err := b.RoleRevokePermission(ctx, r.Role, r.Key, r.RangeEnd)
			return &pb.AuthRoleRevokePermissionResponse{Header: hdr(h)}, err
		}),
	}
}

// errPermissionNotGiven is etcd's answer to a grant without a permission.
var errPermissionNotGiven = &wire.Error{Code: wire.InvalidArgument, Message: "etcdserver: permission not given"}
