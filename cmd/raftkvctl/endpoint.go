package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client"
)

// The endpoint commands ask each endpoint (--endpoints, or with --cluster
// every member's client URLs) about itself: these answers are about one
// member, so they go to that member and never fail over.

// epHealth, epStatus and epHashKV are one endpoint's answer; their JSON
// names are etcdctl's.
type epHealth struct {
	Ep     string `json:"endpoint"`
	Health bool   `json:"health"`
	Took   string `json:"took"`
	Error  string `json:"error,omitempty"`
}

type epStatus struct {
	Ep   string                 `json:"Endpoint"`
	Resp *client.StatusResponse `json:"Status"`
}

type epHashKV struct {
	Ep   string                 `json:"Endpoint"`
	Resp *client.HashKVResponse `json:"HashKV"`
}

func endpointCommand() *command {
	return &command{
		name:  "endpoint",
		short: "Endpoint related commands",
		long: `Asks each endpoint given by --endpoints (or, with --cluster, every member of the
cluster) about itself: is it healthy, who does it think leads, how far is its log.`,
		example: `raftkvctl endpoint status -w table
raftkvctl endpoint health --cluster`,
		subs: []*command{endpointHealthCommand(), endpointStatusCommand(), endpointHashKVCommand()},
	}
}

// clusterFlag is endpoint's --cluster (a persistent flag of the group in
// etcdctl, so it is declared on each subcommand here).
func clusterFlag(fs *flagSet) *bool {
	return fs.Bool("cluster", "", false, "use all endpoints from the cluster member list")
}

// endpoints returns --endpoints, or with --cluster the client URLs of every
// member, as the member list says.
func (e *env) endpoints(cluster bool) ([]string, error) {
	if !cluster {
		return *e.g.endpoints, nil
	}
	var eps []string
	err := e.request(func(ctx context.Context, c *client.Client) error {
		resp, err := c.MemberList(ctx)
		if err != nil {
			return fmt.Errorf("failed to fetch endpoints from raftkv cluster member list: %w", err)
		}
		for _, m := range resp.Members {
			eps = append(eps, m.ClientURLs...)
		}
		return nil
	})
	return eps, err
}

// askEndpoints asks each endpoint in turn, each under --command-timeout,
// reports a failure on stderr as etcdctl does ("Failed to get the status of
// endpoint ...") and goes on; then it prints what it got, and exits 1 if
// any endpoint failed.
func (e *env) askEndpoints(cluster bool, what string, ask func(ctx context.Context, c *client.Client, ep string) error, print func(p printer) error) error {
	eps, err := e.endpoints(cluster)
	if err != nil {
		return err
	}
	failed := false
	for _, ep := range eps {
		err := e.request(func(ctx context.Context, c *client.Client) error { return ask(ctx, c, ep) })
		if err != nil {
			failed = true
			fmt.Fprintf(e.stderr, "Failed to get the %s of endpoint %s (%v)\n", what, ep, err)
		}
	}
	if err := e.show(print); err != nil {
		return err
	}
	if failed {
		return &silentExit{code: exitError}
	}
	return nil
}

func endpointStatusCommand() *command {
	return &command{
		name:  "status",
		short: "Prints out the status of endpoints specified in `--endpoints` flag",
		long: `When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are endpoint, ID, version, storage version, db size, in use, percentage not in use,
quota, is leader, is learner, raft term, raft index, raft applied index, errors, downgrade target version,
downgrade enabled.

IS LEADER says which member leads. raftkv keeps its state in memory: DB SIZE is
the size a snapshot of it would take, and there is no quota.`,
		example: `raftkvctl endpoint status -w table
raftkvctl endpoint status --cluster -w json`,
		setup: func(fs *flagSet) runFunc {
			cluster := clusterFlag(fs)
			return func(e *env, args []string) error {
				var list []epStatus
				return e.askEndpoints(*cluster, "status", func(ctx context.Context, c *client.Client, ep string) error {
					resp, err := c.Status(ctx, ep)
					if err == nil {
						list = append(list, epStatus{Ep: ep, Resp: resp})
					}
					return err
				}, func(p printer) error { return p.EndpointStatus(list) })
			}
		},
	}
}

