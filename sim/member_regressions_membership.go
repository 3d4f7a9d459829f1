package sim

import (
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/server"
)

// Regression scripts about membership: members joining, restarting before
// they know their peers, a leader none of the others knew, and the
// operator's own mistakes.

// The operator's replacement, as a script sees it.
func (sc *MemberScript) operatorPhase() operatorPhase { return sc.s.op.phase }

// peersKnown is how many peers slot i's transport can send to.
func (sc *MemberScript) peersKnown(i int) int { return len(sc.s.slots[i].peers) }

// joinedRestartScript: a member joins (--initial-cluster-state existing)
// and stops before the leader's first entries reach it, so it has no
// membership on disk. Restarted, it must still know where its peers are —
// from --initial-cluster, as a joining member asks — or it can answer no
// one, and nothing ever reaches it.
func joinedRestartScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; the operator replaces {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("X", sc.Other(sc.Leader()))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "{X}'s old member is out and its disk wiped; cut {X}'s machine off, so that the new member hears nothing",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.operatorPhase() == opAdding },
			Do:     func(sc *MemberScript) { sc.Isolate(sc.Node("X")) }},
		{Say: "the new member started on {X} (member add --learner, then --initial-cluster-state existing); it crashes before anything reached it",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				x := sc.Node("X")
				return sc.Up(x) && sc.Member(x).ID() != sc.s.op.oldID
			},
			Do: func(sc *MemberScript) { sc.Crash(sc.Node("X")) }},
		{Say: "restart it: it has no membership on disk, yet knows where its peers are",
			Do: func(sc *MemberScript) {
				x := sc.Node("X")
				sc.Restart(x)
				switch m := sc.Member(x); {
				case m == nil:
					sc.Fail("script: the new member on %s did not restart", sc.Name(x))
				case m.Applied() != 0 || len(m.Members()) != 0:
					sc.Fail("script: the new member on %s restarted with applied index %d and %d members: something reached it before the crash", sc.Name(x), m.Applied(), len(m.Members()))
				case sc.peersKnown(x) == 0:
					sc.Fail("a joined member restarted with no membership on disk knows no peer: it cannot answer the leader")
				}
			}},
		{Say: "reconnect {X}: the new member catches up, is promoted, and the replacement ends",
			Do: func(sc *MemberScript) { sc.Reconnect(sc.Node("X")) }},
		{Say: "the replacement of {X} is done, and it has caught up",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) }},
	}
}

// knows reports whether slot i's transport can send to member id.
func (sc *MemberScript) knows(i int, id uint64) bool { return sc.s.slots[i].peers[id] }

// transferLeadership asks the leader to hand leadership to slot to.
func (sc *MemberScript) transferLeadership(to int) {
	l := sc.Leader()
	if l < 0 || l == to || !sc.Up(to) {
		return
	}
	target := sc.Member(to).ID()
	sc.s.input(sc.s.slots[l], func(m *server.Member) { m.TransferLeadership(target) })
}

// downWhileJoinedScript: a member is down while another is replaced by a
// new one, which then becomes the leader. Restarted, the member's
// membership (from its disk) does not have the leader, so its transport
// has no address for it: the leader's appends arrive, but the replies go
// nowhere — and the log that would bring the address can only come from
// that leader. It must ask its peers who is in the cluster.
func downWhileJoinedScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {D} crashes, and the operator replaces {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("D", sc.Other(l))
				sc.Label("X", sc.Other(l, sc.Node("D")))
				sc.Crash(sc.Node("D"))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "{X}'s new member joined and was promoted, while {D} was down: hand it the leadership",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) },
			Do:     func(sc *MemberScript) { sc.transferLeadership(sc.Node("X")) }},
		{Say: "{X}'s new member leads; restart {D}, whose membership does not have it",
			Within: 3 * Second,
			Until:  func(sc *MemberScript) bool { return sc.Leader() == sc.Node("X") },
			Do: func(sc *MemberScript) {
				d, x := sc.Node("D"), sc.Node("X")
				sc.Restart(d)
				if !sc.Up(d) {
					sc.Fail("script: %s did not restart", sc.Name(d))
					return
				}
				if sc.knows(d, sc.Member(x).ID()) {
					sc.Fail("script: %s restarted knowing the new leader's address: the situation is not the one this script is about", sc.Name(d))
				}
			}},
		{Say: "{D} answered the new leader and caught up",
			Within: 5 * Second, Until: caughtUp("D")},
	}
}

// listedAt returns the ID slot i's member lists under slot j's peer URL (0 if
// none).
func (sc *MemberScript) listedAt(i, j int) uint64 {
	info, ok := memberWithURL(sc.Member(i).Members(), sc.s.slots[j].peerURL)
	if !ok {
		return 0
	}
	return info.ID
}

