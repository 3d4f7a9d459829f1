package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/metadata"
)

// move-leader: the target leads when the answer comes; a follower, a
// stranger or a learner as the target, and a target that cannot win, get
// etcd's errors.
func TestMember_MoveLeader(t *testing.T) {
	c := newMemberCluster(t, 3, nil)
	lead := c.leader()
	fs := c.followers(lead)
	target, other := fs[0], fs[1]
	move := func(via *Member, id uint64, within time.Duration) error {
		t.Helper()
		var got error
		answered := false
		via.MoveLeader(id, c.now.Add(within), func(err error) { got, answered = err, true })
		for range 30 {
			if answered {
				break
			}
			c.tick(1)
		}
		if !answered {
			t.Fatalf("move-leader to %x got no answer", id)
		}
		return got
	}
	if err := move(other, target.ID(), 5*time.Second); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("move-leader sent to a follower: %v, want %v", err, ErrNotLeader)
	}
	if err := move(lead, 0xdead, 5*time.Second); !errors.Is(err, ErrBadLeaderTransferee) {
		t.Fatalf("move-leader to a stranger: %v, want %v", err, ErrBadLeaderTransferee)
	}
	if err := move(lead, target.ID(), 5*time.Second); err != nil {
		t.Fatalf("move-leader: %v", err)
	}
	if lead2, _ := target.Leader(); lead2 != target.ID() || c.leader() != target {
		t.Fatalf("after move-leader the leader is %x, want %x", lead2, target.ID())
	}
	if r := c.put(target, "after-transfer", "1"); r.Err != nil {
		t.Fatalf("put on the new leader: %v", r.Err)
	}

	// A target that is down cannot take over: the answer is a timeout, and
	// the leader goes on leading (raft gives up the transfer after an
	// election timeout, thesis §3.10).
	c.crash(c.byID[other.ID()])
	if err := move(target, other.ID(), 2*time.Second); !errors.Is(err, ErrTimeoutLeaderTransfer) {
		t.Fatalf("move-leader to a crashed member: %v, want %v", err, ErrTimeoutLeaderTransfer)
	}
	if r := c.put(target, "still-leading", "1"); r.Err != nil {
		t.Fatalf("put after a failed transfer: %v", r.Err)
	}

	// A learner does not vote, so it may not lead.
	var res *Result
	target.AddMember([]string{peerURL("m4")}, true, c.now.Add(5*time.Second), func(r Result) { res = &r })
	c.settle()
	if res == nil || res.Err != nil || res.Member == nil {
		t.Fatalf("member add --learner: %+v", res)
	}
	if err := move(target, res.Member.ID, 5*time.Second); !errors.Is(err, ErrBadLeaderTransferee) {
		t.Fatalf("move-leader to a learner: %v, want %v", err, ErrBadLeaderTransferee)
	}
}

// A member that has just been made leader says so at once: its view names
// itself before its first append leaves, so a client that hears of the new
// leader from anyone — here, move-leader's answer — and asks it, requiring
// a leader, is served. (It used to say so only after its first fsync, and
// such a client could be told "no leader" by the leader itself.)
func TestServer_ANewLeaderSaysItLeadsBeforeAnyoneHearsOfIt(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "hasleader", "true")
	for move := range 6 {
		target := (lead + 1) % 3
		_, err := c.servers[lead].MoveLeader(context.Background(), c.servers[target].member.ID())
		require.NoError(t, err, "move %d", move)
		st, err := pb.NewMaintenanceClient(c.dialGRPC(target)).Status(ctx, &pb.StatusRequest{})
		require.NoError(t, err, "move %d: the new leader, asked at once", move)
		require.Equal(t, st.Header.MemberId, st.Leader, "move %d: the new leader names another leader", move)
		lead = target
	}
}
