package sim

import "slices"

// Regression scripts about clients and the network between them and the
// members: requests waiting for a leader, a write still waiting when the
// run ends, proposals doubled on the way.

// stalled counts the members that know no leader and hold at least n
// requests waiting for one.
func (sc *MemberScript) stalled(n int) int {
	count := 0
	for i := range sc.Members() {
		if m := sc.Member(i); m != nil {
			if lead, _ := m.Leader(); lead == 0 && m.Stats().ProposalsPending >= n {
				count++
			}
		}
	}
	return count
}

// orderOfRequestsScript: with no leader, requests pile up at every member,
// waiting; once a leader is elected they are all retried at once (or, past
// their deadline, all failed at once). Done in Go's map order, they went
// into the log, and clients heard their answers, in a different order on
// every run: a seed did not replay. TestRegressions runs this twice and
// compares the runs.
func orderOfRequestsScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; cut every member off from every other: no one can lead",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				for i := range sc.Members() {
					sc.Isolate(i)
				}
			}},
		{Say: "no member knows a leader; two hold requests waiting for one, one of them three or more: heal the network",
			Within: 5 * Second,
			Until: func(sc *MemberScript) bool {
				return sc.stalled(0) == sc.Members() && sc.stalled(2) >= 2 && sc.stalled(3) >= 1
			},
			Do: func(sc *MemberScript) { sc.HealNetwork() }},
		{Say: "{N} leads, and the waiting requests go to it, in the order they were made",
			Within: 3 * Second,
			Until: func(sc *MemberScript) bool {
				if l := sc.Leader(); l >= 0 {
					sc.Label("N", l)
					return true
				}
				return false
			}},
	}
}

// writeSeenWhilePending finds a client whose write, sent through slot i,
// still waits for its answer while another client has already read what it
// wrote (-1 if none).
func (sc *MemberScript) writeSeenWhilePending(i int) (int, string) {
	for ci, c := range sc.s.clients {
		r := c.cur
		if c.gone || r == nil || r.outcome != pending || r.member != sc.Name(i) || (r.kind != opPut && r.kind != opCAS) {
			continue
		}
		for _, o := range sc.s.hist.ops {
			if o.outcome == outcomeOK && read(o, r.value) {
				return ci, r.String()
			}
		}
	}
	return -1, ""
}

// read reports whether operation o read value (a get, a range scan, or
// the current value a failed compare-and-swap returns).
func read(o *opRecord, value string) bool {
	switch o.kind {
	case opGet, opGetSerializable:
		return o.found && o.got.value == value
	case opRange, opRangeSerializable, opCAS:
		return slices.ContainsFunc(o.kvs, func(p kvPair) bool { return p.value == value })
	}
	return false
}

// pendingAtTheEndScript: a client dies while its write waits for an
// answer, after another client has read what that write wrote. The end of
// the run finds the write neither acknowledged nor failed: it may have
// happened, and it must be in the history the checks judge (as an
// operation of unknown outcome), or the read looks like a read of a value
// nobody wrote. (The same happens to any write still in flight when a run
// ends.)
func pendingAtTheEndScript() []MemberStep {
	return []MemberStep{
		{Say: "{L} leads, clients write; {F}'s disk takes 300 ms an fsync: writes through it take effect long before it answers",
			Until: leads(50), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.Label("F", sc.Other(sc.Leader()))
				sc.FsyncTakes(sc.Node("F"), 300*Millisecond)
			}},
		{Say: "a client's write through {F} waits for its answer, and another client has read what it wrote: the first client dies",
			Within: 8 * Second,
			Until: func(sc *MemberScript) bool {
				c, write := sc.writeSeenWhilePending(sc.Node("F"))
				if c < 0 {
					return false
				}
				sc.s.clients[c].stop()
				sc.Note("the write that will never be answered: %s", write)
				return true
			}},
		{Say: "{F}'s disk is fast again; the run ends with that write still waiting",
			After: Second,
			Do:    func(sc *MemberScript) { sc.FsyncTakes(sc.Node("F"), 0) }},
	}
}

// duplicatingNetworkScript: the network delivers many messages twice for a
// while. Raft takes duplicates in its stride — all but a proposal a
// follower forwards to the leader: a second copy is a second request,
// applied twice (a delete applied again after a later put). raftkv's
// transport, over TCP, never delivers a message twice, and only client
// sessions with serial numbers (Raft thesis §6.3) could tell the copies
// apart; so the simulated network must not double proposals either.
func duplicatingNetworkScript() []MemberStep {
	var before int
	return []MemberStep{
		{Say: "{L} leads, clients write through every member; the network starts delivering a third of the messages twice, up to 60 ms apart",
			Until: leads(30), Within: 5 * Second,
			Do: func(sc *MemberScript) {
				sc.Label("L", sc.Leader())
				sc.s.net.dupRate, sc.s.net.maxDelay = 0.3, 60*Millisecond
				before = sc.s.proposalsNotDoubled
			}},
		{Say: "the network would have doubled 25 proposals forwarded to {L}: it delivers messages once again",
			Within: 10 * Second,
			Until:  func(sc *MemberScript) bool { return sc.s.proposalsNotDoubled-before >= 25 },
			Do:     func(sc *MemberScript) { sc.s.net.dupRate, sc.s.net.maxDelay = 0, 2*Millisecond }},
	}
}