// laggingPeerScript: a member is replaced while one of its peers lags,
// cut off since before the removal: it still lists the removed member
// under the very peer URL the new member joins with. A joining member that
// believed that peer would take the removed member's ID, and nobody would
// ever send it the log. It must believe the most advanced peer.
func laggingPeerScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; cut {P} off, and replace {X}",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				// The lagging peer is to come first in --initial-cluster,
				// before the leader, so that it is the first to answer a
				// joining member: m1 must not lead.
				if l := sc.Leader(); l == 0 {
					sc.transferLeadership(1)
					return false
				}
				return leads(50)(sc)
			},
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("P", 0)
				sc.Label("X", sc.Other(l, 0))
				sc.Isolate(sc.Node("P"))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "the new member for {X} is added, and {P} still lists the removed member under {X}'s peer URL",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.operatorPhase() == opAdding && sc.s.op.newID != 0 },
			Do: func(sc *MemberScript) {
				if id := sc.listedAt(sc.Node("P"), sc.Node("X")); id != sc.s.op.oldID {
					sc.Fail("script: %s lists %x under %s's peer URL, not the removed member %x", sc.Name(sc.Node("P")), id, sc.Name(sc.Node("X")), sc.s.op.oldID)
				}
			}},
		{Say: "the new member started on {X} under its own ID; reconnect {P}",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				x := sc.Node("X")
				return sc.operatorPhase() == opPromoting && sc.Up(x) && sc.Member(x).ID() == sc.s.op.newID
			},
			Do: func(sc *MemberScript) { sc.Reconnect(sc.Node("P")) }},
		{Say: "the new member was promoted and caught up, and so did {P}",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) && caughtUp("P")(sc) }},
	}
}

// promotionOf returns the index of the entry in m that promotes member id
// (0 if none): a configuration change adding it as a voter.
func promotionOf(m raft.Message, id uint64) uint64 {
	for _, e := range m.Entries {
		var cc raft.ConfChange
		if e.Type == raft.EntryConfChange && cc.UnmarshalBinary(e.Data) == nil && cc.Type == raft.ConfChangeAddVoter && cc.NodeID == id {
			return e.Index
		}
	}
	return 0
}

// listsAsVoter reports whether the member on slot i lists slot j's member (as the
// operator's replacement left it) as a voter.
func (sc *MemberScript) listsAsVoter(i, j int) bool {
	info, ok := memberWithURL(sc.Member(i).Members(), sc.s.slots[j].peerURL)
	return ok && info.ID == sc.Member(j).ID() && !info.IsLearner
}

// promotionAppliedScript: a new member's promotion commits on the leader,
// and the leader applies it; the other two members have it in their logs
// but do not know yet that it committed, so their configuration still has
// the new member as a learner (a configuration takes effect when applied,
// as in etcd). If the leader were lost for good right then, neither could
// be elected: the follower needs the leader's vote, the new member is no
// voter in its own eyes. So an operator waits until every member has
// applied the promotion before calling the replacement done — and only
// then does anything else (here, the leader's disk fails for good).
func promotionAppliedScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; the operator replaces {X}",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("G", sc.Other(l))
				sc.Label("X", sc.Other(l, sc.Node("G")))
				sc.Replace(sc.Node("X"))
			}},
		{Say: "the new member on {X} has joined; once {G} acknowledges its promotion, what {L} sends {G} and {X} is lost for a second",
			Within: 8 * Second,
			Until: func(sc *MemberScript) bool {
				return sc.operatorPhase() == opPromoting && sc.Up(sc.Node("X")) && sc.Member(sc.Node("X")).ID() == sc.s.op.newID
			},
			Do: func(sc *MemberScript) {
				l, g, x := sc.Node("L"), sc.Node("G"), sc.Node("X")
				id := sc.s.op.newID
				var promotion uint64
				sc.watch = func(from int, m raft.Message) {
					switch {
					case from == l && m.To == sc.Member(g).ID() && promotion == 0:
						promotion = promotionOf(m, id)
					case from == g && m.Type == raft.MsgAppResp && !m.Reject && promotion != 0 && m.Index >= promotion:
						sc.watch = nil
						sc.CutOneWay(l, g)
						sc.CutOneWay(l, x)
						sc.Note("%s acknowledged the promotion (index %d): the links from %s are cut", sc.Name(g), promotion, sc.Name(l))
						sc.s.after(Second, func() {
							sc.HealNetwork()
							sc.Note("the links from %s are back", sc.Name(l))
						})
					}
				}
			}},
		{Say: "the promotion is applied on {L}; {G} does not know it committed",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.listsAsVoter(sc.Node("L"), sc.Node("X")) },
			Do: func(sc *MemberScript) {
				if sc.listsAsVoter(sc.Node("G"), sc.Node("X")) {
					sc.Fail("script: %s applied the promotion as soon as %s did", sc.Name(sc.Node("G")), sc.Name(sc.Node("L")))
				}
			}},
		{Say: "the operator calls the replacement done; {L}'s disk fails for good",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() },
			Do: func(sc *MemberScript) {
				l := sc.Node("L")
				sc.Crash(l)
				sc.damageSyncedWAL(l)
				sc.Restart(l)
			}},
		{Say: "{G} and {X} elect a leader, and the operator replaces {L}",
			Within: 10 * Second,
			Until: func(sc *MemberScript) bool {
				return sc.Leader() >= 0 && sc.Leader() != sc.Node("L") && !sc.Replacing() && caughtUp("L")(sc)
			}},
	}
}

