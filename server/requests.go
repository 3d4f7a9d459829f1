package server

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
)

// Result is the outcome of a request that went through the log.
type Result struct {
	KV      kv.Response
	Renew   *kv.LeaseKeepAliveResponse
	Members []MemberInfo
	Member  *MemberInfo
	Alarms  []wire.AlarmMember
	// Token is a simple token handed out (kindAuthToken).
	Token  string
	Header Header
	Err    error
}

// proposal is a request waiting for its entry to be applied.
type proposal struct {
	id       uint64
	data     []byte
	conf     *raft.ConfChange
	deadline time.Time
	done     func(Result)
	// index and term are where the leader placed the entry (0 if the
	// proposal was forwarded): if another entry is applied there, this one
	// was lost to a leader change.
	index, term uint64
	// proposedLead is the leader when the entry was proposed, to word a
	// timeout as etcd does when the leader changed meanwhile.
	proposedLead uint64
	// stalled: not accepted by raft yet (no leader); retried until deadline.
	stalled   bool
	nextRetry time.Time
}

// propose sends an envelope through raft; done runs exactly once, on the
// member's goroutine, with the applied result or an error.
func (m *Member) propose(kind entryKind, payload []byte, deadline time.Time, done func(Result)) *proposal {
	if m.removed {
		done(Result{Err: ErrRemoved})
		return nil
	}
	if m.fatal != nil {
		done(Result{Err: ErrStopped})
		return nil
	}
	id := m.ids.Next()
	data := append(appendEnvelope(make([]byte, 0, len(payload)+12), kind, id), payload...)
	if len(data) > m.cfg.MaxRequestBytes+1024 {
		done(Result{Err: ErrRequestTooLarge})
		return nil
	}
	p := &proposal{id: id, data: data, deadline: deadline, done: done}
	m.waiting[id] = p
	m.submit(p)
	return p
}

// proposeConfChange is propose for membership changes.
func (m *Member) proposeConfChange(cc raft.ConfChange, requestID uint64, deadline time.Time, done func(Result)) {
	p := &proposal{id: requestID, conf: &cc, deadline: deadline, done: done}
	m.waiting[requestID] = p
	m.submit(p)
}

// submit hands a proposal to raft, or parks it until a leader appears.
func (m *Member) submit(p *proposal) {
	var placed raft.Proposed
	var err error
	if p.conf != nil {
		placed, err = m.node.ProposeConfChange(*p.conf)
	} else {
		placed, err = m.node.Propose(p.data)
	}
	switch {
	case err == nil:
		p.stalled = false
		p.index, p.term, p.proposedLead = placed.Index, placed.Term, m.lead
		m.stats.ProposalsPending = len(m.waiting)
	case errors.Is(err, raft.ErrConfChangeRejected):
		m.finish(p, Result{Err: ErrConfChangePending})
	default:
		// No leader (an election is under way) or a leadership transfer:
		// wait, as etcd does, and try again until the deadline.
		p.stalled = true
		p.nextRetry = m.env.Clock.Now().Add(stalledRetryEvery)
	}
}

func (m *Member) retryStalled(now time.Time) {
	for _, p := range m.waitingWhere(func(p *proposal) bool { return p.stalled && !now.Before(p.nextRetry) }) {
		m.submit(p)
	}
}

// waitingWhere returns the waiting proposals that match, oldest first.
// Request IDs grow with each request, so this is the order they were
// made in. It must not be Go's map order, which changes from run to run:
// retried proposals would enter the log in a different order and clients
// would hear their answers in a different order, and a simulation seed
// would no longer replay the same run (the simulator's promise: same seed,
// same run).
func (m *Member) waitingWhere(match func(*proposal) bool) []*proposal {
	var out []*proposal
	for _, p := range m.waiting {
		if match(p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *proposal) int { return cmp.Compare(a.id, b.id) })
	return out
}

// finish resolves a waiting proposal.
func (m *Member) finish(p *proposal, r Result) {
	if _, ok := m.waiting[p.id]; !ok {
		return
	}
	delete(m.waiting, p.id)
	m.stats.ProposalsPending = len(m.waiting)
	if r.Err != nil {
		m.stats.ProposalsFailed++
	}
	if r.Header.MemberID == 0 {
		r.Header = m.Header()
	}
	p.done(r)
}

// expireDeadlines fails requests whose deadline has passed. Every request
// resolves: applied, lost, or timed out — never left hanging.
func (m *Member) expireDeadlines(now time.Time) {
	for _, p := range m.waitingWhere(func(p *proposal) bool { return !now.Before(p.deadline) }) {
		switch {
		case p.stalled && m.lead == 0:
			m.finish(p, Result{Err: ErrNoLeader})
		case p.proposedLead != 0 && p.proposedLead != m.lead:
			m.finish(p, Result{Err: ErrTimeoutDueToLeaderFail})
		default:
			m.finish(p, Result{Err: ErrTimeout})
		}
	}
	m.reads.expire(m, now)
}

// failLostProposals fails leader-placed proposals whose index has been
// applied with some other entry: a new leader overwrote them. The client
// learns at once that its request did not take effect.
func (m *Member) failLostProposals() {
	for _, p := range m.waitingWhere(func(p *proposal) bool { return p.index != 0 && p.index <= m.applied }) {
		m.finish(p, Result{Err: ErrLeaderChanged})
	}
}

// failForwardedProposals fails the requests this member forwarded to a
// leader other than newLead: they may have died with it. The outcome is
// unknown (the old leader may have replicated the entry before it went),
// which is exactly what etcd's error says — and the client hears it now,
// not after the whole request timeout.
func (m *Member) failForwardedProposals(newLead uint64) {
	forwardedElsewhere := func(p *proposal) bool {
		return p.index == 0 && !p.stalled && p.proposedLead != 0 && p.proposedLead != newLead
	}
	for _, p := range m.waitingWhere(forwardedElsewhere) {
		m.finish(p, Result{Err: ErrTimeoutDueToLeaderFail})
	}
}

func (m *Member) failAllWaiting(err error) {
	for _, p := range m.waitingWhere(func(*proposal) bool { return true }) {
		m.finish(p, Result{Err: err})
	}
	m.reads.failAll(err)
	for _, w := range m.transfers {
		w.done(err)
	}
	m.transfers = nil
}
