package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
)

// jsonPrinter is -w json. It is NOT the gateway's JSON that travels on the
// wire (where 64-bit integers are strings): etcdctl runs Go's encoding/json
// over its gRPC structs, so integers are numbers ("revision":4), bytes are
// base64, zero values are left out (omitempty), and a few answers have
// shapes of their own (a watch uses Go field names, "Header", "Events"; a
// lease answer inlines its header). The wire types carry the proto names in
// their json tags, so encoding/json on them gives etcdctl's output; the
// answers whose shapes differ get the small structs below.
type jsonPrinter struct{ w io.Writer }

func (p *jsonPrinter) print(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the answer as JSON: %w", err)
	}
	_, err = fmt.Fprintln(p.w, string(b))
	return err
}

func (p *jsonPrinter) Get(r *client.GetResponse) error    { return p.print(r) }
func (p *jsonPrinter) Put(r *client.PutResponse) error    { return p.print(r) }
func (p *jsonPrinter) Del(r *client.DeleteResponse) error { return p.print(r) }
func (p *jsonPrinter) Txn(r *client.TxnResponse) error    { return p.print(jsonTxnOf(r)) }

// jsonTxn is a txn answer as etcdctl prints it: each operation's answer is
// wrapped in {"Response":{...}}, the Go name of the proto's oneof field.
type jsonTxn struct {
	Header    *wire.ResponseHeader `json:"header,omitempty"`
	Succeeded bool                 `json:"succeeded,omitempty"`
	Responses []jsonResponseOp     `json:"responses,omitempty"`
}

type jsonResponseOp struct {
	Response any
}

func jsonTxnOf(r *client.TxnResponse) *jsonTxn {
	out := &jsonTxn{Header: r.Header, Succeeded: r.Succeeded}
	for _, op := range r.Responses {
		var one any
		switch {
		case op.ResponseRange != nil:
			one = struct {
				R *wire.RangeResponse `json:"response_range,omitempty"`
			}{op.ResponseRange}
		case op.ResponsePut != nil:
			one = struct {
				R *wire.PutResponse `json:"response_put,omitempty"`
			}{op.ResponsePut}
		case op.ResponseDeleteRange != nil:
			one = struct {
				R *wire.DeleteRangeResponse `json:"response_delete_range,omitempty"`
			}{op.ResponseDeleteRange}
		case op.ResponseTxn != nil:
			one = struct {
				R *jsonTxn `json:"response_txn,omitempty"`
			}{jsonTxnOf(op.ResponseTxn)}
		}
		out.Responses = append(out.Responses, jsonResponseOp{Response: one})
	}
	return out
}

// jsonWatch is clientv3.WatchResponse: Go field names, and every field
// written, even false and 0.
type jsonWatch struct {
	Header          wire.ResponseHeader
	Events          []wire.Event
	CompactRevision int64
	Canceled        bool
	Created         bool
	CancelReason    string
}

func (p *jsonPrinter) Watch(r *client.WatchResponse) error {
	out := jsonWatch{Events: r.Events, CompactRevision: r.CompactRevision,
		Canceled: r.Canceled, Created: r.Created, CancelReason: r.CancelReason}
	if r.Header != nil {
		out.Header = *r.Header
	}
	return p.print(out)
}

// The lease answers are clientv3's own structs, which embed the header (so
// its fields are inlined) and name their fields in Go or in their own tags.

func (p *jsonPrinter) Grant(r *client.LeaseGrantResponse) error {
	return p.print(struct {
		*wire.ResponseHeader
		ID    int64
		TTL   int64
		Error string
	}{r.Header, r.ID, r.TTL, r.Error})
}

func (p *jsonPrinter) Revoke(_ int64, r *client.LeaseRevokeResponse) error { return p.print(r) }

func (p *jsonPrinter) KeepAlive(r *client.LeaseKeepAliveResponse) error {
	return p.print(struct {
		*wire.ResponseHeader
		ID  int64
		TTL int64
	}{r.Header, r.ID, r.TTL})
}

func (p *jsonPrinter) TimeToLive(r *client.LeaseTimeToLiveResponse, _ bool) error {
	return p.print(struct {
		*wire.ResponseHeader
		ID         int64    `json:"id"`
		TTL        int64    `json:"ttl"`
		GrantedTTL int64    `json:"granted-ttl"`
		Keys       [][]byte `json:"keys"`
	}{r.Header, r.ID, r.TTL, r.GrantedTTL, r.Keys})
}

func (p *jsonPrinter) Leases(r *client.LeaseLeasesResponse) error {
	type status struct {
		ID int64 `json:"id"`
	}
	leases := make([]status, len(r.Leases))
	for i, l := range r.Leases {
		leases[i] = status{l.ID}
	}
	return p.print(struct {
		*wire.ResponseHeader
		Leases []status `json:"leases"`
	}{r.Header, leases})
}

func (p *jsonPrinter) MemberAdd(r *client.MemberAddResponse) error { return p.print(r) }
func (p *jsonPrinter) MemberRemove(_ uint64, r *client.MemberRemoveResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) MemberUpdate(_ uint64, r *client.MemberUpdateResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) MemberPromote(_ uint64, r *client.MemberPromoteResponse) error {
	return p.print(r)
}
func (p *jsonPrinter) Alarm(r *client.AlarmResponse) error { return p.print(r) }
func (p *jsonPrinter) MoveLeader(_, _ uint64, r *client.MoveLeaderResponse) error {
	return p.print(r)
}

// MemberList is etcdctl's JSON unchanged: programs parse it, and the leader
// is in endpoint status -w json.
func (p *jsonPrinter) MemberList(r *client.MemberListResponse) error { return p.print(r) }

func (p *jsonPrinter) EndpointHealth(hs []epHealth) error { return p.print(hs) }
func (p *jsonPrinter) EndpointStatus(ss []epStatus) error { return p.print(ss) }
func (p *jsonPrinter) EndpointHashKV(hs []epHashKV) error { return p.print(hs) }
