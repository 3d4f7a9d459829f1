package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server"
)

// Clients behave like etcd clients: each sends one request at a time to a
// member it picks at random (any member: followers forward writes and
// read through a read index), with a deadline. A request to a machine that
// is down fails at once and is retried elsewhere; one that gets no answer
// by the client's timeout, or an answer that leaves its fate open (timed
// out, the member stopped), is recorded as unknown and not retried — a
// real client cannot know whether a put it gave up on took effect.

const (
	// serverTimeout is the deadline a request carries to the member;
	// clientTimeout is how long the client waits for any answer.
	serverTimeout = 3 * Second
	clientTimeout = 4 * Second
	// maxAttempts bounds the retries of a request that certainly failed.
	maxAttempts = 4
)

var (
	errClientTimeout     = errors.New("client timeout")
	errConnectionRefused = errors.New("connection refused")
	errConnectionLost    = errors.New("connection lost")
)

type client struct {
	id       int
	n        int
	cur      *opRecord
	token    int // identifies the current attempt, so late answers are ignored
	attempts int
	// reauths counts the current request's retries with a fresh auth
	// revision (member_auth.go).
	reauths int
	// seen remembers the last value this client saw per key: its
	// compare-and-swaps compare against it, so that some succeed.
	seen map[string]string
	// gone: the client died (a script stopped it); whatever it had sent
	// stays unanswered for ever.
	gone bool
}

// stop kills the client: answers to its current request are ignored
// from now on, and it sends nothing more.
func (c *client) stop() {
	c.gone = true
	c.token++
}

func (s *memberSim) startClients() {
	for i := range s.cfg.Clients {
		c := &client{id: i, seen: map[string]string{}}
		s.clients = append(s.clients, c)
		s.after(s.between(10*Millisecond, 200*Millisecond), func() { s.nextOp(c) })
	}
	for i := range s.cfg.Watchers {
		wc := newWatchClient(s, i)
		s.watchers = append(s.watchers, wc)
		s.after(s.between(10*Millisecond, 500*Millisecond), func() { s.openWatch(wc) })
	}
	for i := range s.cfg.Leasers {
		lc := &leaseClient{id: s.cfg.Clients + i}
		s.leasers = append(s.leasers, lc)
		s.after(s.between(100*Millisecond, Second), func() { s.leaseStep(lc) })
	}
}

func (s *memberSim) key(i int) string { return fmt.Sprintf("k%d", i) }

// nextOp draws the client's next operation.
func (s *memberSim) nextOp(c *client) {
	if c.gone {
		return
	}
	c.n++
	r := &opRecord{client: c.id, key: s.key(s.rng.IntN(s.cfg.Keys))}
	value := fmt.Sprintf("c%d.%d", c.id, c.n)
	switch p := s.rng.IntN(100); {
	case p < 28:
		r.kind, r.value = opPut, value
	case p < 48:
		r.kind = opGet
	case p < 56:
		r.kind = opGetSerializable
	case p < 63:
		r.kind = opDelete
	case p < 78:
		r.kind, r.value, r.expect = opCAS, value, c.seen[r.key]
	case p < 84:
		r.kind, r.value = opPutPair, value+"a"
		r.key2, r.value2 = s.key(s.rng.IntN(s.cfg.Keys)), value+"b"
		if r.key2 == r.key {
			r.kind = opPut
		}
	case p < 95:
		r.kind = opRange
	default:
		r.kind = opRangeSerializable
	}
	c.cur, c.attempts, c.reauths = r, 0, 0
	s.attempt(c)
}

