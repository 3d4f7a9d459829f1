package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/raftkv/raftkv/client/concurrency"
)

func lockCommand() *command {
	return &command{
		name:  "lock",
		args:  "<lockname> [exec-command arg1 arg2 ...]",
		short: "Acquires a named lock",
		long: `Acquires a named lock, waiting for it as long as another holds it, then prints
the lock's key (<lockname>/<lease ID in hex>) and holds the lock until
interrupted (Ctrl-C or SIGTERM), when it releases it.

Given a command, runs it while holding the lock, and releases the lock when the
command ends. The command finds the lock's key and revision in ETCD_LOCK_KEY and
ETCD_LOCK_REV (etcdctl's names; also RAFTKV_LOCK_KEY and RAFTKV_LOCK_REV). A
command with options of its own goes after "--".

The lock lives on a lease that raftkvctl keeps alive: if raftkvctl dies without
releasing the lock, the cluster releases it --ttl seconds later. Waiters queue
in order of arrival (see package client/concurrency).`,
		example: `raftkvctl lock mylock
raftkvctl lock mylock echo 'running while holding mylock'
raftkvctl lock mylock -- sh -c 'echo "$ETCD_LOCK_KEY"; ./deploy.sh'`,
		setup: func(fs *flagSet) runFunc {
			ttl := fs.Int("ttl", "", 10, "timeout for session")
			return func(e *env, args []string) error {
				if len(args) == 0 {
					return usagef("lock takes a lock name argument and an optional command to execute")
				}
				c, err := e.client()
				if err != nil {
					return err
				}
				s, err := concurrency.NewSession(c, concurrency.WithTTL(int64(*ttl)))
				if err != nil {
					return err
				}
				// Revoking the session's lease on the way out releases
				// whatever an error left behind at once, not a TTL later.
				defer e.closeSession(s)
				m := concurrency.NewMutex(s, args[0])
				if err := m.Lock(e.ctx); err != nil {
					return err
				}
				if len(args) > 1 {
					vars := []string{"LOCK_KEY=" + m.Key()}
					if h := m.Header(); h != nil {
						vars = append(vars, fmt.Sprintf("LOCK_REV=%d", h.Revision))
					}
					// As etcdctl, an interrupt does not kill the command:
					// it gets the terminal's Ctrl-C itself, and the lock
					// is held until it ends.
					err := e.runHook(context.WithoutCancel(e.ctx), args[1:], vars)
					unlockErr := e.cleanup(m.Unlock)
					if err != nil {
						return err
					}
					return unlockErr
				}
				ctx, cancel := e.commandCtx()
				defer cancel()
				resp, err := c.Get(ctx, m.Key())
				if err != nil {
					return err
				}
				if len(resp.Kvs) == 0 {
					return errors.New("lock lost on init")
				}
				if err := e.show(func(p printer) error { return p.Get(resp) }); err != nil {
					return err
				}
				select {
				case <-e.ctx.Done():
					return e.cleanup(m.Unlock)
				case <-s.Done():
					return errors.New("session expired")
				}
			}
		},
	}
}

// cleanup runs a release (unlock, resign) after an interrupt, with a context
// of its own: the run's is already canceled.
func (e *env) cleanup(release func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), *e.g.commandTimeout)
	defer cancel()
	return release(ctx)
}

// closeSession revokes the session's lease, best effort: if it fails, the
// lease expires by itself a TTL later.
func (e *env) closeSession(s *concurrency.Session) {
	e.cleanup(func(context.Context) error { return s.Close() })
}
