package main

import (
	"context"
	"errors"

	"github.com/raftkv/raftkv/client"
)

// Authentication is off until auth enable; then every request must come
// from a user (--user) whose roles allow it, and only the user root, which
// holds the role root, may change users, roles and permissions. The users
// and roles are managed with the user and role commands (user.go, role.go),
// before or after auth is enabled.

func authCommand() *command {
	return &command{
		name:  "auth",
		short: "Enable or disable authentication",
		long: `Turns authentication on or off, and tells whether it is on. With auth on, every
request needs a user (--user name:password) whose roles allow it; the user root
(holding the role root) may do everything, and alone may manage users and roles.`,
		example: `raftkvctl user add root --new-user-password=rootpw
raftkvctl auth enable
raftkvctl --user root:rootpw auth status
raftkvctl --user root:rootpw auth disable`,
		subs: []*command{authEnableCommand(), authDisableCommand(), authStatusCommand()},
	}
}

func authEnableCommand() *command {
	return &command{
		name:  "enable",
		short: "Enables authentication",
		long: `Enables authentication. The user root must exist; if it lacks the role root, the
role is created and granted to it first, as etcdctl does.`,
		example: "raftkvctl auth enable",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				if len(args) != 0 {
					return usagef("auth enable command does not accept any arguments")
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					if err := enableAuth(ctx, c); err != nil {
						return err
					}
					return e.printf("Authentication Enabled\n")
				})
			}
		},
	}
}

// enableAuth enables auth, giving the user root the role root if the
// server says it lacks it (creating the role), and trying once more.
func enableAuth(ctx context.Context, c *client.Client) error {
	_, err := c.AuthEnable(ctx)
	if !errors.Is(err, client.ErrRootRoleNotExist) {
		return err
	}
	if _, err := c.RoleAdd(ctx, "root"); err != nil {
		return err
	}
	if _, err := c.UserGrantRole(ctx, "root", "root"); err != nil {
		return err
	}
	_, err = c.AuthEnable(ctx)
	return err
}

func authDisableCommand() *command {
	return &command{
		name:    "disable",
		short:   "Disables authentication",
		long:    "Disables authentication: every request is allowed again, and tokens are ignored.",
		example: "raftkvctl --user root:rootpw auth disable",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				if len(args) != 0 {
					return usagef("auth disable command does not accept any arguments")
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					if _, err := c.AuthDisable(ctx); err != nil {
						return err
					}
					return e.printf("Authentication Disabled\n")
				})
			}
		},
	}
}

func authStatusCommand() *command {
	return &command{
		name:  "status",
		short: "Returns authentication status",
		long: `Tells whether authentication is on, and the auth revision: the number of changes
made to users, roles and permissions. Anyone may ask, without a user.`,
		example: "raftkvctl auth status",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				if len(args) != 0 {
					return usagef("auth status command does not accept any arguments")
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.AuthStatus(ctx)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.AuthStatus(resp) })
				})
			}
		},
	}
}
