package server

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/raft"
)

// MemberInfo is what the cluster knows about one member. Raft knows members
// only by ID; everything else travels in the Context of the configuration
// change that added the member, and in attribute updates the member itself
// proposes once it runs (its name and client URLs).
type MemberInfo struct {
	ID         uint64   `json:"id"`
	Name       string   `json:"name,omitempty"`
	PeerURLs   []string `json:"peer_urls"`
	ClientURLs []string `json:"client_urls,omitempty"`
	IsLearner  bool     `json:"is_learner,omitempty"`
	// Moved is set once member update has changed the peer URLs: the
	// flags of a restart may then differ from the bootstrap's
	// (checkIdentity).
	Moved bool `json:"moved,omitempty"`
	// Bootstrapped marks the initial members, whose IDs come from their
	// peer URLs and the cluster token (MemberID); later members' IDs are
	// the cluster's choice.
	Bootstrapped bool `json:"bootstrapped,omitempty"`
}

// confChangeContext is the Context of a raft.ConfChange proposed by a member.
type confChangeContext struct {
	RequestID uint64     `json:"request_id"`
	Member    MemberInfo `json:"member"`
}

// cluster is the replicated membership: changed only by applying committed
// entries, so every member has the same view at the same applied index.
type cluster struct {
	ID      uint64                 `json:"cluster_id"`
	Members map[uint64]*MemberInfo `json:"members"`
	// Removed remembers every ID ever removed: an ID is never reused, and a
	// removed member that comes back is refused (etcd: "the member has been
	// permanently removed from the cluster").
	Removed map[uint64]bool `json:"removed,omitempty"`
	// Alarms are the cluster's active alarms, sorted (alarms.go): replicated
	// state, so that every member refuses the same requests.
	Alarms []wire.AlarmMember `json:"alarms,omitempty"`
	// Auth is the auth state (users, roles, permissions), which a snapshot
	// carries beside the membership. While the member runs, it lives in
	// Member.auth and this is nil: it is filled in only to write a
	// snapshot (withAuth) and read back when one is loaded (takeAuth).
	Auth *auth.State `json:"auth,omitempty"`
}

// withAuth returns a copy of c carrying the auth state st, for a snapshot.
func (c *cluster) withAuth(st *auth.State) *cluster {
	out := c.clone()
	out.Auth = st
	return out
}

// takeAuth removes the auth state a loaded snapshot carried and returns it.
func (c *cluster) takeAuth() *auth.State {
	st := c.Auth
	c.Auth = nil
	return st
}

func newCluster(id uint64) *cluster {
	return &cluster{ID: id, Members: map[uint64]*MemberInfo{}, Removed: map[uint64]bool{}}
}

// initialCluster computes the IDs of a brand-new cluster from the flags.
func initialCluster(members []InitialMember, token string) (*cluster, []raft.ConfChange) {
	var ids []uint64
	var infos []MemberInfo
	for _, im := range members {
		id := MemberID(im.PeerURLs, token, 0)
		ids = append(ids, id)
		infos = append(infos, MemberInfo{ID: id, Name: im.Name, PeerURLs: slices.Clone(im.PeerURLs), Bootstrapped: true})
	}
	c := newCluster(ClusterID(ids))
	// The bootstrap log adds members in ID order, so every member writes
	// exactly the same log.
	slices.SortFunc(infos, func(a, b MemberInfo) int { return cmp.Compare(a.ID, b.ID) })
	var changes []raft.ConfChange
	for _, info := range infos {
		ctx, _ := json.Marshal(confChangeContext{Member: info})
		changes = append(changes, raft.ConfChange{Type: raft.ConfChangeAddVoter, NodeID: info.ID, Context: ctx})
	}
	return c, changes
}

// apply records the effect of a committed configuration change.
func (c *cluster) apply(cc raft.ConfChange) (confChangeContext, error) {
	var ctx confChangeContext
	if len(cc.Context) > 0 {
		if err := json.Unmarshal(cc.Context, &ctx); err != nil {
			return ctx, fmt.Errorf("server: configuration change context: %w", err)
		}
	}
	switch cc.Type {
	case raft.ConfChangeAddVoter:
		if m := c.Members[cc.NodeID]; m != nil {
			m.IsLearner = false // a promotion
			break
		}
		info := ctx.Member
		info.ID, info.IsLearner = cc.NodeID, false
		c.Members[cc.NodeID] = &info
	case raft.ConfChangeAddLearner:
		if c.Members[cc.NodeID] == nil {
			info := ctx.Member
			info.ID, info.IsLearner = cc.NodeID, true
			c.Members[cc.NodeID] = &info
		}
	case raft.ConfChangeRemove:
		delete(c.Members, cc.NodeID)
		c.Removed[cc.NodeID] = true
	}
	return ctx, nil
}

func (c *cluster) setAttributes(id uint64, name string, clientURLs []string) {
	if m := c.Members[id]; m != nil {
		m.Name, m.ClientURLs = name, slices.Clone(clientURLs)
	}
}

// checkPeerURLs says whether member id may take these peer URLs: it must be
// a member, and no other member may use any of them. The proposer checks
// before proposing and every member again when applying, so a change that
// became wrong while in flight (the member was removed, another took the
// URL) is refused alike everywhere.
func (c *cluster) checkPeerURLs(id uint64, peerURLs []string) error {
	if c.Members[id] == nil {
		return ErrMemberNotFound
	}
	for other, info := range c.Members {
		if other == id {
			continue
		}
		for _, u := range info.PeerURLs {
			if slices.Contains(peerURLs, u) {
				return ErrPeerURLExists
			}
		}
	}
	return nil
}

func (c *cluster) setPeerURLs(id uint64, peerURLs []string) {
	if m := c.Members[id]; m != nil {
		m.PeerURLs, m.Moved = slices.Clone(peerURLs), true
	}
}

// list returns the members in ID order (copies).
func (c *cluster) list() []MemberInfo {
	out := make([]MemberInfo, 0, len(c.Members))
	for _, id := range slices.Sorted(maps.Keys(c.Members)) {
		out = append(out, *c.Members[id])
	}
	return out
}

// hasMembers reports whether list (as list returned it) still describes
// every member exactly. The URL lists are compared by content: they are
// replaced, never changed in place.
func (c *cluster) hasMembers(list []MemberInfo) bool {
	if len(list) != len(c.Members) {
		return false
	}
	for _, was := range list {
		now := c.Members[was.ID]
		if now == nil || now.Name != was.Name || now.IsLearner != was.IsLearner || now.Moved != was.Moved ||
			now.Bootstrapped != was.Bootstrapped || !slices.Equal(now.PeerURLs, was.PeerURLs) || !slices.Equal(now.ClientURLs, was.ClientURLs) {
			return false
		}
	}
	return true
}

func (c *cluster) member(id uint64) (MemberInfo, bool) {
	m := c.Members[id]
	if m == nil {
		return MemberInfo{}, false
	}
	return *m, true
}

func (c *cluster) clone() *cluster {
	out := newCluster(c.ID)
	for id, m := range c.Members {
		cp := *m
		out.Members[id] = &cp
	}
	maps.Copy(out.Removed, c.Removed)
	out.Alarms = slices.Clone(c.Alarms)
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("server: encoding %T: %v", v, err)) // only plain structs are encoded
	}
	return b
}
