package raft

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// Transcript tests: each file in testdata/ is a story told as a list of
// commands over the test cluster of harness_test.go, each followed by what
// happened — every Ready a node handles and every message the network
// delivers or loses, written as transcript_format_test.go describes. The
// paragraph on top of each file says what to look for.
//
// The expected output is part of the file. When raft's behaviour changes on
// purpose, regenerate it and read the diff in review (only the transcripts
// are rewritten; the other tests run as usual):
//
//	go test ./raft -rewrite
//
// The commands (nodes are named by number; "n=", "to=" and the like are
// arguments):
//
//	cluster voters=3 [prevote=false] [checkquorum=false] [heartbeat-tick=N] [max-msg-size=N]
//	elect 1                   campaign and run until quiet, showing only the outcome
//	campaign 1                start an election now (MsgHup)
//	tick 1 2 [n=5]            advance clocks; tick-election 1: until its election timer fires
//	propose 1 x               propose the command "x"
//	read-index 1 ctx          ask for a linearizable read point (thesis §6.4)
//	transfer 1 to=3           ask node 1 to hand leadership to node 3
//	add 1 node=4, add-learner 1 node=4, remove 1 node=2
//	                          propose a configuration change through node 1
//	process-ready 1 2         handle one Ready per node, as a member does
//	deliver [from=1] [to=2] [type=MsgApp]
//	                          deliver the messages in flight that match, in order
//	drop [from=1] [to=2] [type=MsgApp]
//	                          lose them instead
//	stabilize                 handle Readies and deliver until nothing moves
//	isolate 1, cut 1 2, heal  cut links (messages on them are lost), mend them all
//	crash 1, restart 1        stop a node (it keeps only its disk), start it again
//	compact 1                 snapshot node 1's applied state and drop its log up to it
//	status 1 2, log 1         Figure 2's state of a node; what its disk holds
//
// The runner also checks, on every Ready of every story, the rule that
// makes persistence safe (thesis §3.8): a vote request, a vote grant and an
// append acknowledgement leave only once what they promise is on disk.

func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		s := &transcript{t: t}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			s.out.Reset()
			s.run(d)
			if s.out.Len() == 0 {
				return "ok\n"
			}
			return s.out.String()
		})
	})
}

// transcript is one story's world: the cluster, the messages in flight
// (c.queue is the network) and the text written so far for the current
// command.
type transcript struct {
	t   *testing.T
	c   *testCluster
	out bytes.Buffer
	// quiet silences raft's log lines while the cluster is bootstrapped.
	quiet bool
}

// Printf is the Logger every node of the story gets: raft's own account of
// what it decided and why appears in the transcript, under the event that
// caused it.
func (s *transcript) Printf(format string, args ...any) {
	if !s.quiet {
		fmt.Fprintf(&s.out, "  raft: "+format+"\n", args...)
	}
}

func (s *transcript) run(d *datadriven.TestData) {
	if s.c == nil && d.Cmd != "cluster" {
		d.Fatalf(s.t, "the first command of a story must be cluster")
	}
	switch d.Cmd {
	case "cluster":
		s.cluster(d)
	case "tick":
		for _, id := range s.nodeArgs(d) {
			s.tick(id, s.intArg(d, "n", 1))
		}
	case "tick-election":
		for _, id := range s.nodeArgs(d) {
			s.tickElection(id)
		}
	case "elect":
		s.elect(s.nodeArgs(d)[0])
	case "campaign":
		s.call(d, func(n *Node) error { return n.Campaign() })
	case "propose":
		s.propose(d)
	case "read-index":
		s.call(d, func(n *Node) error { return n.ReadIndex([]byte(s.posArg(d, 1))) })
	case "transfer":
		s.call(d, func(n *Node) error { n.TransferLeader(uint64(s.intArg(d, "to", 0))); return nil })
	case "add", "add-learner", "remove":
		s.changeMembership(d)
	case "process-ready":
		for _, id := range s.nodeArgs(d) {
			if !s.processReady(id) {
				fmt.Fprintf(&s.out, "> %d has no Ready\n", id)
			}
		}
	case "stabilize":
		s.stabilize()
	case "deliver", "drop":
		s.deliverOrDrop(d)
	case "isolate":
		for _, id := range s.nodeArgs(d) {
			s.c.isolate(id)
		}
	case "cut":
		ids := s.nodeArgs(d)
		if len(ids) != 2 {
			d.Fatalf(s.t, "cut needs two nodes")
		}
		s.c.cut(ids[0], ids[1])
	case "heal":
		s.c.heal()
	case "crash":
		s.crash(s.nodeArgs(d)[0])
	case "restart":
		id := s.nodeArgs(d)[0]
		s.c.restart(id)
	case "compact":
		id := s.nodeArgs(d)[0]
		s.c.compact(id)
		snap, _ := s.c.nodes[id].storage.Snapshot()
		fmt.Fprintf(&s.out, "%d took a snapshot at %d/%d and dropped the log up to it\n", id, snap.Meta.Index, snap.Meta.Term)
	case "status":
		for _, id := range s.nodeArgs(d) {
			s.status(id)
		}
	case "log":
		for _, id := range s.nodeArgs(d) {
			s.onDisk(id)
		}
	default:
		d.Fatalf(s.t, "unknown command %q", d.Cmd)
	}
}

