package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server"
)

// Authentication in the member-level simulation (MemberConfig.Auth).
//
// At the start an administrator sets authentication up the way a person
// with etcdctl would, one change at a time on the leader, each a log entry
// (Member.AuthChange): user root with role root; role reader (READ on
// every client key), role writer (READWRITE on each client key, one
// permission per key) and role leases (READWRITE on the lease clients'
// keys); users alice, bob and carol holding reader and writer, and user
// leaser holding leases; then auth enable. Client i writes as
// authUsers[i%3], the lease clients as leaser. The identity is the
// client's (a certificate's common name, as with --client-cert-auth); the
// member that receives a request reads the caller's auth revision from its
// own auth state, as server.Server.caller does, and WriteAs carries both
// in the entry.
//
// For the rest of the run, under every fault, a revoker takes rights away
// and gives them back — a key's permission revoked from role writer or
// lowered to READ, role writer or reader revoked from a user — keeping one
// or two taken away most of the time, a change every 50–300 ms: writes are
// regularly in flight across a change. A write refused because the auth
// state moved while it was in flight ("revision of auth store is old") is
// sent again with a revision read anew, as a client that logs in again
// does; a write denied for want of a permission is a definite failure, not
// retried, and must never take effect (checkRefusedWrites).
//
// What must hold (issue 14; etcd #14571 is the bug it rules out) is that
// every member decides every write alike. checkWriteOutcome compares,
// entry by entry, what each member that applies a write entry decided.

// The users and roles the administrator sets up.
var authUsers = []string{"alice", "bob", "carol"}

const (
	authLeaser     = "leaser"
	roleReader     = "reader"
	roleWriter     = "writer"
	roleLeases     = "leases"
	leaseKeyPrefix = "lease/"
	// maxReauths bounds how often a client sends one request again with
	// a fresh revision (a member cut off from the leader stays behind).
	maxReauths = 8
)

// authAdmin is the administrator: first the setup, then the revoker.
type authAdmin struct {
	setup []*auth.Request
	next  int  // the setup step to make
	ready bool // the whole setup was acknowledged
	// token identifies the request out, so that a late answer is ignored.
	token int
}

// authSetup is the list of changes that set authentication up.
func (s *memberSim) authSetup() []*auth.Request {
	grant := func(role string, typ auth.PermType, key, end string) *auth.Request {
		p := auth.Permission{Type: typ, Key: []byte(key)}
		if end != "" {
			p.RangeEnd = []byte(end)
		}
		return &auth.Request{Op: auth.OpRoleGrantPermission, Role: role, Perm: p}
	}
	reqs := []*auth.Request{
		{Op: auth.OpUserAdd, User: auth.RootUser, NoPassword: true},
		{Op: auth.OpUserGrantRole, User: auth.RootUser, Role: auth.RootRole},
		{Op: auth.OpRoleAdd, Role: roleReader},
		grant(roleReader, auth.Read, "k", "l"),
		{Op: auth.OpRoleAdd, Role: roleWriter},
	}
	for i := range s.cfg.Keys {
		reqs = append(reqs, grant(roleWriter, auth.ReadWrite, s.key(i), ""))
	}
	reqs = append(reqs,
		&auth.Request{Op: auth.OpRoleAdd, Role: roleLeases},
		grant(roleLeases, auth.ReadWrite, leaseKeyPrefix, "lease0"))
	for _, u := range authUsers {
		reqs = append(reqs,
			&auth.Request{Op: auth.OpUserAdd, User: u, NoPassword: true},
			&auth.Request{Op: auth.OpUserGrantRole, User: u, Role: roleReader},
			&auth.Request{Op: auth.OpUserGrantRole, User: u, Role: roleWriter})
	}
	return append(reqs,
		&auth.Request{Op: auth.OpUserAdd, User: authLeaser, NoPassword: true},
		&auth.Request{Op: auth.OpUserGrantRole, User: authLeaser, Role: roleLeases},
		&auth.Request{Op: auth.OpEnable})
}

