package server

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
)

// Authentication in the member: what travels through the log and what
// applying it does. The rules themselves are package auth's.
//
// A write a client makes carries who made it (kindKVAs: the user and the
// auth revision its permissions were read at). When the entry is applied,
// every member checks it against the auth state of that point in the log —
// the same state on every member, since the auth state changes only by
// entries of the same log (kindAuth) — so a permission revoked while a
// write was on its way is honoured by all members or by none.

// appendCaller appends a write's caller: the user's name and the auth
// revision, length-prefixed.
func appendCaller(b []byte, c auth.Caller) []byte {
	b = binary.AppendUvarint(b, uint64(len(c.User)))
	b = append(b, c.User...)
	return binary.AppendUvarint(b, c.Revision)
}

// decodeCaller splits a kindKVAs payload into its caller and request.
func decodeCaller(p []byte) (auth.Caller, []byte, error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || uint64(len(p)-k) < n {
		return auth.Caller{}, nil, fmt.Errorf("%w: bad caller", errBadEnvelope)
	}
	user := string(p[k : k+int(n)])
	p = p[k+int(n):]
	rev, k := binary.Uvarint(p)
	if k <= 0 {
		return auth.Caller{}, nil, fmt.Errorf("%w: bad auth revision", errBadEnvelope)
	}
	return auth.Caller{User: user, Revision: rev}, p[k:], nil
}

// authorize checks a client's write when it is applied. A write made
// without a user (kindKV) is checked as a user-less one: with
// authentication on it is refused, even if authentication was off when it
// was proposed.
func (m *Member) authorize(c auth.Caller, req *kv.Request) error {
	if !m.auth.Enabled() {
		return nil
	}
	return m.auth.CheckRequest(c, req, m.leaseKeys)
}

// leaseKeys returns the keys attached to a lease.
func (m *Member) leaseKeys(id int64) [][]byte {
	return m.store.LeaseTimeToLive(&kv.LeaseTimeToLiveRequest{ID: id, Keys: true}, m.env.Clock.Now()).Keys
}

// Auth returns the member's auth state (safe for concurrent use).
func (m *Member) Auth() *auth.Store { return m.auth }

// Tokens returns the simple tokens this member knows (safe for concurrent use).
func (m *Member) Tokens() *SimpleTokens { return m.tokens }

// AuthChange proposes a change of users, roles or permissions; its
// caller's right to make it (the root role, with authentication on) is
// checked when it is applied. The change must be checked first by the
// proposer as far as it can be (AuthPrecheck), so that a request every
// member would refuse takes no slot in the log.
func (m *Member) AuthChange(req *auth.Request, deadline time.Time, done func(Result)) {
	payload, _ := json.Marshal(req) // plain structs: cannot fail
	m.propose(kindAuth, payload, deadline, done)
}

// tokenAssignment is the payload of kindAuthToken: a simple token's
// random part, for a user who proved their password to the proposer. The
// token is that part, a dot, and the index of the entry (etcd's form), so
// a member knows it once it has applied that index.
type tokenAssignment struct {
	User   string `json:"user"`
	Prefix string `json:"prefix"`
	// Revision is the auth revision the password was checked at: if the
	// user changed since (deleted, new password), no token is handed out.
	Revision uint64 `json:"revision"`
}

// AssignToken proposes a simple token for user, whose password the caller
// checked at auth revision rev; the result's Token is the token.
func (m *Member) AssignToken(user, prefix string, rev uint64, deadline time.Time, done func(Result)) {
	payload, _ := json.Marshal(tokenAssignment{User: user, Prefix: prefix, Revision: rev})
	m.propose(kindAuthToken, payload, deadline, done)
}

// applyAuth applies a change of the auth state.
func (m *Member) applyAuth(index uint64, payload []byte) Result {
	var req auth.Request
	if err := json.Unmarshal(payload, &req); err != nil {
		m.logf("skipped entry %d: bad auth change: %v", index, err)
		return Result{Err: err}
	}
	wasEnabled := m.auth.Enabled()
	dropUser, err := m.auth.Apply(&req)
	if err != nil {
		return Result{Err: err}
	}
	switch {
	case req.Op == auth.OpDisable && wasEnabled:
		m.tokens.dropAll()
		m.logf("authentication disabled")
	case req.Op == auth.OpEnable && !wasEnabled:
		m.logf("authentication enabled")
	case dropUser != "":
		m.tokens.dropUser(dropUser)
	}
	return Result{}
}

// applyTokenAssignment hands out a simple token, on every member alike.
func (m *Member) applyTokenAssignment(index uint64, payload []byte) Result {
	var a tokenAssignment
	if err := json.Unmarshal(payload, &a); err != nil {
		m.logf("skipped entry %d: bad token assignment: %v", index, err)
		return Result{Err: err}
	}
	if !m.auth.Enabled() {
		return Result{Err: auth.ErrAuthNotEnabled}
	}
	if _, ok := m.auth.User(a.User); !ok || a.Revision < m.auth.Revision() {
		// Deleted, or changed, since the password was checked.
		return Result{Err: errAuthFailed}
	}
	token := fmt.Sprintf("%s.%d", a.Prefix, index)
	m.tokens.add(token, a.User, m.env.Clock.Now())
	return Result{Token: token}
}

// restoreAuth installs the auth state a snapshot carried; the tokens of
// the state it replaces go with it.
func (m *Member) restoreAuth(st *auth.State) error {
	if err := m.auth.Restore(st); err != nil {
		return err
	}
	m.tokens.dropAll()
	return nil
}

// applyWaiter is a caller waiting for the member to apply an index.
type applyWaiter struct {
	index uint64
	done  func()
}

// whenApplied calls done once the member has applied index.
func (m *Member) whenApplied(index uint64, done func()) {
	if m.applied >= index {
		done()
		return
	}
	m.applyWaiters = append(m.applyWaiters, applyWaiter{index, done})
}

// serveApplyWaiters releases the waiters whose index has been applied.
func (m *Member) serveApplyWaiters() {
	kept := m.applyWaiters[:0]
	for _, w := range m.applyWaiters {
		if w.index <= m.applied {
			w.done()
		} else {
			kept = append(kept, w)
		}
	}
	m.applyWaiters = kept
}

// tokenSweepEvery is how often a member forgets the simple tokens that ran
// out (a token is also checked when used: the sweep only bounds memory).
const tokenSweepEvery = 10 * time.Second

func (m *Member) expireTokens(now time.Time) {
	if now.Before(m.nextTokenSweep) {
		return
	}
	m.nextTokenSweep = now.Add(tokenSweepEvery)
	m.tokens.expire(now)
}
