package main

import (
	"context"
	"errors"

	"github.com/raftkv/raftkv/client"
)

// A role is a set of permissions, each letting its holders read, write or
// both the keys of one interval: a key alone, [key, endkey), a prefix
// (--prefix), or every key from key on (--from-key). An empty key with
// --prefix or --from-key is every key.

func roleCommand() *command {
	return &command{
		name:  "role",
		short: "Role related commands",
		long: `Adds, lists and deletes roles, and grants them permissions on keys: read, write or
readwrite, on a key, a range [key, endkey), a prefix (--prefix) or every key from
a key on (--from-key). While auth is on, only root may.`,
		example: `raftkvctl role add reader
raftkvctl role grant-permission reader read /app/ --prefix
raftkvctl role get reader`,
		subs: []*command{
			roleAddCommand(), roleDeleteCommand(), roleGetCommand(), roleListCommand(),
			roleGrantPermissionCommand(), roleRevokePermissionCommand(),
		},
	}
}

func roleAddCommand() *command {
	return &command{
		name:    "add",
		args:    "<role name>",
		short:   "Adds a new role",
		long:    "Adds a role, without permissions.",
		example: "raftkvctl role add reader",
		setup: func(fs *flagSet) runFunc {
			return userCall(1, "role add command requires role name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				resp, err := c.RoleAdd(ctx, args[0])
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.RoleAdd(args[0], resp) })
			})
		},
	}
}

func roleDeleteCommand() *command {
	return &command{
		name:    "delete",
		args:    "<role name>",
		short:   "Deletes a role",
		long:    "Deletes a role, and takes it from the users that hold it.",
		example: "raftkvctl role delete reader",
		setup: func(fs *flagSet) runFunc {
			return userCall(1, "role delete command requires role name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				resp, err := c.RoleDelete(ctx, args[0])
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.RoleDelete(args[0], resp) })
			})
		},
	}
}

func roleGetCommand() *command {
	return &command{
		name:  "get",
		args:  "<role name>",
		short: "Gets detailed information of a role",
		long: `Lists the keys a role may read (KV Read) and write (KV Write): a key, a range
"[key, end)", "[key, <open ended>" for every key from key on, marked "(prefix key)"
when the range is a prefix. The role root may read and write every key.`,
		example: "raftkvctl role get reader",
		setup: func(fs *flagSet) runFunc {
			return userCall(1, "role get command requires role name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				resp, err := c.RoleGet(ctx, args[0])
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.RoleGet(args[0], resp) })
			})
		},
	}
}

func roleListCommand() *command {
	return &command{
		name:    "list",
		short:   "Lists all roles",
		long:    "Lists the roles, sorted by name.",
		example: "raftkvctl role list",
		setup: func(fs *flagSet) runFunc {
			return userCall(0, "role list command requires no arguments", func(e *env, ctx context.Context, c *client.Client, _ []string) error {
				resp, err := c.RoleList(ctx)
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.RoleList(resp) })
			})
		},
	}
}

func roleGrantPermissionCommand() *command {
	return &command{
		name:  "grant-permission",
		args:  "[options] <role name> <permission type> <key> [endkey]",
		short: "Grants a key to a role",
		long: `Lets a role read, write or readwrite (in any case) a key, the range [key, endkey),
the keys with a prefix (--prefix) or every key from key on (--from-key). Granting an
interval the role already has changes only its type.`,
		example: `raftkvctl role grant-permission reader read /app/config
raftkvctl role grant-permission reader read /app/ --prefix
raftkvctl role grant-permission writer readwrite /logs/ /logs0`,
		setup: func(fs *flagSet) runFunc {
			flags := permFlags(fs, "grant")
			return func(e *env, args []string) error {
				if len(args) < 3 {
					return usagef("role grant command requires role name, permission type, and key [endkey] as its argument")
				}
				perm, err := client.StrToPermissionType(args[1])
				if err != nil {
					return withCode(exitBadArgs, err)
				}
				key, end, err := flags.interval(args[2:])
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.RoleGrantPermission(ctx, args[0], key, end, perm)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.RoleGrantPermission(args[0], resp) })
				})
			}
		},
	}
}

func roleRevokePermissionCommand() *command {
	return &command{
		name:  "revoke-permission",
		args:  "<role name> <key> [endkey]",
		short: "Revokes a key from a role",
		long: `Takes away a role's permission on exactly the interval given (the flags as in
grant-permission): there is no partial revoke.`,
		example: `raftkvctl role revoke-permission reader /app/config
raftkvctl role revoke-permission reader /app/ --prefix`,
		setup: func(fs *flagSet) runFunc {
			flags := permFlags(fs, "revoke")
			return func(e *env, args []string) error {
				if len(args) < 2 {
					return usagef("role revoke-permission command requires role name and key [endkey] as its argument")
				}
				key, end, err := flags.interval(args[1:])
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.RoleRevokePermission(ctx, args[0], key, end)
					if err != nil {
						return err
					}
					// The key as typed, the range end as the flags made it.
					return e.show(func(p printer) error { return p.RoleRevokePermission(args[0], args[1], end, resp) })
				})
			}
		},
	}
}

// permIntervalFlags are --prefix and --from-key of grant- and
// revoke-permission.
type permIntervalFlags struct{ prefix, fromKey *bool }

func permFlags(fs *flagSet, verb string) permIntervalFlags {
	return permIntervalFlags{
		prefix:  fs.Bool("prefix", "", false, verb+" a prefix permission"),
		fromKey: fs.Bool("from-key", "", false, verb+" a permission of keys that are greater than or equal to the given key using byte compare"),
	}
}

// interval turns <key> [endkey] and the flags into a permission's key and
// range end, as etcdctl does. The empty key is written "\x00" (the smallest
// key), so that with --prefix or --from-key it means every key.
func (f permIntervalFlags) interval(args []string) (key, end string, err error) {
	prefix, fromKey := *f.prefix, *f.fromKey
	exclusive := usagef("--from-key and --prefix flags are mutually exclusive")
	key = args[0]
	switch {
	case key == "" && prefix && fromKey:
		return "", "", exclusive
	case key == "" && (prefix || fromKey):
		return "\x00", "\x00", nil
	case key == "":
		return "\x00", "", nil
	case len(args) == 1 && prefix && fromKey:
		return "", "", exclusive
	case len(args) == 1 && prefix:
		return key, client.GetPrefixRangeEnd(key), nil
	case len(args) == 1 && fromKey:
		return key, "\x00", nil
	case len(args) == 1:
		return key, "", nil
	case prefix:
		return "", "", withCode(exitBadArgs, errors.New("unexpected endkey argument with --prefix flag"))
	case fromKey:
		return "", "", withCode(exitBadArgs, errors.New("unexpected endkey argument with --from-key flag"))
	}
	return key, args[1], nil
}
