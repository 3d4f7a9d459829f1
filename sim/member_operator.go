package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/server"
)

// The operator replaces members the way a person running etcd would, with
// the member API only, one change at a time:
//
//  1. `member remove` the old member (retried until the leader's member
//     list no longer has it), stop it if it still runs, wipe its disk;
//  2. `member add --learner` with the machine's peer URL, then start a
//     fresh member there with --initial-cluster-state existing;
//  3. `member promote` it, which the leader refuses until it has caught up.
//
// It replaces a member that refused to start because its files were
// damaged, and — when membership faults are on — healthy members too,
// the leader included, so that configuration changes happen while
// partitions, crashes and slow disks do. With membership faults it also
// moves members to a new address, as etcd's documentation says to: stop
// the member, `member update` its peer URLs, start it on the new address
// with its flags changed to match (the other members keep their old flags,
// which name the old address: their restarts must still be accepted).
type operator struct {
	phase        operatorPhase
	sl           *slot
	oldID, newID uint64
	why          string
	// newURL is where a member being moved goes.
	newURL string
	// pendingUntil: a request is out; wait for it (or this long) — unless
	// the member it went to stopped (asked, in its life askedLife): then
	// the connection broke, and the operator knows at once that no answer
	// will come.
	pendingUntil Time
	asked        *slot
	askedLife    int
}

// waiting reports whether the operator still waits for the answer to a
// request.
func (op *operator) waiting(now Time) bool {
	return now < op.pendingUntil && op.asked != nil && op.asked.m != nil && op.asked.incarnation == op.askedLife
}

type operatorPhase uint8

const (
	opIdle operatorPhase = iota
	opRemoving
	opAdding
	opPromoting
	opMoving
)

// operatorDeadline is the deadline the operator's requests carry.
const operatorDeadline = 3 * Second

func (s *memberSim) operatorStep() {
	op := &s.op
	if op.waiting(s.now) {
		return
	}
	lead := s.leader()
	if lead == nil {
		return
	}
	lm := lead.m
	switch op.phase {
	case opIdle:
		var victim *slot
		for _, sl := range s.slots {
			if sl.state != slotNormal {
				victim, op.why = sl, "its files are damaged"
				break
			}
		}
		// A planned replacement only when every member runs: taking a
		// voter out while another is lost could leave no quorum.
		if victim == nil && s.cfg.Faults.Membership && !s.healed && s.allRunning() && s.rng.IntN(10) == 0 {
			voters := lm.RaftStatus().Config.Voters
			if len(voters) < 3 {
				return
			}
			victim, op.why = s.byID[voters[s.rng.IntN(len(voters))]], "planned replacement"
			if s.rng.IntN(3) == 0 {
				s.startMove(victim)
				return
			}
		}
		if victim == nil {
			return
		}
		op.sl, op.oldID, op.newID, op.phase = victim, victim.id, 0, opRemoving
		if victim.state == slotRetired {
			op.phase = opAdding
		}
		s.res.Stats.Replacements++
		s.tracef("operator: replacing %s (member %x): %s", victim.name, victim.id, op.why)
		s.operatorStep()
	case opRemoving:
		if !hasMember(lm.Members(), op.oldID) {
			s.tracef("operator: member %x is out of the cluster; wiping %s", op.oldID, op.sl.name)
			s.wipe(op.sl)
			op.phase = opAdding
			s.operatorStep()
			return
		}
		s.operatorRequest(lead, "member remove", func(m *server.Member, deadline time.Time, done func(server.Result)) {
			m.RemoveMember(op.oldID, deadline, done)
		})
	case opAdding:
		if op.newID == 0 {
			// An addition whose answer was lost shows in the member list
			// (a leader just elected may still list the removed member
			// under the same URL: the regression script
			// member-add-unanswered-and-a-stale-leader).
			if info, ok := memberWithURL(lm.Members(), op.sl.peerURL); ok && info.ID != op.oldID {
				op.newID = info.ID
			}
		}
		if op.newID == 0 {
			s.operatorRequest(lead, "member add --learner", func(m *server.Member, deadline time.Time, done func(server.Result)) {
				m.AddMember([]string{op.sl.peerURL}, true, deadline, func(r server.Result) {
					if r.Err == nil && r.Member != nil {
						op.newID = r.Member.ID
					}
					done(r)
				})
			})
			return
		}
		// Start it once the peer it will ask knows it: a joining member
		// takes the ID listed under its URL.
		if _, ms, err := s.fetchCluster(nil); err != nil || !hasMember(ms, op.newID) {
			return
		}
		if s.joinNew(op.sl, lm.Members()) {
			op.phase = opPromoting
		}
	case opMoving:
		s.moveStep(lead)
	case opPromoting:
		info, ok := memberWithURL(lm.Members(), op.sl.peerURL)
		if !ok || info.ID != op.newID {
			// Removed again meanwhile (cannot happen: one change at a time).
			op.phase = opIdle
			return
		}
		if !info.IsLearner {
			// Done once every running member has applied the promotion,
			// as a careful operator checks each member's status: a
			// configuration takes effect when applied (as in etcd), so a
			// member holding a promotion it has not applied yet cannot
			// campaign — and if the leader, the only one that knows the
			// promotion committed, were lost for good right then (the next
			// damaged disk), the others could never elect a leader
			// (the regression script
			// replacement-done-only-when-every-member-applied-the-promotion).
			for _, sl := range s.slots {
				if sl.m != nil && !sl.paused {
					if mi, ok := memberWithURL(sl.m.Members(), op.sl.peerURL); !ok || mi.ID != op.newID || mi.IsLearner {
						return
					}
				}
			}
			s.tracef("operator: %s (member %x) is a voter on every member; replacement done", op.sl.name, op.newID)
			op.phase = opIdle
			return
		}
		s.operatorRequest(lead, "member promote", func(m *server.Member, deadline time.Time, done func(server.Result)) {
			m.PromoteMember(op.newID, deadline, done)
		})
	}
}

