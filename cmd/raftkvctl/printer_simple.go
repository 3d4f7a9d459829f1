package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// simplePrinter is etcdctl's default format: lines meant for people and for
// shell pipelines. A key-value is two lines, the key then the value; lease
// IDs are 16 hex digits, member IDs hex.
type simplePrinter struct {
	w     io.Writer
	errw  io.Writer // stderr: where unhealthy endpoints are reported
	isHex bool      // --hex: keys and values as \x escapes
	// valueOnly: get --print-value-only prints values without their keys.
	valueOnly bool
}

func (p *simplePrinter) kv(kv *wire.KeyValue) {
	k, v := string(kv.Key), string(kv.Value)
	if p.isHex {
		k, v = hexEscape(kv.Key), hexEscape(kv.Value)
	}
	if !p.valueOnly {
		fmt.Fprintln(p.w, k)
	}
	fmt.Fprintln(p.w, v)
}

// hexEscape writes every byte as \xNN, as etcdctl's --hex does.
func hexEscape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteString(`\x`)
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

func (p *simplePrinter) Get(r *client.GetResponse) error {
	for i := range r.Kvs {
		p.kv(&r.Kvs[i])
	}
	return nil
}

func (p *simplePrinter) Put(r *client.PutResponse) error {
	fmt.Fprintln(p.w, "OK")
	if r.PrevKV != nil {
		p.kv(r.PrevKV)
	}
	return nil
}

func (p *simplePrinter) Del(r *client.DeleteResponse) error {
	fmt.Fprintln(p.w, r.Deleted)
	for i := range r.PrevKVs {
		p.kv(&r.PrevKVs[i])
	}
	return nil
}

// Txn prints SUCCESS or FAILURE, then each operation's answer after an
// empty line.
func (p *simplePrinter) Txn(r *client.TxnResponse) error {
	if r.Succeeded {
		fmt.Fprintln(p.w, "SUCCESS")
	} else {
		fmt.Fprintln(p.w, "FAILURE")
	}
	for _, op := range r.Responses {
		fmt.Fprintln(p.w)
		if !printTxnOp(p, op) {
			fmt.Fprintf(p.w, "unexpected response %+v\n", op)
		}
	}
	return nil
}

// Watch prints each event as PUT or DELETE, then the previous key-value if
// asked for (--prev-kv), then the key-value (a deleted key's value is empty:
// an empty line).
func (p *simplePrinter) Watch(r *client.WatchResponse) error {
	for _, ev := range r.Events {
		fmt.Fprintln(p.w, ev.Type)
		if ev.PrevKV != nil {
			p.kv(ev.PrevKV)
		}
		if ev.Kv != nil {
			p.kv(ev.Kv)
		}
	}
	return nil
}

func (p *simplePrinter) Grant(r *client.LeaseGrantResponse) error {
	fmt.Fprintf(p.w, "lease %016x granted with TTL(%ds)\n", r.ID, r.TTL)
	return nil
}

func (p *simplePrinter) Revoke(id int64, _ *client.LeaseRevokeResponse) error {
	fmt.Fprintf(p.w, "lease %016x revoked\n", id)
	return nil
}

func (p *simplePrinter) KeepAlive(r *client.LeaseKeepAliveResponse) error {
	fmt.Fprintf(p.w, "lease %016x keepalived with TTL(%d)\n", r.ID, r.TTL)
	return nil
}

func (p *simplePrinter) TimeToLive(r *client.LeaseTimeToLiveResponse, keys bool) error {
	if r.GrantedTTL == 0 && r.TTL == -1 {
		fmt.Fprintf(p.w, "lease %016x already expired\n", r.ID)
		return nil
	}
	txt := fmt.Sprintf("lease %016x granted with TTL(%ds), remaining(%ds)", r.ID, r.GrantedTTL, r.TTL)
	if keys {
		ks := make([]string, len(r.Keys))
		for i, k := range r.Keys {
			ks[i] = string(k)
		}
		txt += fmt.Sprintf(", attached keys(%v)", ks)
	}
	fmt.Fprintln(p.w, txt)
	return nil
}

func (p *simplePrinter) Leases(r *client.LeaseLeasesResponse) error {
	fmt.Fprintf(p.w, "found %d leases\n", len(r.Leases))
	for _, l := range r.Leases {
		fmt.Fprintf(p.w, "%016x\n", l.ID)
	}
	return nil
}

func (p *simplePrinter) MemberAdd(r *client.MemberAddResponse) error {
	var m wire.Member
	if r.Member != nil {
		m = *r.Member
	}
	as := " "
	if m.IsLearner {
		as = " as learner "
	}
	fmt.Fprintf(p.w, "Member %16x added%sto cluster %16x\n", m.ID, as, r.Header.ClusterID)
	return nil
}

func (p *simplePrinter) MemberRemove(id uint64, r *client.MemberRemoveResponse) error {
	fmt.Fprintf(p.w, "Member %16x removed from cluster %16x\n", id, r.Header.ClusterID)
	return nil
}

func (p *simplePrinter) MemberUpdate(id uint64, r *client.MemberUpdateResponse) error {
	fmt.Fprintf(p.w, "Member %16x updated in cluster %16x\n", id, r.Header.ClusterID)
	return nil
}

// Alarm prints each alarm as etcdctl does (the protobuf text of the alarm:
// the member ID in decimal).
func (p *simplePrinter) Alarm(r *client.AlarmResponse) error {
	for _, a := range r.Alarms {
		fmt.Fprintf(p.w, "memberID:%d alarm:%s \n", a.MemberID, a.Alarm)
	}
	return nil
}

// MoveLeader prints the IDs as etcd's types.ID does: hex, unpadded.
func (p *simplePrinter) MoveLeader(leader, target uint64, _ *client.MoveLeaderResponse) error {
	fmt.Fprintf(p.w, "Leadership transferred from %x to %x\n", leader, target)
	return nil
}

func (p *simplePrinter) MemberPromote(id uint64, r *client.MemberPromoteResponse) error {
	fmt.Fprintf(p.w, "Member %16x promoted in cluster %16x\n", id, r.Header.ClusterID)
	return nil
}

func (p *simplePrinter) MemberList(r *client.MemberListResponse) error {
	_, rows := memberListTable(r)
	p.rows(rows)
	return nil
}

func (p *simplePrinter) EndpointHealth(hs []epHealth) error {
	for _, h := range hs {
		if h.Error == "" {
			fmt.Fprintf(p.w, "%s is healthy: successfully committed proposal: took = %v\n", h.Ep, h.Took)
		} else {
			fmt.Fprintf(p.errw, "%s is unhealthy: failed to commit proposal: %v\n", h.Ep, h.Error)
		}
	}
	return nil
}

func (p *simplePrinter) EndpointStatus(ss []epStatus) error {
	_, rows := endpointStatusTable(ss)
	p.rows(rows)
	return nil
}

func (p *simplePrinter) EndpointHashKV(hs []epHashKV) error {
	_, rows := endpointHashKVTable(hs)
	p.rows(rows)
	return nil
}

func (p *simplePrinter) rows(rows [][]string) {
	for _, row := range rows {
		fmt.Fprintln(p.w, strings.Join(row, ", "))
	}
}
