package main

import (
	"context"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// alarm is etcdctl's: the cluster's alarms (NOSPACE when the store went over
// --quota-backend-bytes) are replicated state, listed and cleared here.
func alarmCommand() *command {
	return &command{
		name:  "alarm",
		short: "Alarm related commands",
		long: `A member raises the NOSPACE alarm when a write would take the store over its
--quota-backend-bytes; from then on every member refuses writes that add data
("etcdserver: mvcc: database space exceeded") until the alarm is disarmed.
Make room first (compaction, deletes), then disarm.`,
		example: `raftkvctl alarm list
raftkvctl alarm disarm`,
		subs: []*command{alarmListCommand(), alarmDisarmCommand()},
	}
}

func alarmListCommand() *command {
	return &command{
		name:    "list",
		short:   "Lists all alarms",
		example: "raftkvctl alarm list",
		setup: func(*flagSet) runFunc {
			return func(e *env, args []string) error {
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.AlarmList(ctx)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.Alarm(resp) })
				})
			}
		},
	}
}

func alarmDisarmCommand() *command {
	return &command{
		name:    "disarm",
		short:   "Disarms all alarms",
		example: "raftkvctl alarm disarm",
		setup: func(*flagSet) runFunc {
			return func(e *env, args []string) error {
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.AlarmDisarm(ctx, 0, wire.AlarmNone)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.Alarm(resp) })
				})
			}
		},
	}
}