// cluster starts the story's cluster: "cluster voters=3 [prevote=false]
// [checkquorum=false] [heartbeat-tick=N] [max-msg-size=N]" (the election
// timeout is 10 ticks, a heartbeat goes out every tick unless told
// otherwise). Every node holds the same
// bootstrap log (a configuration change per voter, committed, term 1) and
// has applied it; nobody leads yet.
func (s *transcript) cluster(d *datadriven.TestData) {
	opts := []clusterOption{func(c *Config) { c.Logger = s }}
	if !s.boolArg(d, "prevote", true) {
		opts = append(opts, withoutPreVote)
	}
	if !s.boolArg(d, "checkquorum", true) {
		opts = append(opts, withoutCheckQuorum)
	}
	if d.HasArg("heartbeat-tick") {
		ticks := s.intArg(d, "heartbeat-tick", 0)
		opts = append(opts, func(c *Config) { c.HeartbeatTick = ticks })
	}
	if d.HasArg("max-msg-size") {
		size := uint64(s.intArg(d, "max-msg-size", 0))
		opts = append(opts, func(c *Config) { c.MaxSizePerMsg = size })
	}
	s.quiet = true
	s.c = newTestCluster(s.t, s.intArg(d, "voters", 3), opts...)
	s.quiet = false
	for _, id := range s.c.ids {
		s.status(id)
	}
}

// elect makes a node campaign and runs the cluster until it is quiet,
// writing only the outcome: the set-up of a story whose subject is not the
// election (election_prevote.txt tells that one message by message).
func (s *transcript) elect(id uint64) {
	mark := s.out.Len()
	if err := s.node(id).Campaign(); err != nil {
		s.t.Fatalf("node %d: campaign: %v", id, err)
	}
	s.stabilize()
	s.out.Truncate(mark)
	for _, id := range s.c.ids {
		s.status(id)
	}
}

// tick advances one node's clock; its consequences (heartbeats, an
// election) show up in the node's next Ready.
func (s *transcript) tick(id uint64, n int) {
	for range n {
		s.node(id).Tick()
	}
}

// tickElection ticks a node just long enough for its election timer to
// fire: a follower's randomized timeout, or a leader's CheckQuorum round.
func (s *transcript) tickElection(id uint64) {
	st := s.node(id).Status()
	timeout := st.RandomizedElectionTimeout
	if st.State == StateLeader {
		timeout = st.ElectionTimeout
	}
	n := max(timeout-st.ElectionElapsed, 1)
	fmt.Fprintf(&s.out, "%d ticks %d times (election timeout %d, %d ticks already elapsed)\n", id, n, timeout, st.ElectionElapsed)
	s.tick(id, n)
}

// call runs a request on the node named first and writes its error, if any.
func (s *transcript) call(d *datadriven.TestData, f func(n *Node) error) {
	if err := f(s.node(s.nodeArgs(d)[0])); err != nil {
		fmt.Fprintf(&s.out, "error: %v\n", err)
	}
}

// propose: "propose <node> <data>". On a leader the answer is the
// proposal's place in the log.
func (s *transcript) propose(d *datadriven.TestData) {
	id := s.nodeArgs(d)[0]
	p, err := s.node(id).Propose([]byte(s.posArg(d, 1)))
	switch {
	case err != nil:
		fmt.Fprintf(&s.out, "error: %v\n", err)
	case p.Index == 0:
		fmt.Fprintf(&s.out, "%d forwards the proposal to its leader\n", id)
	default:
		fmt.Fprintf(&s.out, "%d appends the proposal at %d/%d\n", id, p.Index, p.Term)
	}
}