// attempt sends the client's current operation to a random member.
func (s *memberSim) attempt(c *client) {
	if c.gone {
		return
	}
	r := c.cur
	c.attempts++
	c.token++
	token := c.token
	sl := s.slots[s.rng.IntN(len(s.slots))]
	r.member, r.call, r.outcome, r.err = sl.name, s.now, pending, ""
	s.after(clientTimeout, func() {
		if c.token == token && r.outcome == pending {
			s.finishOp(c, token, outcomeUnknown, errClientTimeout)
		}
	})
	s.after(s.netDelay(), func() {
		if !s.input(sl, func(m *server.Member) { s.execute(c, token, sl, m) }) {
			s.after(s.netDelay(), func() { s.finishOp(c, token, outcomeFailed, errConnectionRefused) })
		}
	})
}

// netDelay is the one-way latency between a client and a member.
func (s *memberSim) netDelay() Time { return s.between(200*Microsecond, 1500*Microsecond) }

// reply sends an answer from the member on sl back to the client: it
// leaves once the member's current step (its fsyncs) is done.
func (s *memberSim) reply(c *client, token int, sl *slot, err error, fill func()) {
	o := classify(err)
	if o == outcomeOK && fill != nil {
		fill()
	}
	s.at(s.now+sl.offset+s.netDelay(), func() { s.finishOp(c, token, o, err) })
}

// classify says what an error tells the client about its request.
func classify(err error) outcome {
	switch {
	case err == nil:
		return outcomeOK
	case errors.Is(err, server.ErrTimeout), errors.Is(err, server.ErrTimeoutDueToLeaderFail),
		errors.Is(err, server.ErrStopped):
		return outcomeUnknown
	}
	// Refused before it was proposed (no leader, bad request, removed
	// member), lost to a leader change, or applied as an error.
	return outcomeFailed
}

func (s *memberSim) deadline(sl *slot) time.Time {
	return memberClock{sl}.Now().Add(time.Duration(serverTimeout) * time.Microsecond)
}

// execute runs the client's request on member m (on sl), as the gateway
// would: writes through the log, reads after a read barrier — and, with
// authentication, as the client's user: writes are checked when applied,
// reads where they are served, once the barrier is passed.
func (s *memberSim) execute(c *client, token int, sl *slot, m *server.Member) {
	r := c.cur
	if c.token != token {
		return
	}
	user := authUsers[c.id%len(authUsers)]
	caller := callerOn(m, user)
	write := func(req *kv.Request, fill func(kv.Response)) {
		s.writeAs(m, user, req, s.deadline(sl), func(res server.Result) {
			s.reply(c, token, sl, res.Err, func() { fill(res.KV) })
		})
	}
	read := func(linearizable bool, req *kv.RangeRequest, fill func(*kv.RangeResponse)) {
		m.ReadBarrier(linearizable, s.deadline(sl), func(err error) {
			if err == nil && s.cfg.Auth {
				err = m.Auth().CheckKeys(caller, req.Key, req.RangeEnd, auth.Read)
			}
			var resp *kv.RangeResponse
			if err == nil {
				resp, err = m.Store().Range(req)
			}
			s.reply(c, token, sl, err, func() { fill(resp) })
		})
	}
	switch r.kind {
	case opPut:
		write(&kv.Request{Put: &kv.PutRequest{Key: []byte(r.key), Value: []byte(r.value)}}, func(resp kv.Response) {
			r.rev = resp.Put.Header.Revision
		})
	case opDelete:
		write(&kv.Request{DeleteRange: &kv.DeleteRangeRequest{Key: []byte(r.key)}}, func(resp kv.Response) {
			r.rev, r.deleted = resp.DeleteRange.Header.Revision, resp.DeleteRange.Deleted
		})
	case opCAS:
		txn := &kv.TxnRequest{
			Compare: []kv.Compare{{Result: kv.CompareEqual, Target: kv.CompareValue, Key: []byte(r.key), Value: []byte(r.expect)}},
			Success: []kv.RequestOp{{Put: &kv.PutRequest{Key: []byte(r.key), Value: []byte(r.value)}}},
			Failure: []kv.RequestOp{{Range: &kv.RangeRequest{Key: []byte(r.key)}}},
		}
		write(&kv.Request{Txn: txn}, func(resp kv.Response) {
			r.rev, r.succeeded = resp.Txn.Header.Revision, resp.Txn.Succeeded
			if !r.succeeded && len(resp.Txn.Responses) == 1 && resp.Txn.Responses[0].Range != nil {
				r.kvs = pairs(resp.Txn.Responses[0].Range.Kvs)
			}
		})
	case opPutPair:
		txn := &kv.TxnRequest{Success: []kv.RequestOp{
			{Put: &kv.PutRequest{Key: []byte(r.key), Value: []byte(r.value)}},
			{Put: &kv.PutRequest{Key: []byte(r.key2), Value: []byte(r.value2)}},
		}}
		write(&kv.Request{Txn: txn}, func(resp kv.Response) { r.rev = resp.Txn.Header.Revision })
	case opGet, opGetSerializable:
		read(r.kind == opGet, &kv.RangeRequest{Key: []byte(r.key)}, func(resp *kv.RangeResponse) {
			r.rev = resp.Header.Revision
			if kvs := pairs(resp.Kvs); len(kvs) == 1 {
				r.found, r.got = true, kvs[0]
			}
		})
	case opRange, opRangeSerializable:
		read(r.kind == opRange, &kv.RangeRequest{Key: []byte("k"), RangeEnd: []byte("l")}, func(resp *kv.RangeResponse) {
			r.rev, r.kvs = resp.Header.Revision, pairs(resp.Kvs)
		})
	}
}

