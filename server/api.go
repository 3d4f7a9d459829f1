package server

import (
	"slices"
	"time"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
)

// The request methods below run on the member's goroutine. Each calls done
// exactly once, also on the member's goroutine, when the request has been
// applied (its result) or has failed (an *Error); done must not block.

// Write proposes a write (put, delete, txn, compaction, lease grant or
// revoke) and answers with its applied result. It carries no user: with
// authentication on, it is refused when applied ("user name is empty").
func (m *Member) Write(req *kv.Request, deadline time.Time, done func(Result)) {
	m.write(req, kindKV, auth.Caller{}, deadline, done)
}

// WriteAs is Write on behalf of caller, whose permissions are checked
// when the entry is applied (auth_entries.go).
func (m *Member) WriteAs(req *kv.Request, caller auth.Caller, deadline time.Time, done func(Result)) {
	m.write(req, kindKVAs, caller, deadline, done)
}

// writeSystem is a write the member makes itself (an expired lease's
// revocation, an auto compaction): no user's permissions apply. It returns
// the proposal (nil if the request was refused before it was proposed).
func (m *Member) writeSystem(req *kv.Request, deadline time.Time, done func(Result)) *proposal {
	return m.write(req, kindKVSystem, auth.Caller{}, deadline, done)
}

func (m *Member) write(req *kv.Request, kind entryKind, caller auth.Caller, deadline time.Time, done func(Result)) *proposal {
	// etcd checks a request before proposing it, so that a request every
	// member would refuse never takes a slot in the log.
	if err := m.store.Validate(req); err != nil {
		done(Result{Err: err, Header: m.Header()})
		return nil
	}
	if m.overQuota(req) {
		done(Result{Err: ErrNoSpace, Header: m.Header()})
		return nil
	}
	if g := req.LeaseGrant; g != nil && g.ID == 0 {
		// The proposer picks the ID so that every member applies the same one.
		g.ID = int64(m.ids.Next() & (1<<63 - 1))
	}
	// etcd's limit is on its own log entry for the request; measured the
	// same way, the limit means the same thing here (kv.Request.EtcdSize).
	if req.EtcdSize(m.ids.Peek(), caller.User, caller.Revision) > m.cfg.MaxRequestBytes {
		done(Result{Err: ErrRequestTooLarge, Header: m.Header()})
		return nil
	}
	payload, err := req.Marshal()
	if err != nil {
		done(Result{Err: err, Header: m.Header()})
		return nil
	}
	if kind == kindKVAs {
		payload = append(appendCaller(make([]byte, 0, len(payload)+len(caller.User)+12), caller), payload...)
	}
	return m.propose(kind, payload, deadline, done)
}

// KeepAlive renews a lease. Only the leader answers it: a follower says
// ErrNotLeader, and the gateway forwards the request to the leader, as
// etcd does. The leader alone decides when a lease expires, so only the
// leader can promise that it has not: a follower that renewed on its own
// countdown once told a client "renewed" while the leader's revocation was
// already on its way through the log, and the lease died right after the
// keep-alive (found by the member-level simulator; regression script
// only-the-leader-answers-a-keep-alive).
// The leader refuses a lease it has already found expired, then sends the
// renewal through the log, so that every member's countdown restarts, and
// answers with what its own apply said.
func (m *Member) KeepAlive(id int64, deadline time.Time, done func(Result)) {
	if !m.IsLeader() {
		done(Result{Err: ErrNotLeader, Header: m.Header()})
		return
	}
	if slices.Contains(m.store.ExpiredLeases(m.env.Clock.Now()), id) {
		done(Result{Err: kv.ErrLeaseNotFound, Header: m.Header()})
		return
	}
	m.propose(kindLeaseRenew, encodeLeaseID(id), deadline, done)
}

// AddMember adds a member with the given peer URLs, as a voter or a learner
// (thesis §4.2.1: add learners, let them catch up, then promote).
func (m *Member) AddMember(peerURLs []string, learner bool, deadline time.Time, done func(Result)) {
	for _, u := range peerURLs {
		if err := checkURL(u); err != nil {
			done(Result{Err: ErrBadURLs})
			return
		}
	}
	for _, info := range m.cluster.list() {
		for _, u := range info.PeerURLs {
			if slices.Contains(peerURLs, u) {
				done(Result{Err: ErrPeerURLExists})
				return
			}
		}
	}
	id := MemberID(peerURLs, m.cfg.InitialClusterToken, m.env.Clock.Now().Unix())
	for m.cluster.Removed[id] || m.cluster.Members[id] != nil {
		id++ // never reuse an identity
	}
	reqID := m.ids.Next()
	ctx := confChangeContext{RequestID: reqID, Member: MemberInfo{ID: id, PeerURLs: slices.Clone(peerURLs), IsLearner: learner}}
	typ := raft.ConfChangeAddVoter
	if learner {
		typ = raft.ConfChangeAddLearner
	}
	m.proposeConfChange(raft.ConfChange{Type: typ, NodeID: id, Context: mustJSON(ctx)}, reqID, deadline, done)
}