// changeMembership: "add <leader> node=<id>", "add-learner <leader>
// node=<id>", "remove <leader> node=<id>". A node added for the first
// time starts empty, as a new server does (thesis §4.2.1).
func (s *transcript) changeMembership(d *datadriven.TestData) {
	target := uint64(s.intArg(d, "node", 0))
	cc := ConfChange{Type: ConfChangeRemove, NodeID: target}
	switch d.Cmd {
	case "add":
		cc.Type = ConfChangeAddVoter
	case "add-learner":
		cc.Type = ConfChangeAddLearner
	}
	if cc.Type != ConfChangeRemove && s.c.nodes[target] == nil {
		s.c.addNode(target)
		fmt.Fprintf(&s.out, "%d starts with an empty log\n", target)
	}
	id := s.nodeArgs(d)[0]
	p, err := s.node(id).ProposeConfChange(cc)
	if err != nil {
		fmt.Fprintf(&s.out, "error: %v\n", err)
		return
	}
	fmt.Fprintf(&s.out, "%d appends %s %d at %d/%d\n", id, cc.Type, target, p.Index, p.Term)
}

// processReady does with one Ready what a member does (see Ready): send
// Messages, persist, send MessagesAfterPersist, apply, Advance. It reports
// whether the node had a Ready.
func (s *transcript) processReady(id uint64) bool {
	tn := s.c.nodes[id]
	if tn.stopped || !tn.node.HasReady() {
		return false
	}
	rd := tn.node.Ready()
	s.out.WriteString(describeReady(id, rd))
	s.c.queue = append(s.c.queue, rd.Messages...)
	s.checkNothingPromisedBeforePersist(id, rd.Messages)
	s.c.handleReady(id, rd)
	s.checkPromisesAreOnDisk(id, rd.MessagesAfterPersist)
	s.c.queue = append(s.c.queue, rd.MessagesAfterPersist...)
	return true
}

// checkNothingPromisedBeforePersist fails the story if a message that
// promises durability was put among those sent before the disk write.
func (s *transcript) checkNothingPromisedBeforePersist(id uint64, msgs []Message) {
	for _, m := range msgs {
		if m.Type == MsgVote || m.Type == MsgVoteResp && !m.Reject || m.Type == MsgAppResp && !m.Reject {
			s.t.Errorf("node %d: %s is sent before its Ready is on disk", id, describeMessage(m))
		}
	}
}

// checkPromisesAreOnDisk fails the story unless what each message promises
// is in the node's storage now, when it is about to leave: a candidate's
// vote for itself (MsgVote), a voter's grant (MsgVoteResp), the entries an
// acknowledgement reports stored (MsgAppResp).
func (s *transcript) checkPromisesAreOnDisk(id uint64, msgs []Message) {
	ms := s.c.nodes[id].storage
	hs := ms.HardState()
	last, _ := ms.LastIndex()
	for _, m := range msgs {
		var ok bool
		switch {
		case m.Type == MsgVote:
			ok = hs.Term == m.Term && hs.Vote == m.From
		case m.Type == MsgVoteResp && !m.Reject:
			ok = hs.Term == m.Term && hs.Vote == m.To
		case m.Type == MsgAppResp && !m.Reject:
			ok = m.Index <= last
		default:
			ok = true
		}
		if !ok {
			s.t.Errorf("node %d: %s leaves, but the disk holds only %s, log up to %d",
				id, describeMessage(m), describeHardState(hs), last)
		}
	}
}

// stabilize handles Readies and delivers messages until nothing moves: the
// network is perfect except for the links a story has cut.
func (s *transcript) stabilize() {
	for round := 0; ; round++ {
		if round > 1000 {
			s.t.Fatal("the cluster did not stabilize")
		}
		moved := false
		for _, id := range s.c.ids {
			for s.processReady(id) {
				moved = true
			}
		}
		msgs := s.c.queue
		s.c.queue = nil
		for _, m := range msgs {
			s.deliver(m)
			moved = true
		}
		if !moved {
			return
		}
	}
}

