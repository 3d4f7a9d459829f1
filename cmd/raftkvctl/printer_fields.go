package main

import (
	"fmt"
	"io"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// fieldsPrinter is -w fields: one `"Name" : value` line per field, strings
// quoted as Go does, numbers in decimal (IDs too). It is the format meant
// for scripts that want one field without a JSON parser: get --count-only
// answers only in it.
type fieldsPrinter struct{ w io.Writer }

func (p *fieldsPrinter) hdr(h *wire.ResponseHeader) {
	if h == nil {
		h = new(wire.ResponseHeader)
	}
	fmt.Fprintln(p.w, `"ClusterID" :`, h.ClusterID)
	fmt.Fprintln(p.w, `"MemberID" :`, h.MemberID)
	// Only key-value answers have a revision; etcdctl hides a zero one
	// (member list has none).
	if h.Revision > 0 {
		fmt.Fprintln(p.w, `"Revision" :`, h.Revision)
	}
	fmt.Fprintln(p.w, `"RaftTerm" :`, h.RaftTerm)
}

func (p *fieldsPrinter) kv(prefix string, kv *wire.KeyValue) {
	fmt.Fprintf(p.w, "\"%sKey\" : %q\n", prefix, string(kv.Key))
	fmt.Fprintf(p.w, "\"%sCreateRevision\" : %d\n", prefix, kv.CreateRevision)
	fmt.Fprintf(p.w, "\"%sModRevision\" : %d\n", prefix, kv.ModRevision)
	fmt.Fprintf(p.w, "\"%sVersion\" : %d\n", prefix, kv.Version)
	fmt.Fprintf(p.w, "\"%sValue\" : %q\n", prefix, string(kv.Value))
	fmt.Fprintf(p.w, "\"%sLease\" : %d\n", prefix, kv.Lease)
}

func (p *fieldsPrinter) Get(r *client.GetResponse) error {
	p.hdr(r.Header)
	for i := range r.Kvs {
		p.kv("", &r.Kvs[i])
	}
	fmt.Fprintln(p.w, `"More" :`, r.More)
	fmt.Fprintln(p.w, `"Count" :`, r.Count)
	return nil
}

func (p *fieldsPrinter) Put(r *client.PutResponse) error {
	p.hdr(r.Header)
	if r.PrevKV != nil {
		p.kv("Prev", r.PrevKV)
	}
	return nil
}

func (p *fieldsPrinter) Del(r *client.DeleteResponse) error {
	p.hdr(r.Header)
	fmt.Fprintln(p.w, `"Deleted" :`, r.Deleted)
	for i := range r.PrevKVs {
		p.kv("Prev", &r.PrevKVs[i])
	}
	return nil
}

func (p *fieldsPrinter) Txn(r *client.TxnResponse) error {
	p.hdr(r.Header)
	fmt.Fprintln(p.w, `"Succeeded" :`, r.Succeeded)
	for _, op := range r.Responses {
		if !printTxnOp(p, op) {
			fmt.Fprintf(p.w, "\"Unknown\" : %q\n", fmt.Sprintf("%+v", op))
		}
	}
	return nil
}

func (p *fieldsPrinter) Watch(r *client.WatchResponse) error {
	p.hdr(r.Header)
	for _, ev := range r.Events {
		fmt.Fprintln(p.w, `"Type" :`, ev.Type)
		if ev.PrevKV != nil {
			p.kv("Prev", ev.PrevKV)
		}
		if ev.Kv != nil {
			p.kv("", ev.Kv)
		}
	}
	return nil
}

func (p *fieldsPrinter) Grant(r *client.LeaseGrantResponse) error {
	p.hdr(r.Header)
	fmt.Fprintln(p.w, `"ID" :`, r.ID)
	fmt.Fprintln(p.w, `"TTL" :`, r.TTL)
	return nil
}

func (p *fieldsPrinter) Revoke(_ int64, r *client.LeaseRevokeResponse) error {
	p.hdr(r.Header)
	return nil
}

func (p *fieldsPrinter) KeepAlive(r *client.LeaseKeepAliveResponse) error {
	p.hdr(r.Header)
	fmt.Fprintln(p.w, `"ID" :`, r.ID)
	fmt.Fprintln(p.w, `"TTL" :`, r.TTL)
	return nil
}

func (p *fieldsPrinter) TimeToLive(r *client.LeaseTimeToLiveResponse, _ bool) error {
	p.hdr(r.Header)
	fmt.Fprintln(p.w, `"ID" :`, r.ID)
	fmt.Fprintln(p.w, `"TTL" :`, r.TTL)
	fmt.Fprintln(p.w, `"GrantedTTL" :`, r.GrantedTTL)
	for _, k := range r.Keys {
		fmt.Fprintf(p.w, "\"Key\" : %q\n", string(k))
	}
	return nil
}

func (p *fieldsPrinter) Leases(r *client.LeaseLeasesResponse) error {
	p.hdr(r.Header)
	for _, l := range r.Leases {
		fmt.Fprintln(p.w, `"ID" :`, l.ID)
	}
	return nil
}

func (p *fieldsPrinter) member(m *wire.Member) {
	fmt.Fprintln(p.w, `"ID" :`, m.ID)
	fmt.Fprintf(p.w, "\"Name\" : %q\n", m.Name)
	for _, u := range m.PeerURLs {
		fmt.Fprintf(p.w, "\"PeerURL\" : %q\n", u)
	}
	for _, u := range m.ClientURLs {
		fmt.Fprintf(p.w, "\"ClientURL\" : %q\n", u)
	}
	fmt.Fprintln(p.w, `"IsLearner" :`, m.IsLearner)
	fmt.Fprintln(p.w)
}

func (p *fieldsPrinter) MemberAdd(r *client.MemberAddResponse) error {
	p.hdr(r.Header)
	if r.Member != nil {
		p.member(r.Member)
	}
	return nil
}

func (p *fieldsPrinter) MemberRemove(_ uint64, r *client.MemberRemoveResponse) error {
	p.hdr(r.Header)
	return nil
}

func (p *fieldsPrinter) MemberUpdate(_ uint64, r *client.MemberUpdateResponse) error {
	p.hdr(r.Header)
	return nil
}

func (p *fieldsPrinter) Alarm(r *client.AlarmResponse) error {
	p.hdr(r.Header)
	for _, a := range r.Alarms {
		fmt.Fprintln(p.w, `"MemberID" :`, a.MemberID)
		fmt.Fprintln(p.w, `"AlarmType" :`, a.Alarm)
	}
	return nil
}

func (p *fieldsPrinter) MoveLeader(_, _ uint64, r *client.MoveLeaderResponse) error {
	p.hdr(r.Header)
	return nil
}

func (p *fieldsPrinter) MemberPromote(_ uint64, r *client.MemberPromoteResponse) error {
	p.hdr(r.Header)
	return nil
}

func (p *fieldsPrinter) MemberList(r *client.MemberListResponse) error {
	p.hdr(r.Header)
	for i := range r.Members {
		p.member(&r.Members[i])
	}
	return nil
}

func (p *fieldsPrinter) EndpointHealth(hs []epHealth) error {
	for _, h := range hs {
		fmt.Fprintf(p.w, "\"Endpoint\" : %q\n", h.Ep)
		fmt.Fprintln(p.w, `"Health" :`, h.Health)
		fmt.Fprintln(p.w, `"Took" :`, h.Took)
		fmt.Fprintln(p.w, `"Error" :`, h.Error)
		fmt.Fprintln(p.w)
	}
	return nil
}

func (p *fieldsPrinter) EndpointStatus(ss []epStatus) error {
	for _, s := range ss {
		r := s.Resp
		var downgrade wire.DowngradeInfo
		if r.DowngradeInfo != nil {
			downgrade = *r.DowngradeInfo
		}
		p.hdr(r.Header)
		fmt.Fprintf(p.w, "\"Version\" : %q\n", r.Version)
		fmt.Fprintf(p.w, "\"StorageVersion\" : %q\n", r.StorageVersion)
		fmt.Fprintln(p.w, `"DBSize" :`, r.DbSize)
		fmt.Fprintln(p.w, `"DBSizeInUse" :`, r.DbSizeInUse)
		fmt.Fprintln(p.w, `"DBSizeQuota" :`, r.DbSizeQuota)
		fmt.Fprintln(p.w, `"Leader" :`, r.Leader)
		fmt.Fprintln(p.w, `"IsLearner" :`, r.IsLearner)
		fmt.Fprintln(p.w, `"RaftIndex" :`, r.RaftIndex)
		fmt.Fprintln(p.w, `"RaftTerm" :`, r.RaftTerm)
		fmt.Fprintln(p.w, `"RaftAppliedIndex" :`, r.RaftAppliedIndex)
		fmt.Fprintln(p.w, `"Errors" :`, r.Errors)
		fmt.Fprintf(p.w, "\"Endpoint\" : %q\n", s.Ep)
		fmt.Fprintf(p.w, "\"DowngradeTargetVersion\" : %q\n", downgrade.TargetVersion)
		fmt.Fprintln(p.w, `"DowngradeEnabled" :`, downgrade.Enabled)
		fmt.Fprintln(p.w)
	}
	return nil
}

func (p *fieldsPrinter) EndpointHashKV(hs []epHashKV) error {
	for _, h := range hs {
		p.hdr(h.Resp.Header)
		fmt.Fprintf(p.w, "\"Endpoint\" : %q\n", h.Ep)
		fmt.Fprintln(p.w, `"Hash" :`, h.Resp.Hash)
		fmt.Fprintln(p.w, `"HashRevision" :`, h.Resp.HashRevision)
		fmt.Fprintln(p.w)
	}
	return nil
}