func pairs(kvs []kv.KeyValue) []kvPair {
	out := make([]kvPair, len(kvs))
	for i, x := range kvs {
		out[i] = kvPair{key: string(x.Key), value: string(x.Value), mod: x.ModRevision}
	}
	return out
}

// finishOp records the end of an attempt, and moves the client on.
func (s *memberSim) finishOp(c *client, token int, o outcome, err error) {
	r := c.cur
	if c.token != token || r == nil || r.outcome != pending {
		return
	}
	r.outcome = o
	if err != nil {
		r.err = err.Error()
	}
	if o != outcomeUnknown {
		r.ret = s.now
	}
	s.res.Stats.Ops++
	s.mix([]byte(r.String()))
	if s.cfg.Trace > 1 {
		s.tracef("client: %s", r)
	}
	switch o {
	case outcomeOK:
		s.res.Stats.OpsOK++
		s.hist.add(r)
		switch r.kind {
		case opPut:
			c.seen[r.key] = r.value
		case opCAS:
			if r.succeeded {
				c.seen[r.key] = r.value
			} else if len(r.kvs) == 1 {
				c.seen[r.key] = r.kvs[0].value
			}
		case opGet, opGetSerializable:
			c.seen[r.key] = r.got.value
		}
		if s.tl != nil {
			s.tl.op(r, s.now)
		}
	case outcomeUnknown:
		s.res.Stats.OpsUnknown++
		if r.kind.writes() {
			s.hist.add(r) // it may have happened
		}
		if s.tl != nil {
			s.tl.op(r, s.now)
		}
	case outcomeFailed:
		s.res.Stats.OpsFailed++
		again := c.attempts < maxAttempts
		switch {
		case staleCaller(err):
			// The auth state moved while the request was on its way: log
			// in again (the next attempt's revision is read anew) and
			// retry — a try that does not count against maxAttempts.
			c.attempts--
			c.reauths++
			again = c.reauths <= maxReauths
			if again {
				s.res.Stats.Auth.Retries++
			}
		case errors.Is(err, auth.ErrPermissionDenied):
			again = false // asking again changes nothing
		}
		if again {
			// It certainly did not happen: try again, elsewhere.
			retry := *r
			c.cur = &retry
			s.after(s.between(20*Millisecond, 150*Millisecond), func() { s.attempt(c) })
			return
		}
		if r.kind.writes() {
			s.hist.refuse(r)
		}
	}
	c.cur = nil
	s.after(s.between(5*Millisecond, 40*Millisecond), func() { s.nextOp(c) })
}
