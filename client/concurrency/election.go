package concurrency

import (
	"context"
	"errors"
	"time"

	"github.com/raftkv/raftkv/client"
)

// Election elects one leader among the campaigners on a prefix, and lets
// anyone observe who leads. It is the lock's queue with a value: the oldest
// key under the prefix is the leader, its value the leader's proclamation.
// etcd's algorithm (go.etcd.io/etcd/client/v3/concurrency).
type Election struct {
	session       *Session
	keyPrefix     string
	leaderKey     string
	leaderRev     int64
	leaderSession *Session
	hdr           *client.ResponseHeader
}

// NewElection returns an election on prefix pfx for session s.
func NewElection(s *Session, pfx string) *Election {
	return &Election{session: s, keyPrefix: pfx + "/"}
}

// ResumeElection takes over a leadership held under leaderKey at leaderRev
// (after a restart of the program, with the same session lease).
func ResumeElection(s *Session, pfx, leaderKey string, leaderRev int64) *Election {
	return &Election{session: s, keyPrefix: pfx + "/", leaderKey: leaderKey, leaderRev: leaderRev, leaderSession: s}
}

// Campaign puts val as this session's candidacy and waits until it leads
// (every older candidate gone) or ctx is done.
func (e *Election) Campaign(ctx context.Context, val string) error {
	s := e.session
	c := s.Client()
	k := sessionKey(e.keyPrefix, s.Lease())
	resp, err := c.Txn(ctx).
		If(client.Compare(client.CreateRevision(k), "=", 0)).
		Then(client.OpPut(k, val, client.WithLease(s.Lease()))).
		Else(client.OpGet(k)).
		Commit()
	if err != nil {
		return err
	}
	e.leaderKey, e.leaderRev, e.leaderSession = k, resp.Header.Revision, s
	if !resp.Succeeded {
		kvs, err := rangeKvs(resp, 0)
		if err != nil {
			return err
		}
		if len(kvs) == 0 {
			return ErrSessionExpired
		}
		e.leaderRev = kvs[0].CreateRevision
		if string(kvs[0].Value) != val {
			if err := e.Proclaim(ctx, val); err != nil {
				e.Resign(ctx) //nolint:errcheck // already failing
				return err
			}
		}
	}
	if err := waitDeletes(ctx, c, e.keyPrefix, e.leaderRev-1); err != nil {
		// Withdraw the candidacy if the caller gave up.
		if ctx.Err() != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			e.Resign(rctx) //nolint:errcheck
			cancel()
		} else {
			e.leaderSession = nil
		}
		return err
	}
	e.hdr = resp.Header
	return nil
}

// Proclaim changes the leader's value without a new election.
func (e *Election) Proclaim(ctx context.Context, val string) error {
	if e.leaderSession == nil {
		return ErrElectionNotLeader
	}
	resp, err := e.session.Client().Txn(ctx).
		If(client.Compare(client.CreateRevision(e.leaderKey), "=", e.leaderRev)).
		Then(client.OpPut(e.leaderKey, val, client.WithLease(e.leaderSession.Lease()))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		e.leaderKey = ""
		return ErrElectionNotLeader
	}
	e.hdr = resp.Header
	return nil
}

// Resign gives up leadership (or candidacy), so the next candidate leads.
func (e *Election) Resign(ctx context.Context) error {
	if e.leaderSession == nil {
		return nil
	}
	resp, err := e.session.Client().Txn(ctx).
		If(client.Compare(client.CreateRevision(e.leaderKey), "=", e.leaderRev)).
		Then(client.OpDelete(e.leaderKey)).
		Commit()
	if err == nil {
		e.hdr = resp.Header
	}
	e.leaderKey, e.leaderSession = "", nil
	return err
}

// Leader returns the current leader's key-value (the oldest candidacy).
func (e *Election) Leader(ctx context.Context) (*client.GetResponse, error) {
	resp, err := e.session.Client().Get(ctx, e.keyPrefix, client.WithFirstCreate()...)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, ErrElectionNoLeader
	}
	return resp, nil
}

// Observe sends the leader's key-value each time leadership or the leader's
// value changes, until ctx is done (the channel is then closed).
func (e *Election) Observe(ctx context.Context) <-chan client.GetResponse {
	ch := make(chan client.GetResponse)
	go e.observe(ctx, ch)
	return ch
}

func (e *Election) observe(ctx context.Context, ch chan<- client.GetResponse) {
	defer close(ch)
	c := e.session.Client()
	for {
		resp, err := c.Get(ctx, e.keyPrefix, client.WithFirstCreate()...)
		if err != nil {
			return
		}
		var kv *client.KeyValue
		hdr := *resp.Header
		if len(resp.Kvs) == 0 {
			// Nobody leads: wait for the first candidacy.
			kv, err = firstPut(ctx, c, e.keyPrefix, resp.Header.Revision)
			if err != nil {
				return
			}
			hdr.Revision = kv.ModRevision
		} else {
			kv = &resp.Kvs[0]
		}
		if !send(ctx, ch, client.GetResponse{Header: &hdr, Kvs: []client.KeyValue{*kv}, Count: 1}) {
			return
		}
		// Follow this leader's key until it is deleted: each put is a
		// new proclamation.
		if err := followLeader(ctx, c, string(kv.Key), hdr.Revision+1, ch); err != nil {
			return
		}
	}
}

// firstPut waits for the first key put under prefix after rev.
func firstPut(ctx context.Context, c *client.Client, prefix string, rev int64) (*client.KeyValue, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for wr := range c.Watch(wctx, prefix, client.WithPrefix(), client.WithRev(rev)) {
		if wr.Err != nil {
			return nil, wr.Err
		}
		for _, ev := range wr.Events {
			// Only a put makes a leader; a delete here is an old candidacy.
			if ev.Type == client.EventTypePut && ev.Kv != nil {
				return ev.Kv, nil
			}
		}
	}
	return nil, errors.New("concurrency: watch ended")
}

// followLeader relays the leader key's puts until it is deleted.
func followLeader(ctx context.Context, c *client.Client, key string, rev int64, ch chan<- client.GetResponse) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for wr := range c.Watch(wctx, key, client.WithRev(rev)) {
		if wr.Err != nil {
			return wr.Err
		}
		for _, ev := range wr.Events {
			if ev.Type == client.EventTypeDelete || ev.Kv == nil {
				return nil
			}
			hdr := *wr.Header
			if !send(ctx, ch, client.GetResponse{Header: &hdr, Kvs: []client.KeyValue{*ev.Kv}, Count: 1}) {
				return ctx.Err()
			}
		}
	}
	return errors.New("concurrency: watch ended")
}

func send(ctx context.Context, ch chan<- client.GetResponse, r client.GetResponse) bool {
	select {
	case ch <- r:
		return true
	case <-ctx.Done():
		return false
	}
}

// Key is this candidate's key; Rev its create revision (its place in line).
func (e *Election) Key() string { return e.leaderKey }
func (e *Election) Rev() int64  { return e.leaderRev }

// Header is the response header of the last successful request.
func (e *Election) Header() *client.ResponseHeader { return e.hdr }
