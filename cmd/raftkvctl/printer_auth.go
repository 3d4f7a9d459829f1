package main

import (
	"fmt"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// authPrinter is the part of printer that shows the answers of the auth,
// user and role commands, in every format, as etcdctl's printers do. The
// simple format says what was done ("User alice created") in the words of
// the command line, so most methods get the names the user typed; -w json
// prints the answer; -w fields its header (and a role's permissions, the
// roles); -w table none of them.
type authPrinter interface {
	AuthStatus(r *client.AuthStatusResponse) error

	UserAdd(user string, r *client.AuthUserAddResponse) error
	UserGet(user string, r *client.AuthUserGetResponse) error
	UserList(r *client.AuthUserListResponse) error
	UserChangePassword(r *client.AuthUserChangePasswordResponse) error
	UserGrantRole(user, role string, r *client.AuthUserGrantRoleResponse) error
	UserRevokeRole(user, role string, r *client.AuthUserRevokeRoleResponse) error
	UserDelete(user string, r *client.AuthUserDeleteResponse) error

	RoleAdd(role string, r *client.AuthRoleAddResponse) error
	RoleGet(role string, r *client.AuthRoleGetResponse) error
	RoleList(r *client.AuthRoleListResponse) error
	RoleGrantPermission(role string, r *client.AuthRoleGrantPermissionResponse) error
	// RoleRevokePermission gets the key as typed and the range end the
	// flags made of it.
	RoleRevokePermission(role, key, end string, r *client.AuthRoleRevokePermissionResponse) error
	RoleDelete(role string, r *client.AuthRoleDeleteResponse) error
}

func (p *simplePrinter) AuthStatus(r *client.AuthStatusResponse) error {
	fmt.Fprintln(p.w, "Authentication Status:", r.Enabled)
	fmt.Fprintln(p.w, "AuthRevision:", r.AuthRevision)
	return nil
}

func (p *simplePrinter) UserAdd(user string, _ *client.AuthUserAddResponse) error {
	fmt.Fprintf(p.w, "User %s created\n", user)
	return nil
}

func (p *simplePrinter) UserGet(user string, r *client.AuthUserGetResponse) error {
	fmt.Fprintf(p.w, "User: %s\n", user)
	fmt.Fprint(p.w, "Roles:")
	for _, role := range r.Roles {
		fmt.Fprintf(p.w, " %s", role)
	}
	fmt.Fprintln(p.w)
	return nil
}

func (p *simplePrinter) UserList(r *client.AuthUserListResponse) error {
	for _, u := range r.Users {
		fmt.Fprintln(p.w, u)
	}
	return nil
}

func (p *simplePrinter) UserChangePassword(*client.AuthUserChangePasswordResponse) error {
	fmt.Fprintln(p.w, "Password updated")
	return nil
}

func (p *simplePrinter) UserGrantRole(user, role string, _ *client.AuthUserGrantRoleResponse) error {
	fmt.Fprintf(p.w, "Role %s is granted to user %s\n", role, user)
	return nil
}

func (p *simplePrinter) UserRevokeRole(user, role string, _ *client.AuthUserRevokeRoleResponse) error {
	fmt.Fprintf(p.w, "Role %s is revoked from user %s\n", role, user)
	return nil
}

func (p *simplePrinter) UserDelete(user string, _ *client.AuthUserDeleteResponse) error {
	fmt.Fprintf(p.w, "User %s deleted\n", user)
	return nil
}

func (p *simplePrinter) RoleAdd(role string, _ *client.AuthRoleAddResponse) error {
	fmt.Fprintf(p.w, "Role %s created\n", role)
	return nil
}

// RoleGet lists the keys the role may read, then those it may write (a
// READWRITE permission in both): a key alone, or an interval "[key, end)",
// "[key, <open ended>" when it runs to the end of the key space, marked
// "(prefix key)" when it is exactly a prefix. The bytes are printed raw, as
// etcdctl does: a permission on every key shows its key "\x00" as a NUL.
func (p *simplePrinter) RoleGet(role string, r *client.AuthRoleGetResponse) error {
	fmt.Fprintf(p.w, "Role %s\n", role)
	if role == "root" && r.Perm == nil {
		// An older etcd sends root no permission: it may do anything.
		fmt.Fprint(p.w, "KV Read:\n\t[, <open ended>\nKV Write:\n\t[, <open ended>\n")
		return nil
	}
	fmt.Fprintln(p.w, "KV Read:")
	p.permissions(r.Perm, wire.PermRead)
	fmt.Fprintln(p.w, "KV Write:")
	p.permissions(r.Perm, wire.PermWrite)
	return nil
}

// permissions prints the permissions that allow kind (READWRITE allows
// both).
func (p *simplePrinter) permissions(perms []wire.Permission, kind wire.PermissionType) {
	for _, perm := range perms {
		if perm.PermType != kind && perm.PermType != wire.PermReadWrite {
			continue
		}
		key, end := string(perm.Key), string(perm.RangeEnd)
		switch {
		case end == "":
			fmt.Fprintf(p.w, "\t%s\n", key)
			continue
		case end == "\x00":
			fmt.Fprintf(p.w, "\t[%s, <open ended>", key)
		default:
			fmt.Fprintf(p.w, "\t[%s, %s)", key, end)
		}
		if key != "" && client.GetPrefixRangeEnd(key) == end {
			fmt.Fprintf(p.w, " (prefix %s)", key)
		}
		fmt.Fprintln(p.w)
	}
}

func (p *simplePrinter) RoleList(r *client.AuthRoleListResponse) error {
	for _, role := range r.Roles {
		fmt.Fprintln(p.w, role)
	}
	return nil
}

func (p *simplePrinter) RoleGrantPermission(role string, _ *client.AuthRoleGrantPermissionResponse) error {
	fmt.Fprintf(p.w, "Role %s updated\n", role)
	return nil
}

func (p *simplePrinter) RoleRevokePermission(role, key, end string, _ *client.AuthRoleRevokePermissionResponse) error {
	switch end {
	case "":
		fmt.Fprintf(p.w, "Permission of key %s is revoked from role %s\n", key, role)
	case "\x00":
		fmt.Fprintf(p.w, "Permission of range [%s, <open ended> is revoked from role %s\n", key, role)
	default:
		fmt.Fprintf(p.w, "Permission of range [%s, %s) is revoked from role %s\n", key, end, role)
	}
	return nil
}

func (p *simplePrinter) RoleDelete(role string, _ *client.AuthRoleDeleteResponse) error {
	fmt.Fprintf(p.w, "Role %s deleted\n", role)
	return nil
}

// -w json: the answer itself, through encoding/json (integers as numbers,
// the permission type as its number, READ left out).

func (p *jsonPrinter) AuthStatus(r *client.AuthStatusResponse) error               { return p.print(r) }
func (p *jsonPrinter) UserAdd(_ string, r *client.AuthUserAddResponse) error       { return p.print(r) }
func (p *jsonPrinter) UserGet(_ string, r *client.AuthUserGetResponse) error       { return p.print(r) }
func (p *jsonPrinter) UserList(r *client.AuthUserListResponse) error               { return p.print(r) }
func (p *jsonPrinter) UserDelete(_ string, r *client.AuthUserDeleteResponse) error { return p.print(r) }
func (p *jsonPrinter) UserChangePassword(r *client.AuthUserChangePasswordResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) UserGrantRole(_, _ string, r *client.AuthUserGrantRoleResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) UserRevokeRole(_, _ string, r *client.AuthUserRevokeRoleResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) RoleAdd(_ string, r *client.AuthRoleAddResponse) error { return p.print(r) }
func (p *jsonPrinter) RoleGet(_ string, r *client.AuthRoleGetResponse) error { return p.print(r) }
func (p *jsonPrinter) RoleList(r *client.AuthRoleListResponse) error         { return p.print(r) }
func (p *jsonPrinter) RoleGrantPermission(_ string, r *client.AuthRoleGrantPermissionResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) RoleRevokePermission(_, _, _ string, r *client.AuthRoleRevokePermissionResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) RoleDelete(_ string, r *client.AuthRoleDeleteResponse) error { return p.print(r) }

// -w fields: the header of each answer; a role's permissions and the list
// of roles too. etcdctl has no fields for auth status, user get and user
// list, and says so (exit code 4).

func (p *fieldsPrinter) AuthStatus(*client.AuthStatusResponse) error {
	return unsupported{"fields"}.err()
}
func (p *fieldsPrinter) UserGet(string, *client.AuthUserGetResponse) error {
	return unsupported{"fields"}.err()
}
func (p *fieldsPrinter) UserList(*client.AuthUserListResponse) error {
	return unsupported{"fields"}.err()
}
func (p *fieldsPrinter) UserAdd(_ string, r *client.AuthUserAddResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) UserChangePassword(r *client.AuthUserChangePasswordResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) UserGrantRole(_, _ string, r *client.AuthUserGrantRoleResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) UserRevokeRole(_, _ string, r *client.AuthUserRevokeRoleResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) UserDelete(_ string, r *client.AuthUserDeleteResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) RoleAdd(_ string, r *client.AuthRoleAddResponse) error {
	p.hdr(r.Header)
	return nil
}

// RoleGet prints each permission's type, key and range end (quoted as Go
// quotes strings: "\x00"). The two spaces after the colon are etcdctl's.
func (p *fieldsPrinter) RoleGet(_ string, r *client.AuthRoleGetResponse) error {
	p.hdr(r.Header)
	for _, perm := range r.Perm {
		fmt.Fprintln(p.w, `"PermType" : `, perm.PermType)
		fmt.Fprintf(p.w, "\"Key\" : %q\n", string(perm.Key))
		fmt.Fprintf(p.w, "\"RangeEnd\" : %q\n", string(perm.RangeEnd))
	}
	return nil
}

func (p *fieldsPrinter) RoleList(r *client.AuthRoleListResponse) error {
	p.hdr(r.Header)
	fmt.Fprint(p.w, `"Roles" :`)
	for _, role := range r.Roles {
		fmt.Fprintf(p.w, " %q", role)
	}
	fmt.Fprintln(p.w)
	return nil
}

func (p *fieldsPrinter) RoleGrantPermission(_ string, r *client.AuthRoleGrantPermissionResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) RoleRevokePermission(_, _, _ string, r *client.AuthRoleRevokePermissionResponse) error {
	p.hdr(r.Header)
	return nil
}
func (p *fieldsPrinter) RoleDelete(_ string, r *client.AuthRoleDeleteResponse) error {
	p.hdr(r.Header)
	return nil
}

// -w table has no auth answers: etcdctl's error, exit code 4.

func (u unsupported) AuthStatus(*client.AuthStatusResponse) error                     { return u.err() }
func (u unsupported) UserAdd(string, *client.AuthUserAddResponse) error               { return u.err() }
func (u unsupported) UserGet(string, *client.AuthUserGetResponse) error               { return u.err() }
func (u unsupported) UserList(*client.AuthUserListResponse) error                     { return u.err() }
func (u unsupported) UserChangePassword(*client.AuthUserChangePasswordResponse) error { return u.err() }
func (u unsupported) UserGrantRole(string, string, *client.AuthUserGrantRoleResponse) error {
	return u.err()
}
func (u unsupported) UserRevokeRole(string, string, *client.AuthUserRevokeRoleResponse) error {
	return u.err()
}
func (u unsupported) UserDelete(string, *client.AuthUserDeleteResponse) error { return u.err() }
func (u unsupported) RoleAdd(string, *client.AuthRoleAddResponse) error       { return u.err() }
func (u unsupported) RoleGet(string, *client.AuthRoleGetResponse) error       { return u.err() }
func (u unsupported) RoleList(*client.AuthRoleListResponse) error             { return u.err() }
func (u unsupported) RoleGrantPermission(string, *client.AuthRoleGrantPermissionResponse) error {
	return u.err()
}
func (u unsupported) RoleRevokePermission(string, string, string, *client.AuthRoleRevokePermissionResponse) error {
	return u.err()
}
func (u unsupported) RoleDelete(string, *client.AuthRoleDeleteResponse) error { return u.err() }
