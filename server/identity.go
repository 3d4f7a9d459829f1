package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/wal"
)

// checkIdentity refuses a data directory that belongs to another member or
// another cluster than the flags describe. (etcd ignores the initial-cluster
// flags on restart; raftkv checks them when they can be checked, because
// starting the wrong member on the wrong data silently is worse than
// stopping with an explanation.)
//
// The flags normally describe the cluster as it was bootstrapped: the IDs
// computed from --initial-cluster and the token are the ones in the WAL.
// When they are not, the difference must be one that `member update`
// explains: a move this data directory has on record, or some member's peer
// URLs in the flags that are not the ones recorded for the member of that
// name (the member that moved is restarted on its new address before its
// own log can know of the move) — unless an initial member the flags leave
// in place shows that the token is another cluster's: flags of a different
// cluster are still refused, moved addresses or not.
func (m *Member) checkIdentity(md wal.Metadata, ents []raft.Entry, commit uint64) error {
	if m.cfg.InitialClusterState != "new" {
		return nil // the IDs of a member that joined were assigned by the cluster
	}
	initial, err := ParseInitialCluster(m.cfg.InitialCluster)
	if err != nil {
		return err
	}
	c, _ := initialCluster(initial, m.cfg.InitialClusterToken)
	self := MemberID(m.cfg.InitialAdvertisePeerURLs, m.cfg.InitialClusterToken, 0)
	if md.ClusterID == c.ID && md.MemberID == self {
		return nil
	}
	recorded := m.membershipNow(ents, commit)
	if info, ok := recorded.member(md.MemberID); ok && info.Name != "" && info.Name != m.cfg.Name {
		return fmt.Errorf("data directory %s belongs to member %x (%s), but --name is %s: refusing to start",
			m.cfg.DataDir, md.MemberID, info.Name, m.cfg.Name)
	}
	// A move is no excuse for another token.
	sameToken := !tokenRefuted(recorded, initial, m.cfg.InitialClusterToken)
	if moved := movedMembers(recorded, initial); len(moved) > 0 && sameToken {
		m.logf("--initial-cluster gives other peer URLs than this data directory recorded for %s: taking them as moved by member update; "+
			"starting as member %x of cluster %x", strings.Join(moved, ", "), md.MemberID, md.ClusterID)
		return nil
	}
	if info, ok := recorded.member(md.MemberID); ok && sameURLs(info.PeerURLs, m.cfg.InitialAdvertisePeerURLs) && recorded.anyMoved() && sameToken {
		m.logf("the flags describe cluster %x as member update left it; starting as member %x", md.ClusterID, md.MemberID)
		return nil
	}
	if md.ClusterID != c.ID {
		return fmt.Errorf("data directory %s belongs to cluster %x, but --initial-cluster and --initial-cluster-token describe cluster %x: "+
			"refusing to start (to start a new cluster here, remove the data directory)", m.cfg.DataDir, md.ClusterID, c.ID)
	}
	return fmt.Errorf("data directory %s belongs to member %x, but --name/--initial-advertise-peer-urls describe member %x: "+
		"refusing to start", m.cfg.DataDir, md.MemberID, self)
}

// movedMembers names the members of --initial-cluster whose peer URLs are
// not the ones recorded for the member of that name.
func movedMembers(recorded *cluster, initial []InitialMember) []string {
	var moved []string
	for _, im := range initial {
		for _, info := range recorded.list() {
			if info.Name == im.Name && !sameURLs(info.PeerURLs, im.PeerURLs) {
				moved = append(moved, fmt.Sprintf("%s (recorded %s)", im.Name, strings.Join(info.PeerURLs, ",")))
			}
		}
	}
	return moved
}

// tokenRefuted reports whether the flags' token cannot be the cluster's: an
// initial member, never moved, that the flags put where this data directory
// recorded it has another ID than the token gives it. (A member added later
// has an ID the cluster chose, a moved one an ID from its old address: they
// prove nothing either way.)
func tokenRefuted(recorded *cluster, initial []InitialMember, token string) bool {
	for _, im := range initial {
		for _, info := range recorded.list() {
			if info.Bootstrapped && !info.Moved && info.Name == im.Name && sameURLs(info.PeerURLs, im.PeerURLs) && MemberID(im.PeerURLs, token, 0) != info.ID {
				return true
			}
		}
	}
	return false
}

// membershipNow replays the membership part of the committed entries over
// the snapshot's membership (m.cluster), on a copy.
func (m *Member) membershipNow(ents []raft.Entry, commit uint64) *cluster {
	c := m.cluster.clone()
	for _, e := range ents {
		if e.Index > commit {
			break
		}
		switch e.Type {
		case raft.EntryConfChange:
			var cc raft.ConfChange
			if cc.UnmarshalBinary(e.Data) == nil {
				_, _ = c.apply(cc) // a bad context is skipped here as in applyConfChange
			}
		case raft.EntryNormal:
			kind, _, payload, err := decodeEnvelope(e.Data)
			if err != nil {
				continue
			}
			switch kind {
			case kindMemberPeerURLs:
				var upd memberPeerURLs
				if json.Unmarshal(payload, &upd) == nil && c.checkPeerURLs(upd.ID, upd.PeerURLs) == nil {
					c.setPeerURLs(upd.ID, upd.PeerURLs)
				}
			case kindMemberAttributes:
				var attr memberAttributes
				if json.Unmarshal(payload, &attr) == nil {
					c.setAttributes(attr.ID, attr.Name, attr.ClientURLs)
				}
			}
		}
	}
	return c
}

func (c *cluster) anyMoved() bool {
	for _, info := range c.Members {
		if info.Moved {
			return true
		}
	}
	return false
}

func sameURLs(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