func (s *memberSim) startAuth() {
	s.admin.setup = s.authSetup()
	s.after(s.between(10*Millisecond, 50*Millisecond), s.authStep)
}

// authStep makes the next setup change, or the revoker's next change.
func (s *memberSim) authStep() {
	a := &s.admin
	if !a.ready {
		lead := s.leader()
		if lead == nil {
			s.after(50*Millisecond, s.authStep)
			return
		}
		req := a.setup[a.next]
		s.authRequest(lead, req, func(err error) {
			if s.cfg.Trace > 1 {
				s.tracef("auth: setup step %d (%s %s%s) via %s: %v", a.next+1, req.Op, req.User, req.Role, lead.name, errOrDone(err))
			}
			// A change whose answer was lost is found made when tried
			// again: that counts as done.
			if err == nil || errors.Is(err, auth.ErrUserAlreadyExist) || errors.Is(err, auth.ErrRoleAlreadyExist) {
				a.next++
			}
			if a.next == len(a.setup) {
				a.ready = true
				s.tracef("auth: root, %d users and 3 roles set up, authentication enabled via %s", len(authUsers)+1, lead.name)
				s.after(s.between(50*Millisecond, 300*Millisecond), s.authStep)
				return
			}
			s.after(s.between(Millisecond, 20*Millisecond), s.authStep)
		})
		return
	}
	lead := s.leader()
	if lead == nil {
		s.after(50*Millisecond, s.authStep)
		return
	}
	req, what := s.revokerChange(lead.m.Auth())
	sl := s.slots[s.rng.IntN(len(s.slots))]
	s.authRequest(sl, req, func(err error) {
		if err == nil {
			s.res.Stats.Auth.Changes++
		}
		if s.cfg.Trace > 1 {
			s.tracef("auth: %s via %s: %v", what, sl.name, errOrDone(err))
		}
		s.after(s.between(50*Millisecond, 300*Millisecond), s.authStep)
	})
}

// revokerChange picks the revoker's next change from the auth state the
// leader shows: give back what was taken, or take something away, so that
// one or two rights are missing most of the time.
func (s *memberSim) revokerChange(st *auth.Store) (*auth.Request, string) {
	type change struct {
		req  *auth.Request
		what string
	}
	var restore, revoke []change
	writer, _ := st.Role(roleWriter)
	for i := range s.cfg.Keys {
		k := s.key(i)
		rw := auth.Permission{Type: auth.ReadWrite, Key: []byte(k)}
		if typeOn(writer, k) == auth.ReadWrite {
			revoke = append(revoke,
				change{&auth.Request{Op: auth.OpRoleRevokePermission, Role: roleWriter, Perm: rw}, "revoke role writer's permission on " + k},
				change{&auth.Request{Op: auth.OpRoleGrantPermission, Role: roleWriter, Perm: auth.Permission{Type: auth.Read, Key: []byte(k)}},
					"lower role writer's permission on " + k + " to READ"})
		} else {
			restore = append(restore, change{&auth.Request{Op: auth.OpRoleGrantPermission, Role: roleWriter, Perm: rw}, "give role writer READWRITE on " + k + " again"})
		}
	}
	for _, u := range authUsers {
		for _, role := range []string{roleWriter, roleReader} {
			if st.HasRole(u, role) {
				revoke = append(revoke, change{&auth.Request{Op: auth.OpUserRevokeRole, User: u, Role: role}, fmt.Sprintf("revoke role %s from %s", role, u)})
			} else {
				restore = append(restore, change{&auth.Request{Op: auth.OpUserGrantRole, User: u, Role: role}, fmt.Sprintf("grant role %s to %s again", role, u)})
			}
		}
	}
	pick := revoke
	if len(restore) >= 2 || len(restore) == 1 && s.rng.IntN(2) == 0 || len(revoke) == 0 {
		pick = restore
	}
	c := pick[s.rng.IntN(len(pick))]
	return c.req, c.what
}

