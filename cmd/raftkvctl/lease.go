package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/raftkv/raftkv/client"
)

// A lease is a TTL that keys can be attached to: when it ends (revoked, or
// not kept alive for TTL seconds), its keys are deleted. Lease IDs are
// written in hex, as etcdctl does.

func leaseCommand() *command {
	return &command{
		name:  "lease",
		short: "Lease related commands",
		long: `A lease is a time to live that keys can be attached to (put --lease): when the
lease ends, because it was revoked or not kept alive for TTL seconds, the cluster
deletes its keys. Locks and elections are built on them.`,
		example: `raftkvctl lease grant 60
raftkvctl put --lease=694d77aa9e38260f /leased/key value
raftkvctl lease keep-alive 694d77aa9e38260f`,
		subs: []*command{
			leaseGrantCommand(), leaseRevokeCommand(), leaseTimeToLiveCommand(),
			leaseListCommand(), leaseKeepAliveCommand(),
		},
	}
}

func leaseGrantCommand() *command {
	return &command{
		name:  "grant",
		args:  "<ttl>",
		short: "Creates leases",
		long: `Creates a lease with a given TTL, in seconds. The server may raise a TTL below
its minimum (one that could expire during an election).`,
		example: "raftkvctl lease grant 60",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				if len(args) != 1 {
					return usagef("lease grant command needs TTL argument")
				}
				ttl, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return usagef("bad TTL (%v)", err)
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.Grant(ctx, ttl)
					if err != nil {
						return fmt.Errorf("failed to grant lease (%w)", err)
					}
					return e.show(func(p printer) error { return p.Grant(resp) })
				})
			}
		},
	}
}

// leaseArg parses the one argument, a lease ID in hex; need is the error
// for a wrong number of arguments.
func leaseArg(args []string, need string) (int64, error) {
	if len(args) != 1 {
		return 0, usagef("%s", need)
	}
	id, err := strconv.ParseInt(args[0], 16, 64)
	if err != nil {
		return 0, usagef("bad lease ID arg (%v), expecting ID in Hex", err)
	}
	return id, nil
}

func leaseRevokeCommand() *command {
	return &command{
		name:    "revoke",
		args:    "<leaseID>",
		short:   "Revokes leases",
		long:    "Revokes a lease: it ends now, and the keys attached to it are deleted.",
		example: "raftkvctl lease revoke 694d77aa9e38260f",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				id, err := leaseArg(args, "lease revoke command needs 1 argument")
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.Revoke(ctx, id)
					if err != nil {
						return fmt.Errorf("failed to revoke lease (%w)", err)
					}
					return e.show(func(p printer) error { return p.Revoke(id, resp) })
				})
			}
		},
	}
}

func leaseTimeToLiveCommand() *command {
	return &command{
		name:    "timetolive",
		args:    "<leaseID> [options]",
		short:   "Get lease information",
		long:    "Prints a lease's granted TTL and the seconds it has left (and, with --keys, its keys).",
		example: "raftkvctl lease timetolive 694d77aa9e38260f\nraftkvctl lease timetolive 694d77aa9e38260f --keys",
		setup: func(fs *flagSet) runFunc {
			keys := fs.Bool("keys", "", false, "Get keys attached to this lease")
			return func(e *env, args []string) error {
				id, err := leaseArg(args, "lease timetolive command needs lease ID as argument")
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.TimeToLive(ctx, id, *keys)
					if err != nil {
						return withCode(exitBadConnection, err)
					}
					return e.show(func(p printer) error { return p.TimeToLive(resp, *keys) })
				})
			}
		},
	}
}

func leaseListCommand() *command {
	return &command{
		name:    "list",
		short:   "List all active leases",
		example: "raftkvctl lease list",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.Leases(ctx)
					if err != nil {
						return withCode(exitBadConnection, err)
					}
					return e.show(func(p printer) error { return p.Leases(resp) })
				})
			}
		},
	}
}

func leaseKeepAliveCommand() *command {
	return &command{
		name:  "keep-alive",
		args:  "[options] <leaseID>",
		short: "Keeps leases alive (renew)",
		long: `Keeps a lease alive: renews it every third of its TTL, printing each renewal,
until interrupted or until the lease ends. With --once, renews it once.`,
		example: "raftkvctl lease keep-alive 694d77aa9e38260f\nraftkvctl lease keep-alive --once 694d77aa9e38260f",
		setup: func(fs *flagSet) runFunc {
			once := fs.Bool("once", "", false, "Resets the keep-alive time to its original value and exits immediately")
			return func(e *env, args []string) error {
				id, err := leaseArg(args, "lease keep-alive command needs lease ID as argument")
				if err != nil {
					return err
				}
				if *once {
					return e.request(func(ctx context.Context, c *client.Client) error {
						resp, err := c.KeepAliveOnce(ctx, id)
						if err != nil {
							return withCode(exitBadConnection, err)
						}
						return e.show(func(p printer) error { return p.KeepAlive(resp) })
					})
				}
				c, err := e.client()
				if err != nil {
					return err
				}
				ch, err := c.KeepAlive(e.ctx, id)
				if err != nil {
					return withCode(exitBadConnection, err)
				}
				for resp := range ch {
					if err := e.show(func(p printer) error { return p.KeepAlive(resp) }); err != nil {
						return err
					}
				}
				if err := e.ctx.Err(); err != nil {
					return err // interrupted
				}
				if _, ok := e.p.(*simplePrinter); ok {
					return e.printf("lease %016x expired or revoked.\n", id)
				}
				return nil
			}
		},
	}
}
