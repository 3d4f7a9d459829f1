package main

import (
	"context"
	"strconv"

	"github.com/raftkv/raftkv/client"
)

// move-leader is etcdctl's: find the leader among --endpoints (only the
// leader takes the request), then ask it to hand leadership to the target.
// raft does the handing over (thesis §3.10, raft/transfer.go); the answer
// comes once the target leads.
func moveLeaderCommand() *command {
	return &command{
		name:  "move-leader",
		args:  "<transferee-member-id>",
		short: "Transfers leadership to another raftkv cluster member.",
		long: `Asks the leader to hand leadership to the member with the given hex ID (from
member list), which must be a voter. The leader brings the target's log up to
date and tells it to start an election at once (TimeoutNow, thesis §3.10): no
election timeout passes without a leader. One of --endpoints must be the
leader.`,
		example: "raftkvctl --endpoints=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 move-leader 2c5a4e8d3f6b7a91",
		setup: func(*flagSet) runFunc {
			return func(e *env, args []string) error {
				if len(args) != 1 {
					return usagef("move-leader command needs 1 argument")
				}
				target, err := strconv.ParseUint(args[0], 16, 64)
				if err != nil {
					return usagef("%v", err)
				}
				eps, err := e.endpoints(false)
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					var leaderEP string
					var leader uint64
					for _, ep := range eps {
						st, err := c.Status(ctx, ep)
						if err != nil {
							return err
						}
						if st.Header.MemberID == st.Leader {
							leaderEP, leader = ep, st.Leader
							break
						}
					}
					if leaderEP == "" {
						return usagef("no leader endpoint given at %v", eps)
					}
					resp, err := c.MoveLeader(ctx, leaderEP, target)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.MoveLeader(leader, target, resp) })
				})
			}
		},
	}
}
