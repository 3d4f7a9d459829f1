package server

import (
	"encoding/binary"
	"encoding/json"
	"slices"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/raft"
)

// applyEntries applies committed entries in log order (§5.3: "once a
// follower learns that a log entry is committed, it applies the entry to its
// local state machine (in log order)"). Everything here is deterministic —
// the same entries give every member the same state — except answering the
// requests that this member proposed and lease countdowns, which are local.
func (m *Member) applyEntries(ents []raft.Entry) {
	if len(ents) == 0 {
		return
	}
	batchStart := m.env.Clock.Now()
	start := batchStart
	for _, e := range ents {
		switch e.Type {
		case raft.EntryNormal:
			if len(e.Data) > 0 {
				m.applyNormal(e)
			}
		case raft.EntryConfChange:
			m.applyConfChange(e)
		}
		m.applied = e.Index
		m.stats.Applied++
		end := m.env.Clock.Now()
		if end.Sub(start) > slowApplyDuration {
			m.stats.SlowApplies++
		}
		start = end
	}
	m.stats.Apply.observe(start.Sub(batchStart))
	m.failLostProposals()
	m.settleRevocations()
	m.reads.serve(m)
	m.serveApplyWaiters()
}

func (m *Member) applyNormal(e raft.Entry) {
	kind, id, payload, err := decodeEnvelope(e.Data)
	if err != nil {
		// Every member sees the same bytes and skips the same entry.
		m.logf("skipped entry %d: %v", e.Index, err)
		return
	}
	p := m.waiting[id]
	switch kind {
	case kindKV, kindKVAs, kindKVSystem:
		var req kv.Request
		var resp kv.Response
		var caller auth.Caller
		if kind == kindKVAs {
			caller, payload, err = decodeCaller(payload)
		}
		if err == nil {
			err = req.Unmarshal(payload)
		}
		if err == nil {
			// Refused alike on every member: the alarms are in the log.
			err = m.cluster.alarmRefusal(&req)
		}
		if err == nil && kind != kindKVSystem {
			// And so are the permissions (auth_entries.go).
			err = m.authorize(caller, &req)
		}
		if err == nil {
			resp, err = m.store.Apply(&req)
			if err == nil {
				m.stats.countApplied(&req, &resp)
			}
		}
		if m.env.WriteApplied != nil {
			m.env.WriteApplied(e.Index, caller, err)
		}
		if p != nil {
			m.finish(p, Result{KV: resp, Err: err})
		}
	case kindAuth:
		r := m.applyAuth(e.Index, payload)
		if p != nil {
			m.finish(p, r)
		}
	case kindAuthToken:
		r := m.applyTokenAssignment(e.Index, payload)
		if p != nil {
			m.finish(p, r)
		}
	case kindLeaseRenew:
		leaseID, n := binary.Varint(payload)
		if n <= 0 {
			m.logf("skipped entry %d: bad lease renewal", e.Index)
			return
		}
		resp, err := m.applyRenewal(leaseID, e.Index)
		if err == nil && m.IsLeader() {
			m.stats.LeasesRenewed++
		}
		if p != nil {
			m.finish(p, Result{Renew: resp, Err: err})
		}
	case kindMemberAttributes:
		var attr memberAttributes
		if err := json.Unmarshal(payload, &attr); err != nil {
			m.logf("skipped entry %d: bad member attributes: %v", e.Index, err)
			return
		}
		m.cluster.setAttributes(attr.ID, attr.Name, attr.ClientURLs)
		if attr.ID == m.id && attr.Name == m.cfg.Name && slices.Equal(attr.ClientURLs, m.cfg.AdvertiseClientURLs) {
			m.attributesPublished = true
		}
		if p != nil {
			m.finish(p, Result{})
		}
	case kindMemberPeerURLs:
		var upd memberPeerURLs
		if err := json.Unmarshal(payload, &upd); err != nil {
			m.logf("skipped entry %d: bad member update: %v", e.Index, err)
			return
		}
		r := Result{Err: m.cluster.checkPeerURLs(upd.ID, upd.PeerURLs)}
		if r.Err == nil {
			m.cluster.setPeerURLs(upd.ID, upd.PeerURLs)
			m.logf("updated member %x %v in cluster %x", upd.ID, upd.PeerURLs, m.clusterID)
			if upd.ID != m.id {
				m.env.Transport.UpdatePeer(upd.ID, upd.PeerURLs)
			}
			r.Members = m.cluster.list()
		}
		if p != nil {
			m.finish(p, r)
		}
	case kindAlarm:
		var a alarmEntry
		if err := json.Unmarshal(payload, &a); err != nil {
			m.logf("skipped entry %d: bad alarm: %v", e.Index, err)
			return
		}
		changed := m.applyAlarm(a)
		if p != nil {
			m.finish(p, Result{Alarms: changed})
		}
	default:
		m.logf("skipped entry %d: unknown kind %d", e.Index, kind)
	}
}