// removalOf returns the index of the entry in m that removes member id (0
// if none).
func removalOf(m raft.Message, id uint64) uint64 {
	for _, e := range m.Entries {
		var cc raft.ConfChange
		if e.Type == raft.EntryConfChange && cc.UnmarshalBinary(e.Data) == nil && cc.Type == raft.ConfChangeRemove && cc.NodeID == id {
			return e.Index
		}
	}
	return 0
}

// staleLeaderScript: the operator removes a member, and its member add
// gets no answer: the leader crashed. The new leader has the removal in
// its log but has not applied it yet (its disk is slow, and its
// predecessor's commit never reached it), so its member list still has
// the removed member under the very peer URL the new member is to use.
// The operator must not take that for its addition: the new member would
// join under the removed member's ID, and nobody would ever send it the
// log.
func staleLeaderScript() []MemberStep {
	slowOthers := func(sc *MemberScript, d Time) {
		for i := range sc.Members() {
			if i != sc.Node("L") {
				sc.FsyncTakes(i, d)
			}
		}
	}
	return []MemberStep{
		{Say: "{L} leads, clients write; the operator replaces {X}; once two members acknowledge the removal, what {L} sends is lost",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				l := sc.Leader()
				sc.Label("L", l)
				sc.Label("X", sc.Other(l))
				sc.Replace(sc.Node("X"))
				id := sc.s.op.oldID
				var removal uint64
				acks := map[int]bool{}
				sc.watch = func(from int, m raft.Message) {
					switch {
					case from == l && removal == 0:
						removal = removalOf(m, id)
					case from != l && m.Type == raft.MsgAppResp && !m.Reject && removal != 0 && m.Index >= removal:
						acks[from] = true
						if len(acks) == 2 {
							sc.watch = nil
							for i := range sc.Members() {
								if i != l {
									sc.CutOneWay(l, i)
								}
							}
							sc.Note("two members acknowledged the removal (index %d): the links from %s are cut", removal, sc.Name(l))
						}
					}
				}
			}},
		{Say: "{L} applied the removal and the operator sent it member add: {L} crashes; the others' disks will be slow from the next leader's first append on",
			Within: 5 * Second,
			Until:  func(sc *MemberScript) bool { return sc.operatorPhase() == opAdding && sc.s.op.waiting(sc.Now()) },
			Do: func(sc *MemberScript) {
				l := sc.Node("L")
				term := sc.Member(l).RaftStatus().Term
				sc.Crash(l)
				sc.HealNetwork()
				// The new leader's first entry takes 800 ms to reach a
				// follower's disk: it commits nothing, and applies nothing
				// of its predecessor's term, for that long.
				sc.watch = func(from int, m raft.Message) {
					if m.Type == raft.MsgApp && m.Term > term {
						sc.watch = nil
						slowOthers(sc, 800*Millisecond)
					}
				}
			}},
		{Say: "{N} leads, and has not applied the removal: it lists the removed member under {X}'s peer URL; the operator, with no answer to its member add, looks at the cluster",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				n := sc.Leader()
				if n < 0 || n == sc.Node("L") || sc.s.op.newID != 0 || sc.listedAt(n, sc.Node("X")) != sc.s.op.oldID {
					return false
				}
				sc.Label("N", n)
				return true
			},
			Do: func(sc *MemberScript) {
				sc.s.operatorStep()
				slowOthers(sc, 0)
				sc.Restart(sc.Node("L"))
			}},
		{Say: "a new member started on {X}, under an ID of its own",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return sc.Up(sc.Node("X")) },
			Do: func(sc *MemberScript) {
				if id := sc.Member(sc.Node("X")).ID(); id == sc.s.op.oldID {
					sc.Fail("the operator took a stale member list for its member add: the new member on %s started under the removed member's ID %x", sc.Name(sc.Node("X")), id)
				}
			}},
		{Say: "the replacement of {X} is done, and it has caught up",
			Within: 8 * Second,
			Until:  func(sc *MemberScript) bool { return !sc.Replacing() && caughtUp("X")(sc) }},
	}
}