// typeOn is the type of a role's permission on exactly key (-1: none).
func typeOn(r auth.Role, key string) auth.PermType {
	for _, p := range r.Perms {
		if string(p.Key) == key && len(p.RangeEnd) == 0 {
			return p.Type
		}
	}
	return -1
}

// authRequest sends one change to the member on sl, as root; then runs
// with the answer (a timeout if none came).
func (s *memberSim) authRequest(sl *slot, req *auth.Request, then func(error)) {
	a := &s.admin
	a.token++
	token := a.token
	answer := func(err error) {
		if a.token != token {
			return
		}
		a.token++ // the other answer, if one comes, is ignored
		then(err)
	}
	s.after(operatorDeadline+Second, func() { answer(server.ErrTimeout) })
	// A member that stops breaks the connection: the administrator knows
	// at once that no answer will come.
	inc := sl.incarnation
	var watch func()
	watch = func() {
		if a.token != token {
			return
		}
		if sl.m == nil || sl.incarnation != inc {
			answer(errConnectionLost)
			return
		}
		s.after(100*Millisecond, watch)
	}
	s.after(100*Millisecond, watch)
	s.after(s.netDelay(), func() {
		up := s.input(sl, func(m *server.Member) {
			r := *req
			r.Caller = auth.Caller{User: auth.RootUser, Revision: m.Auth().Revision()}
			deadline := memberClock{sl}.Now().Add(time.Duration(operatorDeadline) * time.Microsecond)
			m.AuthChange(&r, deadline, func(res server.Result) {
				s.at(s.now+sl.offset+s.netDelay(), func() { answer(res.Err) })
			})
		})
		if !up {
			s.after(s.netDelay(), func() { answer(errConnectionRefused) })
		}
	})
}

// callerOn is who a request from user is on member m: with authentication
// on there, the user and m's auth revision; with it off, nobody (as
// server.Server.caller answers).
func callerOn(m *server.Member, user string) auth.Caller {
	st := m.Auth()
	if !st.Enabled() {
		return auth.Caller{}
	}
	return auth.Caller{User: user, Revision: st.Revision()}
}

// writeAs proposes req on m, as user when the run simulates
// authentication; noteAuth sees the answer first, on m's goroutine.
func (s *memberSim) writeAs(m *server.Member, user string, req *kv.Request, deadline time.Time, done func(server.Result)) {
	if !s.cfg.Auth {
		m.Write(req, deadline, done)
		return
	}
	m.WriteAs(req, callerOn(m, user), deadline, func(res server.Result) {
		s.noteAuth(m, user, req, res.Err)
		done(res)
	})
}

// staleCaller reports whether a request was refused because the auth
// state moved after its caller's revision was read: the client logs in
// again (reads a new revision) and retries.
func staleCaller(err error) bool {
	return errors.Is(err, auth.ErrAuthOldRevision) || errors.Is(err, auth.ErrUserEmpty)
}

// noteAuth counts what the check at apply decided about a write. It runs
// when the proposing member answers, which is while it applies the entry:
// its auth state is the state the entry was checked against.
func (s *memberSim) noteAuth(m *server.Member, user string, req *kv.Request, err error) {
	st, a := m.Auth(), &s.res.Stats.Auth
	switch {
	case err == nil:
		if st.Enabled() {
			a.Allowed++
		}
	case errors.Is(err, auth.ErrPermissionDenied):
		a.Denied++
	case staleCaller(err):
		a.Stale++
		now := auth.Caller{User: user, Revision: st.Revision()}
		if st.CheckRequest(now, req, func(int64) [][]byte { return nil }) != nil {
			a.RevokedInFlight++
		}
	}
}

func errOrDone(err error) any {
	if err == nil {
		return "done"
	}
	return err
}
