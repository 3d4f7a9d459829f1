package main

import (
	"context"
	"strings"

	"github.com/raftkv/raftkv/client"
)

// A user has a password and roles; what it may do is the union of what its
// roles allow. The user root, once it holds the role root, may do anything.

func userCommand() *command {
	return &command{
		name:  "user",
		short: "User related commands",
		long: `Adds, lists and deletes users, changes their passwords, and grants them roles (what
a user may do is what its roles allow). While auth is on, only root may.`,
		example: `raftkvctl user add alice --new-user-password=secret
raftkvctl user grant-role alice reader
raftkvctl user get alice --detail`,
		subs: []*command{
			userAddCommand(), userDeleteCommand(), userGetCommand(), userListCommand(),
			userPasswdCommand(), userGrantRoleCommand(), userRevokeRoleCommand(),
		},
	}
}

func userAddCommand() *command {
	return &command{
		name:  "add",
		args:  "<user name or user:password> [options]",
		short: "Adds a new user",
		long: `Adds a user. The password is the one after the colon (alice:secret), or given by
--new-user-password, or asked for twice at the terminal; with --interactive=false,
it is the first word of standard input.`,
		example: `raftkvctl user add alice --new-user-password=secret
raftkvctl user add alice:secret
echo secret | raftkvctl user add alice --interactive=false`,
		setup: func(fs *flagSet) runFunc {
			interactive := fs.Bool("interactive", "", true, "Read password from stdin instead of interactive terminal")
			newPassword := fs.String("new-user-password", "", "", "Supply password from the command line flag")
			noPassword := fs.Bool("no-password", "", false, "Create a user without password (CN based auth only)")
			return func(e *env, args []string) error {
				if len(args) != 1 {
					return usagef("user add command requires user name as its argument")
				}
				user, password := args[0], ""
				opts := &client.UserAddOptions{NoPassword: *noPassword}
				switch name, inline, hasColon := strings.Cut(args[0], ":"); {
				case *noPassword:
				case *newPassword != "":
					password = *newPassword
				case hasColon:
					if name == "" {
						return usagef("empty user name is not allowed")
					}
					user, password = name, inline
				case !*interactive:
					password = readWord(e.stdin)
				default:
					var err error
					if password, err = e.askNewPassword(user); err != nil {
						return err
					}
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.UserAddWithOptions(ctx, user, password, opts)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.UserAdd(user, resp) })
				})
			}
		},
	}
}

// userCall completes a command that takes a user name (and maybe more):
// it checks the count of arguments, with etcdctl's words when it is wrong,
// then runs the call.
func userCall(n int, usage string, call func(e *env, ctx context.Context, c *client.Client, args []string) error) runFunc {
	return func(e *env, args []string) error {
		if len(args) != n {
			return usagef("%s", usage)
		}
		return e.request(func(ctx context.Context, c *client.Client) error { return call(e, ctx, c, args) })
	}
}

func userDeleteCommand() *command {
	return &command{
		name:    "delete",
		args:    "<user name>",
		short:   "Deletes a user",
		long:    "Deletes a user. Its tokens stop working at once.",
		example: "raftkvctl user delete alice",
		setup: func(fs *flagSet) runFunc {
			return userCall(1, "user delete command requires user name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				resp, err := c.UserDelete(ctx, args[0])
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.UserDelete(args[0], resp) })
			})
		},
	}
}

func userGetCommand() *command {
	return &command{
		name:  "get",
		args:  "<user name> [options]",
		short: "Gets detailed information of a user",
		long: `Lists a user's roles; with --detail, each role's permissions. A user may ask about
itself and its own roles; about others, only root may.`,
		example: "raftkvctl user get alice --detail",
		setup: func(fs *flagSet) runFunc {
			detail := fs.Bool("detail", "", false, "Show permissions of roles granted to the user")
			return userCall(1, "user get command requires user name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				name := args[0]
				resp, err := c.UserGet(ctx, name)
				if err != nil {
					return err
				}
				if !*detail {
					return e.show(func(p printer) error { return p.UserGet(name, resp) })
				}
				if err := e.printf("User: %s\n", name); err != nil {
					return err
				}
				for _, role := range resp.Roles {
					if err := e.printf("\n"); err != nil {
						return err
					}
					r, err := c.RoleGet(ctx, role)
					if err != nil {
						return err
					}
					if err := e.show(func(p printer) error { return p.RoleGet(role, r) }); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
}

func userListCommand() *command {
	return &command{
		name:    "list",
		short:   "Lists all users",
		long:    "Lists the users, sorted by name.",
		example: "raftkvctl user list",
		setup: func(fs *flagSet) runFunc {
			return userCall(0, "user list command requires no arguments", func(e *env, ctx context.Context, c *client.Client, _ []string) error {
				resp, err := c.UserList(ctx)
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.UserList(resp) })
			})
		},
	}
}

func userPasswdCommand() *command {
	return &command{
		name:  "passwd",
		args:  "<user name> [options]",
		short: "Changes password of user",
		long: `Changes a user's password, asked for twice at the terminal, or, with
--interactive=false, the first word of standard input. The user's tokens stop
working at once.`,
		example: `raftkvctl user passwd alice
echo newsecret | raftkvctl user passwd alice --interactive=false`,
		setup: func(fs *flagSet) runFunc {
			interactive := fs.Bool("interactive", "", true, "If true, read password from stdin instead of interactive terminal")
			return func(e *env, args []string) error {
				if len(args) != 1 {
					return usagef("user passwd command requires user name as its argument")
				}
				password := ""
				if !*interactive {
					password = readWord(e.stdin)
				} else {
					var err error
					if password, err = e.askNewPassword(args[0]); err != nil {
						return err
					}
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.UserChangePassword(ctx, args[0], password)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.UserChangePassword(resp) })
				})
			}
		},
	}
}

func userGrantRoleCommand() *command {
	return &command{
		name:    "grant-role",
		args:    "<user name> <role name>",
		short:   "Grants a role to a user",
		long:    "Grants a role to a user: the user may then do what the role allows.",
		example: "raftkvctl user grant-role alice reader",
		setup: func(fs *flagSet) runFunc {
			return userCall(2, "user grant command requires user name and role name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				resp, err := c.UserGrantRole(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.UserGrantRole(args[0], args[1], resp) })
			})
		},
	}
}

func userRevokeRoleCommand() *command {
	return &command{
		name:    "revoke-role",
		args:    "<user name> <role name>",
		short:   "Revokes a role from a user",
		long:    "Takes a role away from a user. While auth is on, the role root cannot be taken from the user root.",
		example: "raftkvctl user revoke-role alice reader",
		setup: func(fs *flagSet) runFunc {
			return userCall(2, "user revoke-role requires user name and role name as its argument", func(e *env, ctx context.Context, c *client.Client, args []string) error {
				resp, err := c.UserRevokeRole(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.UserRevokeRole(args[0], args[1], resp) })
			})
		},
	}
}
