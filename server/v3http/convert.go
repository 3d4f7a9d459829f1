package v3http

import (
	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// Conversions between the wire types (etcd's JSON gateway messages) and the
// state machine's types. Both mirror etcd's protobuf messages field for field
// and use etcd's enum numbers, so each conversion is a plain copy; byte
// slices are shared, never copied (the store never modifies them).

func toWireHeader(h api.Header) *wire.ResponseHeader {
	return &wire.ResponseHeader{ClusterID: h.ClusterID, MemberID: h.MemberID, Revision: h.Revision, RaftTerm: h.RaftTerm}
}

func toKVRange(r *wire.RangeRequest) *kv.RangeRequest {
	return &kv.RangeRequest{
		Key: r.Key, RangeEnd: r.RangeEnd, Limit: r.Limit, Revision: r.Revision,
		SortOrder: kv.SortOrder(r.SortOrder), SortTarget: kv.SortTarget(r.SortTarget),
		Serializable: r.Serializable, KeysOnly: r.KeysOnly, CountOnly: r.CountOnly,
		MinModRevision: r.MinModRevision, MaxModRevision: r.MaxModRevision,
		MinCreateRevision: r.MinCreateRevision, MaxCreateRevision: r.MaxCreateRevision,
	}
}

func toKVPut(r *wire.PutRequest) *kv.PutRequest {
	return &kv.PutRequest{Key: r.Key, Value: r.Value, Lease: r.Lease, PrevKv: r.PrevKV, IgnoreValue: r.IgnoreValue, IgnoreLease: r.IgnoreLease}
}

func toKVDelete(r *wire.DeleteRangeRequest) *kv.DeleteRangeRequest {
	return &kv.DeleteRangeRequest{Key: r.Key, RangeEnd: r.RangeEnd, PrevKv: r.PrevKV}
}

func toKVTxn(r *wire.TxnRequest) *kv.TxnRequest {
	t := &kv.TxnRequest{Success: toKVOps(r.Success), Failure: toKVOps(r.Failure)}
	if len(r.Compare) > 0 {
		t.Compare = make([]kv.Compare, len(r.Compare))
		for i, c := range r.Compare {
			t.Compare[i] = kv.Compare{
				Result: kv.CompareResult(c.Result), Target: kv.CompareTarget(c.Target), Key: c.Key, RangeEnd: c.RangeEnd,
				Version: c.Version, CreateRevision: c.CreateRevision, ModRevision: c.ModRevision, Value: c.Value, Lease: c.Lease,
			}
		}
	}
	return t
}

func toKVOps(ops []wire.RequestOp) []kv.RequestOp {
	if len(ops) == 0 {
		return nil
	}
	out := make([]kv.RequestOp, len(ops))
	for i, op := range ops {
		switch {
		case op.RequestRange != nil:
			out[i].Range = toKVRange(op.RequestRange)
		case op.RequestPut != nil:
			out[i].Put = toKVPut(op.RequestPut)
		case op.RequestDeleteRange != nil:
			out[i].DeleteRange = toKVDelete(op.RequestDeleteRange)
		case op.RequestTxn != nil:
			out[i].Txn = toKVTxn(op.RequestTxn)
		}
	}
	return out
}

func toWireKV(kv *kv.KeyValue) wire.KeyValue {
	return wire.KeyValue{Key: kv.Key, CreateRevision: kv.CreateRevision, ModRevision: kv.ModRevision, Version: kv.Version, Value: kv.Value, Lease: kv.Lease}
}

func toWireKVPtr(kv *kv.KeyValue) *wire.KeyValue {
	if kv == nil {
		return nil
	}
	w := toWireKV(kv)
	return &w
}

func toWireKVs(kvs []kv.KeyValue) []wire.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]wire.KeyValue, len(kvs))
	for i := range kvs {
		out[i] = toWireKV(&kvs[i])
	}
	return out
}

func toWireRange(r *kv.RangeResponse, h *wire.ResponseHeader) *wire.RangeResponse {
	return &wire.RangeResponse{Header: h, Kvs: toWireKVs(r.Kvs), More: r.More, Count: r.Count}
}

func toWirePut(r *kv.PutResponse, h *wire.ResponseHeader) *wire.PutResponse {
	return &wire.PutResponse{Header: h, PrevKV: toWireKVPtr(r.PrevKv)}
}

func toWireDelete(r *kv.DeleteRangeResponse, h *wire.ResponseHeader) *wire.DeleteRangeResponse {
	return &wire.DeleteRangeResponse{Header: h, Deleted: r.Deleted, PrevKVs: toWireKVs(r.PrevKvs)}
}

// toWireTxn converts a txn response. As etcd does, the responses inside a
// txn carry only the revision in their header, and a nested txn's header is
// empty.
func toWireTxn(r *kv.TxnResponse, h *wire.ResponseHeader) *wire.TxnResponse {
	out := &wire.TxnResponse{Header: h, Succeeded: r.Succeeded}
	if len(r.Responses) > 0 {
		out.Responses = make([]wire.ResponseOp, len(r.Responses))
	}
	for i, op := range r.Responses {
		switch {
		case op.Range != nil:
			out.Responses[i].ResponseRange = toWireRange(op.Range, &wire.ResponseHeader{Revision: op.Range.Header.Revision})
		case op.Put != nil:
			out.Responses[i].ResponsePut = toWirePut(op.Put, &wire.ResponseHeader{Revision: op.Put.Header.Revision})
		case op.DeleteRange != nil:
			out.Responses[i].ResponseDeleteRange = toWireDelete(op.DeleteRange, &wire.ResponseHeader{Revision: op.DeleteRange.Header.Revision})
		case op.Txn != nil:
			out.Responses[i].ResponseTxn = toWireTxn(op.Txn, &wire.ResponseHeader{})
		}
	}
	return out
}

func toWireEvents(evs []kv.Event) []wire.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]wire.Event, len(evs))
	for i := range evs {
		e := &evs[i]
		kv := toWireKV(&e.Kv)
		out[i] = wire.Event{Type: wire.EventType(e.Type), Kv: &kv, PrevKV: toWireKVPtr(e.PrevKv)}
	}
	return out
}

func toWireMember(m api.Member) wire.Member {
	return wire.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, IsLearner: m.IsLearner}
}

func toWireMembers(ms []api.Member) []wire.Member {
	out := make([]wire.Member, len(ms))
	for i, m := range ms {
		out[i] = toWireMember(m)
	}
	return out
}