// UpdateMember changes a member's peer URLs (etcdctl member update), for a
// member that moved to another address. Raft itself knows members only by
// ID (§4.1: the configuration is the set of servers, not their addresses),
// so this is not a configuration change: it is an ordinary entry, applied
// in log order like a write, after which every member sends to the new
// URLs. The member that moved is restarted on them by its operator.
func (m *Member) UpdateMember(id uint64, peerURLs []string, deadline time.Time, done func(Result)) {
	if len(peerURLs) == 0 {
		done(Result{Err: ErrBadURLs})
		return
	}
	for _, u := range peerURLs {
		if err := checkURL(u); err != nil {
			done(Result{Err: ErrBadURLs})
			return
		}
	}
	if err := m.cluster.checkPeerURLs(id, peerURLs); err != nil {
		done(Result{Err: err})
		return
	}
	m.propose(kindMemberPeerURLs, mustJSON(memberPeerURLs{ID: id, PeerURLs: slices.Clone(peerURLs)}), deadline, done)
}

// RemoveMember removes a member (the leader too: it hands over and steps down).
func (m *Member) RemoveMember(id uint64, deadline time.Time, done func(Result)) {
	if _, ok := m.cluster.member(id); !ok {
		done(Result{Err: ErrMemberNotFound})
		return
	}
	if m.IsLeader() && m.removalLosesQuorum(id) {
		done(Result{Err: ErrUnhealthy})
		return
	}
	reqID := m.ids.Next()
	ctx := confChangeContext{RequestID: reqID, Member: MemberInfo{ID: id}}
	m.proposeConfChange(raft.ConfChange{Type: raft.ConfChangeRemove, NodeID: id, Context: mustJSON(ctx)}, reqID, deadline, done)
}

// removalLosesQuorum refuses to remove a voter when the voters left that are
// actually reachable would not make a majority (etcd's strict reconfig check).
func (m *Member) removalLosesQuorum(id uint64) bool {
	st := m.node.Status()
	if !slices.Contains(st.Config.Voters, id) {
		return false
	}
	voters, active := 0, 0
	for _, v := range st.Config.Voters {
		if v == id {
			continue
		}
		voters++
		if pr, ok := st.Progress[v]; v == m.id || (ok && pr.RecentActive) {
			active++
		}
	}
	return active < voters/2+1
}

// PromoteMember makes a learner a voter, if it has caught up with the leader.
// Only the leader can judge that; the caller forwards the request to it.
func (m *Member) PromoteMember(id uint64, deadline time.Time, done func(Result)) {
	info, ok := m.cluster.member(id)
	switch {
	case !ok:
		done(Result{Err: ErrMemberNotFound})
		return
	case !info.IsLearner:
		done(Result{Err: ErrMemberNotLearner})
		return
	case !m.IsLeader():
		done(Result{Err: ErrNotLeader})
		return
	}
	st := m.node.Status()
	pr, ok := st.Progress[id]
	// etcd's rule: the learner's log must hold at least 90% of the leader's.
	if !ok || float64(pr.Match) < 0.9*float64(st.Progress[m.id].Match) {
		done(Result{Err: ErrLearnerNotReady})
		return
	}
	reqID := m.ids.Next()
	ctx := confChangeContext{RequestID: reqID, Member: MemberInfo{ID: id}}
	m.proposeConfChange(raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: id, Context: mustJSON(ctx)}, reqID, deadline, done)
}

// TransferLeadership asks raft to hand leadership to target (thesis §3.10).
func (m *Member) TransferLeadership(target uint64) { m.node.TransferLeader(target) }

// bestTransferee is the voter most up to date with this leader's log (0 if
// this member does not lead or has no other voter that answers).
func (m *Member) bestTransferee() uint64 {
	if !m.IsLeader() {
		return 0
	}
	st := m.node.Status()
	var best uint64
	var bestMatch uint64
	for _, id := range st.Config.Voters {
		pr, ok := st.Progress[id]
		if id == m.id || !ok || !pr.RecentActive {
			continue
		}
		if best == 0 || pr.Match > bestMatch {
			best, bestMatch = id, pr.Match
		}
	}
	return best
}
