package sim

import (
	"fmt"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server"
)

// Leases in regression scripts. A script holds its own lease, granted and
// kept alive through the members it chooses, at the moments it chooses; the
// lease is judged at the end like any lease client's (checkLeases: it must
// not expire before its TTL has run from the start of the last
// acknowledged keep-alive).

// scriptLease is a lease a script holds.
type scriptLease struct {
	rec    *leaseRecord // set once the grant is acknowledged
	keyPut bool         // its key is attached
	grant  Time         // when the grant was acknowledged
}

// scriptCall is one keep-alive a script sent.
type scriptCall struct {
	call  Time
	done  bool // answered, or given up on
	acked bool // answered "renewed"
}

// newLeaseClient is a lease client of the script's: the end-of-run checks
// judge its leases with the others'. Each request gets its own, so that
// two keep-alives can be on their way at once.
func (sc *MemberScript) newLeaseClient() *leaseClient {
	s := sc.s
	lc := &leaseClient{id: s.cfg.Clients + len(s.leasers)}
	s.leasers = append(s.leasers, lc)
	return lc
}

// grantLease grants a lease of ttl seconds through slot via, and attaches
// a key to it.
func (sc *MemberScript) grantLease(via int, ttl int64) *scriptLease {
	s, sl := sc.s, sc.s.slots[via]
	l := &scriptLease{}
	lc := sc.newLeaseClient()
	s.leaseCallVia(sl, lc, opLeaseGrant, &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: ttl}}, 0,
		func(r server.Result, call Time) {
			g := r.KV.LeaseGrant
			l.rec = &leaseRecord{id: g.ID, ttl: g.TTL, lastAck: call, key: fmt.Sprintf("lease/%x/script", g.ID)}
			l.grant = s.now
			lc.leases = append(lc.leases, l.rec)
			put := &kv.Request{Put: &kv.PutRequest{Key: []byte(l.rec.key), Value: []byte("held"), Lease: g.ID}}
			s.leaseCallVia(sl, sc.newLeaseClient(), opLeasePut, put, g.ID,
				func(server.Result, Time) { l.keyPut = true }, func() {})
		}, func() {})
	return l
}

// keepAlive sends a keep-alive of l through slot via (a follower forwards
// it to the leader, as the gateway does).
func (sc *MemberScript) keepAlive(via int, l *scriptLease) *scriptCall {
	c := &scriptCall{call: sc.s.now}
	sc.s.leaseCallVia(sc.s.slots[via], sc.newLeaseClient(), opKeepAlive, nil, l.rec.id,
		func(_ server.Result, call Time) {
			c.acked = true
			l.rec.lastAck = max(l.rec.lastAck, call)
		},
		func() { c.done = true })
	return c
}

// leaseExists reports whether the member on slot i still has lease l.
func (sc *MemberScript) leaseExists(i int, l *scriptLease) bool {
	m := sc.Member(i)
	if m == nil {
		return false
	}
	for _, x := range m.Store().Leases().Leases {
		if x.ID == l.rec.id {
			return true
		}
	}
	return false
}

// decidedToRevoke reports whether the member on slot i logged that it found
// l expired and proposed its revocation.
func (sc *MemberScript) decidedToRevoke(i int, l *scriptLease) bool {
	return sc.Logged(i, fmt.Sprintf("lease %x expired; revoking it", l.rec.id))
}

// unapplied is how many entries the member on slot i holds in its log and
// has not applied.
func (sc *MemberScript) unapplied(i int) uint64 {
	m := sc.Member(i)
	return m.RaftStatus().LastIndex - m.Applied()
}

