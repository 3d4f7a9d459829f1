package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// printer writes a command's answer in one of etcdctl's output formats
// (-w simple|json|fields|table). There is one implementation per format,
// each in its own file, with a method per kind of answer, as in etcdctl's
// ctlv3/command/printer*.go: the commands stay free of formatting, and the
// golden tests can feed a printer a response without a cluster.
//
// A format that has no rendering for an answer (a get as a table) returns
// etcdctl's error: "table not supported as output format", exit code 4.
type printer interface {
	authPrinter // printer_auth.go

	Get(r *client.GetResponse) error
	Put(r *client.PutResponse) error
	Del(r *client.DeleteResponse) error
	Txn(r *client.TxnResponse) error
	Watch(r *client.WatchResponse) error

	Grant(r *client.LeaseGrantResponse) error
	Revoke(id int64, r *client.LeaseRevokeResponse) error
	KeepAlive(r *client.LeaseKeepAliveResponse) error
	TimeToLive(r *client.LeaseTimeToLiveResponse, keys bool) error
	Leases(r *client.LeaseLeasesResponse) error

	MemberAdd(r *client.MemberAddResponse) error
	MemberRemove(id uint64, r *client.MemberRemoveResponse) error
	MemberUpdate(id uint64, r *client.MemberUpdateResponse) error
	MemberPromote(id uint64, r *client.MemberPromoteResponse) error
	// MemberList also gets the leader's ID (0: unknown), so that the
	// human formats can mark the leader, which etcdctl does not.
	MemberList(r *client.MemberListResponse) error
	MoveLeader(leader, target uint64, r *client.MoveLeaderResponse) error
	Alarm(r *client.AlarmResponse) error

	EndpointHealth(hs []epHealth) error
	EndpointStatus(ss []epStatus) error
	EndpointHashKV(hs []epHashKV) error
}

// newPrinter returns the printer for -w's value, or nil for a format that
// does not exist. etcdctl also has "protobuf"; raftkv speaks JSON, not
// protobuf, so it has none.
func newPrinter(format string, w, errw io.Writer, isHex bool) printer {
	switch format {
	case "simple":
		return &simplePrinter{w: w, errw: errw, isHex: isHex}
	case "json":
		return &jsonPrinter{w: w}
	case "fields":
		return &fieldsPrinter{w: w}
	case "table":
		return &tablePrinter{unsupported: unsupported{"table"}, w: w}
	}
	return nil
}

// unsupported answers every method with etcdctl's error; a printer embeds
// it and overrides what its format can show.
type unsupported struct{ format string }

func (u unsupported) err() error {
	return withCode(exitBadFeature, fmt.Errorf("%s not supported as output format", u.format))
}

func (u unsupported) Get(*client.GetResponse) error                          { return u.err() }
func (u unsupported) Put(*client.PutResponse) error                          { return u.err() }
func (u unsupported) Del(*client.DeleteResponse) error                       { return u.err() }
func (u unsupported) Txn(*client.TxnResponse) error                          { return u.err() }
func (u unsupported) Watch(*client.WatchResponse) error                      { return u.err() }
func (u unsupported) Grant(*client.LeaseGrantResponse) error                 { return u.err() }
func (u unsupported) Revoke(int64, *client.LeaseRevokeResponse) error        { return u.err() }
func (u unsupported) KeepAlive(*client.LeaseKeepAliveResponse) error         { return u.err() }
func (u unsupported) TimeToLive(*client.LeaseTimeToLiveResponse, bool) error { return u.err() }
func (u unsupported) Leases(*client.LeaseLeasesResponse) error               { return u.err() }
func (u unsupported) MemberAdd(*client.MemberAddResponse) error              { return u.err() }
func (u unsupported) MemberRemove(uint64, *client.MemberRemoveResponse) error {
	return u.err()
}
func (u unsupported) MemberUpdate(uint64, *client.MemberUpdateResponse) error {
	return u.err()
}
func (u unsupported) MemberPromote(uint64, *client.MemberPromoteResponse) error {
	return u.err()
}
func (u unsupported) MemberList(*client.MemberListResponse) error { return u.err() }
func (u unsupported) MoveLeader(uint64, uint64, *client.MoveLeaderResponse) error {
	return u.err()
}
func (u unsupported) Alarm(*client.AlarmResponse) error { return u.err() }
func (u unsupported) EndpointHealth([]epHealth) error   { return u.err() }
func (u unsupported) EndpointStatus([]epStatus) error   { return u.err() }
func (u unsupported) EndpointHashKV([]epHashKV) error   { return u.err() }

