package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/raftkv/raftkv/client"
)

func memberCommand() *command {
	return &command{
		name:  "member",
		short: "Membership related commands",
		long: `Lists the cluster's members and changes the membership, one member at a time
(each change is a raft log entry, committed by the old majority).`,
		example: `raftkvctl member list -w table
raftkvctl member add m4 --peer-urls=http://127.0.0.1:42380
raftkvctl member remove 2c5a4e8d3f6b7a91`,
		subs: []*command{
			memberAddCommand(), memberRemoveCommand(), memberUpdateCommand(),
			memberListCommand(), memberPromoteCommand(),
		},
	}
}

func memberListCommand() *command {
	return &command{
		name:  "list",
		short: "Lists all members in the cluster",
		long: `When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.

The columns are etcdctl's, so that scripts written for etcdctl read them; to see
which member leads, ask endpoint status (IS LEADER).`,
		example: `raftkvctl member list
raftkvctl member list -w table
raftkvctl member list --consistency=s   # this member's own view, even without a leader`,
		setup: func(fs *flagSet) runFunc {
			consistency := fs.String("consistency", "", "l", "Linearizable(l) or Serializable(s)")
			return func(e *env, args []string) error {
				var opts []client.OpOption
				switch *consistency {
				case "s":
					opts = append(opts, client.WithSerializable())
				case "l":
				default:
					return withCode(exitBadFeature, fmt.Errorf("unknown consistency flag %q", *consistency))
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.MemberList(ctx, opts...)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.MemberList(resp) })
				})
			}
		},
	}
}

func memberAddCommand() *command {
	return &command{
		name:  "add",
		args:  "<memberName> [options]",
		short: "Adds a member into the cluster",
		long: `Adds a member into the cluster, then prints the settings the new member must
start with, as RAFTKV_* environment variables (raftkv's flags: RAFTKV_NAME is
--name, and so on). Start it with --initial-cluster-state existing.

A learner (--learner) receives the log but does not vote until promoted
(member promote), so that a new member catching up does not weaken the quorum.`,
		example: `raftkvctl member add m4 --peer-urls=http://127.0.0.1:42380
raftkvctl member add m4 --peer-urls=http://127.0.0.1:42380 --learner`,
		setup: func(fs *flagSet) runFunc {
			peerURLs := fs.String("peer-urls", "", "", "comma separated peer URLs for the new member.")
			learner := fs.Bool("learner", "", false, "indicates if the new member is raft learner")
			return func(e *env, args []string) error {
				if len(args) < 1 {
					return usagef("member name not provided")
				}
				if len(args) > 1 {
					msg := "too many arguments"
					for _, s := range args {
						if strings.HasPrefix(strings.ToLower(s), "http") {
							msg += fmt.Sprintf(", did you mean --peer-urls=%s", s)
						}
					}
					return usagef("%s", msg)
				}
				name := args[0]
				if *peerURLs == "" {
					return usagef("member peer urls not provided")
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.MemberAdd(ctx, strings.Split(*peerURLs, ","), *learner)
					if err != nil {
						return err
					}
					if resp.Member == nil {
						return errors.New("the server's answer names no new member")
					}
					return e.show(func(p printer) error {
						if err := p.MemberAdd(resp); err != nil {
							return err
						}
						if _, ok := p.(*simplePrinter); ok {
							writeMemberEnv(e, resp, name, *peerURLs)
						}
						return nil
					})
				})
			}
		},
	}
}

// writeMemberEnv prints the environment the new member starts with,
// etcdctl's ETCD_* block with raftkv's names.
func writeMemberEnv(e *env, resp *client.MemberAddResponse, name, peerURLs string) {
	var conf []string
	for _, m := range resp.Members {
		n := m.Name
		if m.ID == resp.Member.ID {
			n = name
		}
		for _, u := range m.PeerURLs {
			conf = append(conf, n+"="+u)
		}
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintf(e.stdout, "RAFTKV_NAME=%q\n", name)
	fmt.Fprintf(e.stdout, "RAFTKV_INITIAL_CLUSTER=%q\n", strings.Join(conf, ","))
	fmt.Fprintf(e.stdout, "RAFTKV_INITIAL_ADVERTISE_PEER_URLS=%q\n", peerURLs)
	fmt.Fprintf(e.stdout, "RAFTKV_INITIAL_CLUSTER_STATE=\"existing\"\n")
}

// memberIDCommand completes remove, promote and update: a member ID (in
// hex) in, one request, one line out. flags declares the command's own
// flags and returns the request.
func memberIDCommand(c *command, flags func(fs *flagSet) memberCall, print func(p printer, id uint64, r *client.MemberListResponse) error) *command {
	c.setup = func(fs *flagSet) runFunc {
		call := flags(fs)
		return func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("member ID is not provided")
			}
			id, err := strconv.ParseUint(args[0], 16, 64)
			if err != nil {
				return usagef("bad member ID arg (%v), expecting ID in Hex", err)
			}
			return e.request(func(ctx context.Context, cl *client.Client) error {
				resp, err := call(cl, ctx, id)
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return print(p, id, resp) })
			})
		}
	}
	return c
}

// memberCall is a client method taking a member ID; the client comes first
// so that a method expression, (*client.Client).MemberRemove, is one.
type memberCall func(c *client.Client, ctx context.Context, id uint64) (*client.MemberListResponse, error)

func memberRemoveCommand() *command {
	return memberIDCommand(&command{
		name:    "remove",
		args:    "<memberID>",
		short:   "Removes a member from the cluster",
		long:    "Removes a member (its hex ID, from member list) from the cluster.",
		example: "raftkvctl member remove 2c5a4e8d3f6b7a91",
	}, func(*flagSet) memberCall { return (*client.Client).MemberRemove }, printer.MemberRemove)
}

func memberPromoteCommand() *command {
	return memberIDCommand(&command{
		name:    "promote",
		args:    "<memberID>",
		short:   "Promotes a non-voting member in the cluster",
		long:    "Promotes a non-voting learner member to a voting one in the cluster, once it has caught up with the leader.",
		example: "raftkvctl member promote 2c5a4e8d3f6b7a91",
	}, func(*flagSet) memberCall { return (*client.Client).MemberPromote }, printer.MemberPromote)
}

func memberUpdateCommand() *command {
	return memberIDCommand(&command{
		name:    "update",
		args:    "<memberID> [options]",
		short:   "Updates a member in the cluster",
		long:    "Changes a member's peer URLs.",
		example: "raftkvctl member update 2c5a4e8d3f6b7a91 --peer-urls=http://10.0.0.4:2380",
	}, func(fs *flagSet) memberCall {
		peerURLs := fs.String("peer-urls", "", "", "comma separated peer URLs for the updated member.")
		return func(c *client.Client, ctx context.Context, id uint64) (*client.MemberListResponse, error) {
			if *peerURLs == "" {
				return nil, usagef("member peer urls not provided")
			}
			return c.MemberUpdate(ctx, id, strings.Split(*peerURLs, ","))
		}
	}, printer.MemberUpdate)
}