// reelectedLeaderScript: a leader loses its followers with keepAlives
// keep-alives of a lease on their way into its log, finds the lease
// expired and proposes its revocation right behind them, steps down
// (CheckQuorum), and is elected again — which restarts every lease's
// countdown. When the log is finally applied, the keep-alives come before
// the revocation: each must be answered "lease not found", for the
// revocation deletes the lease right after them.
func reelectedLeaderScript(keepAlives int) []MemberStep {
	var l *scriptLease
	var calls []*scriptCall
	return []MemberStep{
		{Say: "{L} leads, clients write; a lease of 3 s is granted through {L}, with a key",
			Until: leads(30), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.Label("G", sc.Other(sc.Leader(), sc.Node("F")))
				l = sc.grantLease(sc.Node("L"), 3)
			}},
		{Say: fmt.Sprintf("half a second of the lease left: {F} and {G} crash, and %d keep-alive(s) go to {L}, which can commit nothing now", keepAlives),
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return l.keyPut && sc.Now() >= l.grant+2500*Millisecond },
			Do: func(sc *MemberScript) {
				sc.Crash(sc.Node("F"))
				sc.Crash(sc.Node("G"))
				for range keepAlives {
					calls = append(calls, sc.keepAlive(sc.Node("L"), l))
				}
			}},
		{Say: "{L} found the lease expired and proposed its revocation, behind the keep-alives in its log",
			Within: 2 * Second,
			Until:  func(sc *MemberScript) bool { return sc.decidedToRevoke(sc.Node("L"), l) },
			Do: func(sc *MemberScript) {
				for _, c := range calls {
					if c.done {
						sc.Fail("script: a keep-alive was answered before the leader decided to revoke the lease")
					}
				}
				if n := sc.unapplied(sc.Node("L")); n < uint64(keepAlives)+1 {
					sc.Fail("script: %s holds only %d unapplied entries: the keep-alives are not in its log ahead of the revocation", sc.Name(sc.Node("L")), n)
				}
			}},
		{Say: "{L} stepped down (CheckQuorum); {F} restarts, its log shorter than {L}'s",
			Within: 3 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Member(sc.Node("L")).IsLeader() },
			Do:     func(sc *MemberScript) { sc.Restart(sc.Node("F")) }},
		{Say: "{L} is elected again, which restarts every lease's countdown; {G} restarts",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.Leader() == sc.Node("L") },
			Do:     func(sc *MemberScript) { sc.Restart(sc.Node("G")) }},
		{Say: "the keep-alives and the revocation are applied: no keep-alive was acknowledged, and the lease is gone",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				for _, c := range calls {
					if !c.done {
						return false
					}
				}
				return !sc.leaseExists(sc.Node("L"), l)
			},
			Do: func(sc *MemberScript) {
				for i, c := range calls {
					if c.acked {
						sc.Fail("a keep-alive of lease %x (%d of %d), started at %s, was acknowledged, and the revocation behind it deleted the lease", l.rec.id, i+1, len(calls), c.call)
					}
				}
			}},
	}
}

// keepAliveThroughFollowerScript: a keep-alive reaches the leader's log
// through a follower that has just restarted (so its own countdowns have
// far to go), while the rest of the cluster is slow to commit it; the
// leader, its countdown run out, proposes the revocation behind it. Only
// the leader knows of that decision: the follower that passed the
// keep-alive on must not answer it from its own apply ("renewed", with the
// revocation right behind), the leader must, and says "lease not found".
func keepAliveThroughFollowerScript() []MemberStep {
	var l *scriptLease
	var call *scriptCall
	slow := func(sc *MemberScript, d Time) {
		for i := range sc.Members() {
			if i != sc.Node("L") && i != sc.Node("F") {
				sc.FsyncTakes(i, d)
			}
		}
	}
	return []MemberStep{
		{Say: "{L} leads, clients write; a lease of 3 s is granted through {L}, with a key",
			Until: leads(30), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				l = sc.grantLease(sc.Node("L"), 3)
			}},
		{Say: "{F} restarts: its countdowns start again, from a full TTL",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return l.keyPut && sc.Now() >= l.grant+1500*Millisecond },
			Do: func(sc *MemberScript) {
				sc.Crash(sc.Node("F"))
				sc.Restart(sc.Node("F"))
			}},
		{Say: "one second of the lease left: every follower's disk but {F}'s takes 800 ms an fsync, so the leader commits slowly",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return l.keyPut && sc.Now() >= l.grant+2*Second },
			Do:     func(sc *MemberScript) { slow(sc, 800*Millisecond) }},
		{Say: "a keep-alive goes through {F}, to the leader's log",
			Until: func(sc *MemberScript) bool { return sc.Now() >= l.grant+2600*Millisecond },
			Do:    func(sc *MemberScript) { call = sc.keepAlive(sc.Node("F"), l) }},
		{Say: "{L} found the lease expired and proposed its revocation, behind the keep-alive, neither committed: the disks are fast again",
			Within: 2 * Second,
			Until:  func(sc *MemberScript) bool { return sc.decidedToRevoke(sc.Node("L"), l) },
			Do: func(sc *MemberScript) {
				switch {
				case call.done:
					sc.Fail("script: the keep-alive was answered before the leader decided to revoke the lease")
				case sc.Now()-call.call < 100*Millisecond:
					sc.Fail("script: the keep-alive was sent only %s before the leader decided: it may not be ahead of the revocation", sc.Now()-call.call)
				case sc.unapplied(sc.Node("L")) < 2:
					sc.Fail("script: the leader has applied its log: the keep-alive is not waiting ahead of the revocation")
				}
				slow(sc, 0)
			}},
		{Say: "both are applied: the keep-alive was not acknowledged, and the lease is gone",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return call.done && !sc.leaseExists(sc.Node("L"), l) },
			Do: func(sc *MemberScript) {
				if call.acked {
					sc.Fail("the keep-alive of lease %x through %s, started at %s, was acknowledged, and the revocation right behind it deleted the lease", l.rec.id, sc.Name(sc.Node("F")), call.call)
				}
			}},
	}
}