// printTxnOp prints one answer of a txn as the answer of a get, put or del;
// false if it is none of these (a nested txn, which etcdctl does not print
// either).
func printTxnOp(p printer, op wire.ResponseOp) bool {
	switch {
	case op.ResponseDeleteRange != nil:
		p.Del(op.ResponseDeleteRange)
	case op.ResponsePut != nil:
		p.Put(op.ResponsePut)
	case op.ResponseRange != nil:
		p.Get(op.ResponseRange)
	default:
		return false
	}
	return true
}

// The rows below are shared by the simple format (each row joined by ", ")
// and the table format, as in etcdctl's printer.go.

func memberListTable(r *client.MemberListResponse) (hdr []string, rows [][]string) {
	hdr = []string{"ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"}
	for _, m := range r.Members {
		status := "started"
		if m.Name == "" {
			// A member that was added but has never started: it does
			// not know its name until it joins.
			status = "unstarted"
		}
		rows = append(rows, []string{
			fmt.Sprintf("%x", m.ID),
			status,
			m.Name,
			strings.Join(m.PeerURLs, ","),
			strings.Join(m.ClientURLs, ","),
			fmt.Sprint(m.IsLearner),
		})
	}
	return hdr, rows
}

func endpointHealthTable(hs []epHealth) (hdr []string, rows [][]string) {
	hdr = []string{"endpoint", "health", "took", "error"}
	for _, h := range hs {
		rows = append(rows, []string{h.Ep, fmt.Sprint(h.Health), h.Took, h.Error})
	}
	return hdr, rows
}

func endpointStatusTable(ss []epStatus) (hdr []string, rows [][]string) {
	hdr = []string{"endpoint", "ID", "version", "storage version", "db size", "in use",
		"percentage not in use", "quota", "is leader", "is learner", "raft term",
		"raft index", "raft applied index", "errors", "downgrade target version", "downgrade enabled"}
	for _, s := range ss {
		r := s.Resp
		var downgrade wire.DowngradeInfo
		if r.DowngradeInfo != nil {
			downgrade = *r.DowngradeInfo
		}
		rows = append(rows, []string{
			s.Ep,
			fmt.Sprintf("%x", r.Header.MemberID),
			r.Version,
			r.StorageVersion,
			humanBytes(uint64(r.DbSize)),
			humanBytes(uint64(r.DbSizeInUse)),
			notInUse(r.DbSize, r.DbSizeInUse),
			humanBytes(uint64(r.DbSizeQuota)),
			fmt.Sprint(r.Leader == r.Header.MemberID),
			fmt.Sprint(r.IsLearner),
			fmt.Sprint(r.RaftTerm),
			fmt.Sprint(r.RaftIndex),
			fmt.Sprint(r.RaftAppliedIndex),
			strings.Join(r.Errors, ", "),
			downgrade.TargetVersion,
			fmt.Sprint(downgrade.Enabled),
		})
	}
	return hdr, rows
}

// notInUse is etcdctl's "percentage not in use", without its division by
// zero on an empty database.
func notInUse(size, inUse int64) string {
	if size <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", 100-inUse*100/size)
}

func endpointHashKVTable(hs []epHashKV) (hdr []string, rows [][]string) {
	hdr = []string{"endpoint", "hash", "hash revision"}
	for _, h := range hs {
		rows = append(rows, []string{h.Ep, fmt.Sprint(h.Resp.Hash), fmt.Sprint(h.Resp.HashRevision)})
	}
	return hdr, rows
}

// humanBytes writes a size as go-humanize's Bytes does, which etcdctl uses:
// powers of 1000, one decimal below 10 ("2.1 GB", "20 kB", "16 B").
func humanBytes(n uint64) string {
	if n < 10 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	e, div := 0, 1.0
	for f := float64(n); f >= 1000 && e < len(units)-1; f /= 1000 {
		e++
		div *= 1000
	}
	// Round to one decimal, half up, as humanize does.
	val := float64(int64(float64(n)/div*10+0.5)) / 10
	if val < 10 {
		return fmt.Sprintf("%.1f %s", val, units[e])
	}
	return fmt.Sprintf("%.0f %s", val, units[e])
}