// deliverOrDrop: "deliver [from=] [to=] [type=]" delivers the messages in
// flight that match, in the order they were sent; "drop" loses them. The
// others stay in flight.
func (s *transcript) deliverOrDrop(d *datadriven.TestData) {
	from, to := uint64(s.intArg(d, "from", 0)), uint64(s.intArg(d, "to", 0))
	typ := ""
	d.MaybeScanArgs(s.t, "type", &typ)
	match := func(m Message) bool {
		return (from == 0 || m.From == from) && (to == 0 || m.To == to) && (typ == "" || m.Type.String() == typ)
	}
	var rest, picked []Message
	for _, m := range s.c.queue {
		if match(m) {
			picked = append(picked, m)
		} else {
			rest = append(rest, m)
		}
	}
	s.c.queue = rest
	if len(picked) == 0 {
		s.out.WriteString("no message in flight matches\n")
	}
	for _, m := range picked {
		if d.Cmd == "drop" {
			fmt.Fprintf(&s.out, "> lost %s\n", describeMessage(m))
		} else {
			s.deliver(m)
		}
	}
}

// deliver hands m to its recipient, unless the recipient is down or the
// link is cut (then the message is lost). A message sent by a node that
// has crashed since still arrives: it was already on the wire.
func (s *transcript) deliver(m Message) {
	to := s.c.nodes[m.To]
	switch {
	case to == nil || to.stopped:
		fmt.Fprintf(&s.out, "> lost %s (%d is down)\n", describeMessage(m), m.To)
		return
	case s.c.blocked[[2]uint64{m.From, m.To}]:
		fmt.Fprintf(&s.out, "> lost %s (link %d->%d is cut)\n", describeMessage(m), m.From, m.To)
		return
	}
	fmt.Fprintf(&s.out, "> deliver %s\n", describeMessage(m))
	if err := to.node.Step(m); err != nil {
		fmt.Fprintf(&s.out, "  error: %v\n", err)
	}
}

// crash stops a node. What it had not persisted is gone; what is on disk
// is what it will restart from, and is written out.
func (s *transcript) crash(id uint64) {
	s.c.crash(id)
	fmt.Fprintf(&s.out, "%d crashed\n", id)
	s.onDisk(id)
}

// onDisk writes what a node's storage holds: its HardState and its log.
func (s *transcript) onDisk(id uint64) {
	ms := s.c.nodes[id].storage
	first, _ := ms.FirstIndex()
	last, _ := ms.LastIndex()
	fmt.Fprintf(&s.out, "%d on disk: HardState %s\n", id, describeHardState(ms.HardState()))
	if snap, _ := ms.Snapshot(); !snap.IsEmpty() {
		fmt.Fprintf(&s.out, "  snapshot %d/%d\n", snap.Meta.Index, snap.Meta.Term)
	}
	if first > last {
		s.out.WriteString("  no entries\n")
		return
	}
	ents, err := ms.Entries(first, last+1, noLimit)
	if err != nil {
		s.t.Fatalf("node %d: read log: %v", id, err)
	}
	fmt.Fprintf(&s.out, "  log %s\n", describeEntries(ents))
}

func (s *transcript) status(id uint64) {
	tn := s.c.nodes[id]
	if tn.stopped {
		fmt.Fprintf(&s.out, "%d: down\n", id)
		return
	}
	termAt := func(i uint64) uint64 { return tn.node.r.log.zeroTermOnOutOfBounds(tn.node.r.log.term(i)) }
	s.out.WriteString(describeStatus(tn.node.Status(), termAt))
}

// node returns the running node id, failing the story if it is down: a
// command to a crashed node is a mistake in the story.
func (s *transcript) node(id uint64) *Node {
	tn := s.c.nodes[id]
	if tn == nil || tn.stopped {
		s.t.Fatalf("node %d is not running", id)
	}
	return tn.node
}

// nodeArgs returns the leading numeric arguments ("tick 1 2 3").
func (s *transcript) nodeArgs(d *datadriven.TestData) []uint64 {
	var ids []uint64
	for _, a := range d.CmdArgs {
		id, err := strconv.ParseUint(a.Key, 10, 64)
		if err != nil || len(a.Vals) > 0 {
			break
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		d.Fatalf(s.t, "%s needs a node", d.Cmd)
	}
	return ids
}

// posArg returns the i-th positional (key-only) argument.
func (s *transcript) posArg(d *datadriven.TestData, i int) string {
	var pos []string
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 0 {
			pos = append(pos, a.Key)
		}
	}
	if i >= len(pos) {
		d.Fatalf(s.t, "%s needs %d arguments", d.Cmd, i+1)
	}
	return pos[i]
}

func (s *transcript) intArg(d *datadriven.TestData, key string, def int) int {
	v := def
	d.MaybeScanArgs(s.t, key, &v)
	return v
}

func (s *transcript) boolArg(d *datadriven.TestData, key string, def bool) bool {
	v := def
	d.MaybeScanArgs(s.t, key, &v)
	return v
}
