package server

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// Alarms are replicated state: raised and cleared through the log, kept in
// the membership (so snapshots carry them), and checked at apply time, so
// every member refuses the same requests. etcd has two, and so has raftkv:
//
//   - NOSPACE, the space quota's (below);
//   - CORRUPT, raised by the corruption check (corrupt.go) for a member
//     whose key-value history differs from the others'. From the entry that
//     raises it on, every member refuses every write — puts, deletes, txns,
//     compactions, lease grants and revokes — with "etcdserver: corrupt
//     cluster", as etcd does: writing on top of a state that may be wrong
//     would spread the damage. Reads go on, so an operator can find out
//     what differs; `raftkvctl alarm disarm` lifts it once the member is
//     repaired (removed, wiped and added back).
//
// The space quota and its alarm, as etcd has them (--quota-backend-bytes,
// NOSPACE). raftkv keeps its store in memory, so the quota bounds memory:
// kv.Store.Size, the keys and the history kept of them. A member about to
// propose a write that would take the store over the quota refuses it and
// raises the NOSPACE alarm through the log; from the entry that raises it
// on, every member refuses every request that would add data (puts, txns
// with a put, lease grants) at apply time — the same answer everywhere,
// because the alarm is replicated state, not a local reading of memory.
// Reads, deletes and compactions go on, so an operator can make room, then
// `raftkvctl alarm disarm`.

// defaultQuotaBytes is etcd's default quota (--quota-backend-bytes 0).
const defaultQuotaBytes = 2 << 30

// quotaBytes is the quota in force: cfg's, 0 meaning the default, and a
// negative one none at all.
func quotaBytes(cfg Config) int64 {
	switch {
	case cfg.QuotaBackendBytes < 0:
		return 0
	case cfg.QuotaBackendBytes == 0:
		return defaultQuotaBytes
	}
	return cfg.QuotaBackendBytes
}

// alarmEntry is the payload of kindAlarm.
type alarmEntry struct {
	Action   wire.AlarmAction `json:"action"`
	MemberID uint64           `json:"member_id"`
	Alarm    wire.AlarmType   `json:"alarm"`
}

// Alarm raises or clears an alarm through the log (etcd's Maintenance.Alarm
// with ACTIVATE or DEACTIVATE); the result's Alarms are those it changed.
func (m *Member) Alarm(action wire.AlarmAction, memberID uint64, typ wire.AlarmType, deadline time.Time, done func(Result)) {
	payload, _ := json.Marshal(alarmEntry{Action: action, MemberID: memberID, Alarm: typ}) // plain struct
	m.propose(kindAlarm, payload, deadline, done)
}

// applyAlarm changes the replicated alarms.
func (m *Member) applyAlarm(a alarmEntry) []wire.AlarmMember {
	am := wire.AlarmMember{MemberID: a.MemberID, Alarm: a.Alarm}
	i, found := slices.BinarySearchFunc(m.cluster.Alarms, am, compareAlarms)
	switch {
	case a.Action == wire.AlarmActivate && a.Alarm != wire.AlarmNone && !found:
		m.cluster.Alarms = slices.Insert(m.cluster.Alarms, i, am)
		m.logf("alarm %s raised for member %x", a.Alarm, a.MemberID)
	case a.Action == wire.AlarmDeactivate && found:
		m.cluster.Alarms = slices.Delete(m.cluster.Alarms, i, i+1)
		m.logf("alarm %s of member %x cleared", a.Alarm, a.MemberID)
	case a.Action == wire.AlarmActivate && found:
	default:
		return nil // nothing changed
	}
	return []wire.AlarmMember{am}
}

func compareAlarms(a, b wire.AlarmMember) int {
	return cmp.Or(cmp.Compare(a.MemberID, b.MemberID), cmp.Compare(a.Alarm, b.Alarm))
}

func (c *cluster) hasAlarm(typ wire.AlarmType) bool {
	return slices.ContainsFunc(c.Alarms, func(a wire.AlarmMember) bool { return a.Alarm == typ })
}

// alarmRefusal is the apply-time check of a kv request against the
// alarms in force: CORRUPT refuses every write, NOSPACE those that add
// data. CORRUPT is checked first, as etcd's appliers are stacked.
func (c *cluster) alarmRefusal(req *kv.Request) error {
	switch {
	case c.hasAlarm(wire.AlarmCorrupt):
		return ErrCorrupt
	case requestCost(req) > 0 && c.hasAlarm(wire.AlarmNoSpace):
		return ErrNoSpace
	}
	return nil
}

// overQuota is the proposer's check: would req take the store over the
// quota? If so the member raises NOSPACE (once) and refuses req.
func (m *Member) overQuota(req *kv.Request) bool {
	cost := requestCost(req)
	if cost == 0 || m.quota == 0 || m.store.Size()+cost <= m.quota {
		return false
	}
	if !m.noSpaceRaising && !slices.Contains(m.cluster.Alarms, wire.AlarmMember{MemberID: m.id, Alarm: wire.AlarmNoSpace}) {
		m.noSpaceRaising = true
		m.logf("the store would exceed the space quota (%d of %d bytes): raising NOSPACE", m.store.Size()+cost, m.quota)
		m.Alarm(wire.AlarmActivate, m.id, wire.AlarmNoSpace, m.env.Clock.Now().Add(5*time.Second), func(Result) { m.noSpaceRaising = false })
	}
	return true
}

// requestCost estimates what req adds to the store: zero for a request that
// adds nothing (a delete, a compaction, a read-only txn), which is allowed
// even under the NOSPACE alarm.
func requestCost(req *kv.Request) int64 {
	switch {
	case req.Put != nil:
		return putCost(req.Put)
	case req.Txn != nil:
		return txnCost(req.Txn)
	case req.LeaseGrant != nil:
		return leaseCost
	}
	return 0
}

// Per-entry overheads in the spirit of kv's size estimate.
const (
	putOverhead = 176
	leaseCost   = 128
)

func putCost(p *kv.PutRequest) int64 { return int64(len(p.Key)+len(p.Value)) + putOverhead }

func txnCost(t *kv.TxnRequest) int64 {
	var n int64
	for _, ops := range [][]kv.RequestOp{t.Success, t.Failure} {
		for _, op := range ops {
			switch {
			case op.Put != nil:
				n += putCost(op.Put)
			case op.Txn != nil:
				n += txnCost(op.Txn)
			}
		}
	}
	return n
}
