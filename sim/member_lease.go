package sim

import (
	"errors"
	"fmt"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server"
)

// A lease client does what a session does (client/concurrency): grant a
// lease, attach a key to it, keep it alive a few times, then either let
// it expire or revoke it, and start over. The check (checkLeases) is the
// promise a lease makes: it does not expire before its TTL has run from
// the start of the last keep-alive that was acknowledged (or of the
// grant). The leader may renew a little later than the client asked, so
// the bound is measured from the request's start.
type leaseClient struct {
	id     int
	n      int
	leases []*leaseRecord
	cur    *leaseRecord
	rounds int // keep-alives left before letting go
	token  int
}

type leaseRecord struct {
	id  int64
	ttl int64
	// lastAck is the start of the last acknowledged grant or keep-alive.
	lastAck Time
	key     string
	revoked bool // a revoke was sent (whatever its outcome)
}

func (s *memberSim) leaseStep(lc *leaseClient) {
	if lc.cur == nil {
		lc.n++
		ttl := int64(2 + s.rng.IntN(3))
		s.leaseCall(lc, opLeaseGrant, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: ttl}}, 0,
			func(r server.Result, call Time) {
				g := r.KV.LeaseGrant
				l := &leaseRecord{id: g.ID, ttl: g.TTL, lastAck: call, key: fmt.Sprintf("lease/%x/%d", g.ID, lc.n)}
				lc.cur, lc.rounds = l, s.rng.IntN(7)
				lc.leases = append(lc.leases, l)
				s.res.Stats.LeasesGranted++
				s.after(s.between(0, 50*Millisecond), func() { s.leasePut(lc, l) })
			},
			func() { s.after(s.between(100*Millisecond, 500*Millisecond), func() { s.leaseStep(lc) }) })
		return
	}
	l := lc.cur
	if lc.rounds > 0 {
		lc.rounds--
		s.leaseCall(lc, opKeepAlive, nil, l.id,
			func(r server.Result, call Time) {
				if r.Renew.TTL <= 0 {
					s.fail("keep-alive of lease %x acknowledged with TTL %d", l.id, r.Renew.TTL)
				}
				l.lastAck = max(l.lastAck, call)
				s.res.Stats.KeepAlives++
			},
			func() { s.after(Time(l.ttl)*Second/3, func() { s.leaseStep(lc) }) })
		return
	}
	// Let it go: revoke it now and then, else let it expire.
	lc.cur = nil
	if s.rng.IntN(4) == 0 {
		l.revoked = true
		s.leaseCall(lc, opLeaseRevoke, &kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: l.id}}, l.id, nil,
			func() { s.after(s.between(100*Millisecond, Second), func() { s.leaseStep(lc) }) })
		return
	}
	s.after(Time(l.ttl)*Second+s.between(0, Second), func() { s.leaseStep(lc) })
}

// leasePut attaches the lease's key.
func (s *memberSim) leasePut(lc *leaseClient, l *leaseRecord) {
	s.leaseCall(lc, opLeasePut, &kv.Request{Put: &kv.PutRequest{Key: []byte(l.key), Value: []byte("held"), Lease: l.id}}, l.id, nil,
		func() { s.after(Time(l.ttl)*Second/3, func() { s.leaseStep(lc) }) })
}

// leaseCall sends one lease request (req, or a keep-alive of lease id) to a
// random member; ok runs when it is acknowledged, then next in any case.
func (s *memberSim) leaseCall(lc *leaseClient, kind opKind, req *kv.Request, id int64, ok func(server.Result, Time), next func()) {
	s.leaseCallVia(s.slots[s.rng.IntN(len(s.slots))], lc, kind, req, id, ok, next)
}

// leaseCallVia sends one lease request to the member on sl.
func (s *memberSim) leaseCallVia(sl *slot, lc *leaseClient, kind opKind, req *kv.Request, id int64, ok func(server.Result, Time), next func()) {
	lc.token++
	token := lc.token
	r := &opRecord{client: lc.id, kind: kind, lease: id, member: sl.name, call: s.now}
	if req != nil && req.Put != nil {
		r.key, r.value = string(req.Put.Key), string(req.Put.Value)
	}
	finish := func(o outcome, res server.Result, msg string) {
		if lc.token != token || r.outcome != pending {
			return
		}
		r.outcome, r.err = o, msg
		if o != outcomeUnknown {
			r.ret = s.now
		}
		s.mix([]byte(r.String()))
		if s.cfg.Trace > 1 {
			s.tracef("client: %s", r)
		}
		s.res.Stats.Ops++
		switch o {
		case outcomeOK:
			s.res.Stats.OpsOK++
			if kind == opLeasePut {
				r.rev = res.KV.Put.Header.Revision
				s.hist.add(r)
			}
			if ok != nil {
				ok(res, r.call)
			}
		case outcomeUnknown:
			s.res.Stats.OpsUnknown++
		default:
			s.res.Stats.OpsFailed++
		}
		if s.tl != nil && o != outcomeFailed {
			s.tl.op(r, s.now)
		}
		next()
	}
	s.after(clientTimeout, func() { finish(outcomeUnknown, server.Result{}, "client timeout") })
	s.after(s.netDelay(), func() {
		up := s.input(sl, func(m *server.Member) {
			done := func(res server.Result) {
				o := classify(res.Err)
				msg := ""
				if res.Err != nil {
					msg = res.Err.Error()
				}
				s.at(s.now+sl.offset+s.netDelay(), func() { finish(o, res, msg) })
			}
			if req == nil {
				m.KeepAlive(id, s.deadline(sl), func(res server.Result) {
					if errors.Is(res.Err, server.ErrNotLeader) {
						s.forwardKeepAlive(sl, m, id, done)
						return
					}
					done(res)
				})
				return
			}
			s.writeAs(m, authLeaser, req, s.deadline(sl), done)
		})
		if !up {
			s.after(s.netDelay(), func() { finish(outcomeFailed, server.Result{}, "connection refused") })
		}
	})
}

// forwardKeepAlive is the gateway of the member on sl forwarding a
// keep-alive to the leader it knows of (only the leader renews leases),
// and passing the leader's answer back.
func (s *memberSim) forwardKeepAlive(sl *slot, m *server.Member, id int64, done func(server.Result)) {
	lead, _ := m.Leader()
	target := s.byID[lead]
	if lead == 0 || target == nil {
		done(server.Result{Err: server.ErrNoLeader})
		return
	}
	inc := sl.incarnation
	back := func(res server.Result) {
		// The answer travels back through sl's gateway, if it still runs.
		s.after(s.netDelay(), func() {
			if sl.incarnation == inc && sl.m != nil {
				done(res)
			}
		})
	}
	s.after(s.netDelay(), func() {
		up := s.input(target, func(lm *server.Member) {
			lm.KeepAlive(id, s.deadline(target), func(res server.Result) {
				if errors.Is(res.Err, server.ErrNotLeader) {
					res.Err = server.ErrNoLeader // forwarded once only, as in production
				}
				s.at(s.now+target.offset, func() { back(res) })
			})
		})
		if !up {
			back(server.Result{Err: server.ErrNoLeader})
		}
	})
}
