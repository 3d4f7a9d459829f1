package pbconv

import (
	"go.etcd.io/etcd/api/v3/authpb"

	"github.com/raftkv/raftkv/server/api"
)

// Permissions converts a role's permissions to etcd's messages.
func Permissions(perms []api.Permission) []*authpb.Permission {
	out := make([]*authpb.Permission, len(perms))
	for i, p := range perms {
		out[i] = &authpb.Permission{PermType: authpb.Permission_Type(p.Type), Key: p.Key, RangeEnd: p.RangeEnd}
	}
	return out
}