func endpointHealthCommand() *command {
	return &command{
		name:  "health",
		short: "Checks the healthiness of endpoints specified in `--endpoints` flag",
		long: `Checks each endpoint by a linearizable read, which only a member in touch with a
leader and a majority can serve: a healthy member can commit a proposal.`,
		example: `raftkvctl endpoint health
raftkvctl endpoint health --cluster -w table`,
		setup: func(fs *flagSet) runFunc {
			cluster := clusterFlag(fs)
			return func(e *env, args []string) error {
				eps, err := e.endpoints(*cluster)
				if err != nil {
					return err
				}
				// All at once: a dead endpoint costs --command-timeout,
				// not that much per dead endpoint.
				list := make([]epHealth, len(eps))
				var wg sync.WaitGroup
				for i, ep := range eps {
					wg.Add(1)
					go func() {
						defer wg.Done()
						list[i] = e.checkHealth(ep)
					}()
				}
				wg.Wait()
				if err := e.show(func(p printer) error { return p.EndpointHealth(list) }); err != nil {
					return err
				}
				for _, h := range list {
					if h.Error != "" {
						return fmt.Errorf("unhealthy cluster")
					}
				}
				return nil
			}
		},
	}
}

// checkHealth is etcdctl's health check: a linearizable get of the key
// "health" through that endpoint alone, then no alarm raised.
func (e *env) checkHealth(ep string) epHealth {
	h := epHealth{Ep: ep}
	c, err := e.newClient([]string{ep})
	if err != nil {
		h.Error = err.Error()
		return h
	}
	defer c.Close()
	ctx, cancel := e.commandCtx()
	defer cancel()
	start := time.Now()
	_, err = c.Get(ctx, "health")
	h.Took = time.Since(start).String()
	if err != nil {
		h.Error, _ = splitLastAttempt(err.Error())
		return h
	}
	alarms, err := c.AlarmList(ctx)
	switch {
	case err != nil:
		h.Error = "Unable to fetch the alarm list"
	case len(alarms.Alarms) > 0:
		h.Error = "Active Alarm(s): "
		for i, a := range alarms.Alarms {
			if i > 0 {
				h.Error += ", "
			}
			h.Error += a.Alarm.String()
		}
	default:
		h.Health = true
	}
	return h
}

func endpointHashKVCommand() *command {
	return &command{
		name:  "hashkv",
		short: "Prints the KV history hash for each endpoint in --endpoints",
		long: `Prints a hash of each member's key-value history as of a revision (--rev, 0:
the latest), computed as etcd computes it. Members that applied the same log
have the same hash at the same revision, when they were compacted at the same
revision (the JSON output shows compact_revision).`,
		example: "raftkvctl endpoint hashkv --cluster -w table",
		setup: func(fs *flagSet) runFunc {
			cluster := clusterFlag(fs)
			rev := fs.Int64("rev", "", 0, "maximum revision to hash (default: latest revision)")
			return func(e *env, args []string) error {
				var list []epHashKV
				return e.askEndpoints(*cluster, "hash", func(ctx context.Context, c *client.Client, ep string) error {
					resp, err := c.HashKV(ctx, ep, *rev)
					if err == nil {
						list = append(list, epHashKV{Ep: ep, Resp: resp})
					}
					return err
				}, func(p printer) error { return p.EndpointHashKV(list) })
			}
		},
	}
}

func defragCommand() *command {
	return &command{
		name:  "defrag",
		short: "Defragments the storage of the raftkv members with given endpoints",
		long: `Asks each member to defragment its storage. raftkv keeps its state in memory,
so there is nothing to reclaim: the command exists for etcdctl's scripts.`,
		example: "raftkvctl defrag --cluster",
		setup: func(fs *flagSet) runFunc {
			cluster := clusterFlag(fs)
			return func(e *env, args []string) error {
				eps, err := e.endpoints(*cluster)
				if err != nil {
					return err
				}
				failed := false
				for _, ep := range eps {
					start := time.Now()
					err := e.request(func(ctx context.Context, c *client.Client) error {
						_, err := c.Defragment(ctx, ep)
						return err
					})
					took := time.Since(start)
					if err != nil {
						failed = true
						fmt.Fprintf(e.stderr, "Failed to defragment raftkv member[%s]. took %s. (%v)\n", ep, took, err)
						continue
					}
					e.printf("Finished defragmenting raftkv member[%s]. took %s\n", ep, took)
				}
				if failed {
					return &silentExit{code: exitError}
				}
				return nil
			}
		},
	}
}