// startMove stops sl, which then waits, down, for its member update.
func (s *memberSim) startMove(sl *slot) {
	op := &s.op
	sl.moves++
	op.sl, op.oldID, op.phase = sl, sl.id, opMoving
	op.newURL = fmt.Sprintf("http://%s-%d:2380", sl.name, sl.moves)
	s.res.Stats.Moves++
	s.tracef("operator: moving %s (member %x) from %s to %s: stopping it", sl.name, sl.id, sl.peerURL, op.newURL)
	s.breakWatches(sl)
	_ = sl.m.Close()
	sl.m = nil
	sl.lastCrash = s.now
	sl.role = ""
	sl.state = slotMoving
	if s.tl != nil {
		s.tl.down(s, sl, "stopped")
	}
}

// moveStep asks the leader to update the moving member's peer URLs until
// its member list has them, then starts the member on its new address.
func (s *memberSim) moveStep(lead *slot) {
	op, sl := &s.op, s.op.sl
	info, ok := memberByID(lead.m.Members(), op.oldID)
	if !ok {
		s.fail("operator: member %x vanished while it moved", op.oldID)
		return
	}
	if !slices.Equal(info.PeerURLs, []string{op.newURL}) {
		s.operatorRequest(lead, "member update", func(m *server.Member, deadline time.Time, done func(server.Result)) {
			m.UpdateMember(op.oldID, []string{op.newURL}, deadline, done)
		})
		return
	}
	old := sl.peerURL
	sl.peerURL = op.newURL
	sl.cfg.InitialCluster = strings.ReplaceAll(sl.cfg.InitialCluster, sl.name+"="+old, sl.name+"="+op.newURL)
	sl.cfg.ListenPeerURLs = []string{op.newURL}
	sl.cfg.InitialAdvertisePeerURLs = []string{op.newURL}
	sl.state = slotNormal
	op.phase = opIdle
	if err := s.start(sl); err != nil {
		s.fail("%s refused to start on its new address %s: %v", sl.name, op.newURL, err)
		return
	}
	s.tracef("operator: started %s (member %x) on %s; move done", sl.name, sl.id, op.newURL)
}

// operatorRequest sends one membership request to the leader.
func (s *memberSim) operatorRequest(lead *slot, what string, call func(*server.Member, time.Time, func(server.Result))) {
	s.op.pendingUntil = s.now + operatorDeadline + Second
	s.op.asked, s.op.askedLife = lead, lead.incarnation
	s.input(lead, func(m *server.Member) {
		deadline := memberClock{lead}.Now().Add(time.Duration(operatorDeadline) * time.Microsecond)
		call(m, deadline, func(r server.Result) {
			s.op.pendingUntil = 0
			if r.Err != nil {
				s.tracef("operator: %s via %s: %v", what, lead.name, r.Err)
				return
			}
			s.tracef("operator: %s via %s: done", what, lead.name)
		})
	})
}

// wipe stops whatever still runs on sl and gives it an empty disk.
func (s *memberSim) wipe(sl *slot) {
	if sl.m != nil {
		s.breakWatches(sl)
		_ = sl.m.Close()
		sl.m = nil
		sl.lastCrash = s.now
		if s.tl != nil {
			s.tl.down(s, sl, "removed")
		}
	}
	sl.disks++
	sl.disk = vfs.NewSimDisk(rand.New(rand.NewPCG(s.cfg.Seed, 0xd15c+uint64(sl.idx)+sl.disks<<8)))
	sl.state, sl.corrupted, sl.role = slotRetired, false, ""
}

// joinNew starts a fresh member on sl's wiped disk, joining the cluster
// whose members are ms (--initial-cluster-state existing).
func (s *memberSim) joinNew(sl *slot, ms []server.MemberInfo) bool {
	var initial []string
	for _, info := range ms {
		for _, other := range s.slots {
			if slices.Contains(info.PeerURLs, other.peerURL) {
				initial = append(initial, other.name+"="+other.peerURL)
			}
		}
	}
	sl.cfg = s.memberConfig(sl, "existing", strings.Join(initial, ","))
	if err := s.start(sl); err != nil {
		// The peer it asked may not have applied the addition yet: the
		// operator tries again, as a person would.
		s.tracef("operator: %s could not join yet: %v", sl.name, err)
		_ = sl.disk.RemoveAll(sl.cfg.DataDir)
		return false
	}
	sl.state = slotNormal
	s.tracef("operator: started %s as new member %x (--initial-cluster-state existing)", sl.name, sl.id)
	return true
}

func (s *memberSim) allRunning() bool {
	for _, sl := range s.slots {
		if sl.m == nil || sl.state != slotNormal || sl.corrupted {
			return false
		}
	}
	return true
}

func hasMember(ms []server.MemberInfo, id uint64) bool {
	return slices.ContainsFunc(ms, func(m server.MemberInfo) bool { return m.ID == id })
}

func memberByID(ms []server.MemberInfo, id uint64) (server.MemberInfo, bool) {
	for _, m := range ms {
		if m.ID == id {
			return m, true
		}
	}
	return server.MemberInfo{}, false
}

func memberWithURL(ms []server.MemberInfo, url string) (server.MemberInfo, bool) {
	for _, m := range ms {
		if slices.Contains(m.PeerURLs, url) {
			return m, true
		}
	}
	return server.MemberInfo{}, false
}