func (m *Member) applyConfChange(e raft.Entry) {
	var cc raft.ConfChange
	if err := cc.UnmarshalBinary(e.Data); err != nil {
		m.logf("skipped configuration change %d: %v", e.Index, err)
		return
	}
	ctx, err := m.cluster.apply(cc)
	if err != nil {
		m.logf("configuration change %d: %v", e.Index, err)
	}
	info, _ := m.cluster.member(cc.NodeID)
	switch cc.Type {
	case raft.ConfChangeRemove:
		m.logf("removed member %x from cluster %x", cc.NodeID, m.clusterID)
		if cc.NodeID == m.id {
			m.removed = true
			m.logf("the member has been permanently removed from the cluster")
		} else {
			m.env.Transport.RemovePeer(cc.NodeID)
		}
	case raft.ConfChangeAddLearner:
		m.logf("added member %x %v as a learner to cluster %x", cc.NodeID, info.PeerURLs, m.clusterID)
		m.addPeer(info)
	case raft.ConfChangeAddVoter:
		if ctx.Member.ID == 0 || len(ctx.Member.PeerURLs) == 0 {
			m.logf("promoted member %x to a voter in cluster %x", cc.NodeID, m.clusterID)
		} else {
			m.logf("added member %x %v to cluster %x", cc.NodeID, info.PeerURLs, m.clusterID)
		}
		m.addPeer(info)
	}
	if p := m.waiting[ctx.RequestID]; p != nil && ctx.RequestID != 0 {
		r := Result{Members: m.cluster.list()}
		if cc.Type != raft.ConfChangeRemove {
			r.Member = &info
		}
		m.finish(p, r)
	}
}

func (m *Member) addPeer(info MemberInfo) {
	if info.ID != m.id && info.ID != 0 {
		m.env.Transport.AddPeer(info.ID, info.PeerURLs)
	}
}

// syncPeers makes the transport's peer list match the membership (after a
// snapshot replaced it wholesale).
func (m *Member) syncPeers(old *cluster) {
	for id := range old.Members {
		if _, still := m.cluster.Members[id]; !still && id != m.id {
			m.env.Transport.RemovePeer(id)
		}
	}
	for _, info := range m.cluster.list() {
		m.addPeer(info)
	}
}

// memberPeerURLs is the payload of kindMemberPeerURLs.
type memberPeerURLs struct {
	ID       uint64   `json:"id"`
	PeerURLs []string `json:"peer_urls"`
}

// memberAttributes is the payload of kindMemberAttributes.
type memberAttributes struct {
	ID         uint64   `json:"id"`
	Name       string   `json:"name"`
	ClientURLs []string `json:"client_urls"`
}

func (m *Member) attributesEntry() []byte {
	b, _ := json.Marshal(memberAttributes{ID: m.id, Name: m.cfg.Name, ClientURLs: m.cfg.AdvertiseClientURLs})
	return b
}

func encodeLeaseID(id int64) []byte { return binary.AppendVarint(nil, id) }
