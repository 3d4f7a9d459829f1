package main

import (
	"errors"

	"github.com/raftkv/raftkv/client/concurrency"
)

func electCommand() *command {
	return &command{
		name:  "elect",
		args:  "<election-name> [proposal]",
		short: "Observes and participates in leader election",
		long: `Campaigns in the named election with the proposal as value: waits until every
older candidate is gone, then prints the leader's key (<election-name>/<lease
ID in hex>) and the proposal, and leads until interrupted (Ctrl-C or SIGTERM),
when it resigns and the next candidate in line leads.

With -l, observes the election: prints the leader's key and value each time the
leader or its value changes.

Candidacies live on a lease kept alive by raftkvctl (60 seconds): a leader that
dies without resigning is replaced a minute later at most.`,
		example: `raftkvctl elect myelection p1
raftkvctl elect -l myelection`,
		setup: func(fs *flagSet) runFunc {
			listen := fs.Bool("listen", "l", false, "observation mode")
			return func(e *env, args []string) error {
				if len(args) != 1 && len(args) != 2 {
					return usagef("elect takes one election name argument and an optional proposal argument")
				}
				if len(args) == 1 && !*listen {
					return usagef("no proposal argument but -l not set")
				}
				if len(args) == 2 && *listen {
					return usagef("proposal given but -l is set")
				}
				c, err := e.client()
				if err != nil {
					return err
				}
				s, err := concurrency.NewSession(c)
				if err != nil {
					return err
				}
				defer e.closeSession(s)
				el := concurrency.NewElection(s, args[0])
				if *listen {
					return e.observe(el)
				}
				return e.campaign(s, el, args[1])
			}
		},
	}
}

func (e *env) observe(el *concurrency.Election) error {
	for resp := range el.Observe(e.ctx) {
		if err := e.show(func(p printer) error { return p.Get(&resp) }); err != nil {
			return err
		}
	}
	if e.ctx.Err() == nil {
		return errors.New("elect: observer lost")
	}
	return nil // interrupted: a clean end, as etcdctl's
}

func (e *env) campaign(s *concurrency.Session, el *concurrency.Election, proposal string) error {
	if err := el.Campaign(e.ctx, proposal); err != nil {
		return err
	}
	// Print the key as stored, as etcdctl does: a get of our own key.
	ctx, cancel := e.commandCtx()
	defer cancel()
	resp, err := s.Client().Get(ctx, el.Key())
	if err != nil {
		return err
	}
	if err := e.show(func(p printer) error { return p.Get(resp) }); err != nil {
		return err
	}
	select {
	case <-e.ctx.Done():
		return e.cleanup(el.Resign)
	case <-s.Done():
		return errors.New("elect: session expired")
	}
}
