package pbconv

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// Header converts a response header.
func Header(h api.Header) *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: h.ClusterID, MemberId: h.MemberID, Revision: h.Revision, RaftTerm: h.RaftTerm}
}

// FromHeader is Header's inverse.
func FromHeader(h *pb.ResponseHeader) api.Header {
	if h == nil {
		return api.Header{}
	}
	return api.Header{ClusterID: h.ClusterId, MemberID: h.MemberId, Revision: h.Revision, RaftTerm: h.RaftTerm}
}

// revisionHeader is the header etcd puts on the responses inside a txn:
// the revision alone.
func revisionHeader(rev int64) *pb.ResponseHeader { return &pb.ResponseHeader{Revision: rev} }

// ToRange converts a range request.
func ToRange(r *pb.RangeRequest) *kv.RangeRequest {
	return &kv.RangeRequest{
		Key: r.Key, RangeEnd: r.RangeEnd, Limit: r.Limit, Revision: r.Revision,
		SortOrder: kv.SortOrder(r.SortOrder), SortTarget: kv.SortTarget(r.SortTarget),
		Serializable: r.Serializable, KeysOnly: r.KeysOnly, CountOnly: r.CountOnly,
		MinModRevision: r.MinModRevision, MaxModRevision: r.MaxModRevision,
		MinCreateRevision: r.MinCreateRevision, MaxCreateRevision: r.MaxCreateRevision,
	}
}

// FromRangeRequest is ToRange's inverse.
func FromRangeRequest(r *kv.RangeRequest) *pb.RangeRequest {
	return &pb.RangeRequest{
		Key: r.Key, RangeEnd: r.RangeEnd, Limit: r.Limit, Revision: r.Revision,
		SortOrder: pb.RangeRequest_SortOrder(r.SortOrder), SortTarget: pb.RangeRequest_SortTarget(r.SortTarget),
		Serializable: r.Serializable, KeysOnly: r.KeysOnly, CountOnly: r.CountOnly,
		MinModRevision: r.MinModRevision, MaxModRevision: r.MaxModRevision,
		MinCreateRevision: r.MinCreateRevision, MaxCreateRevision: r.MaxCreateRevision,
	}
}

// ToPut converts a put request.
func ToPut(r *pb.PutRequest) *kv.PutRequest {
	return &kv.PutRequest{Key: r.Key, Value: r.Value, Lease: r.Lease, PrevKv: r.PrevKv, IgnoreValue: r.IgnoreValue, IgnoreLease: r.IgnoreLease}
}

// FromPutRequest is ToPut's inverse.
func FromPutRequest(r *kv.PutRequest) *pb.PutRequest {
	return &pb.PutRequest{Key: r.Key, Value: r.Value, Lease: r.Lease, PrevKv: r.PrevKv, IgnoreValue: r.IgnoreValue, IgnoreLease: r.IgnoreLease}
}

// ToDeleteRange converts a delete request.
func ToDeleteRange(r *pb.DeleteRangeRequest) *kv.DeleteRangeRequest {
	return &kv.DeleteRangeRequest{Key: r.Key, RangeEnd: r.RangeEnd, PrevKv: r.PrevKv}
}

// FromDeleteRangeRequest is ToDeleteRange's inverse.
func FromDeleteRangeRequest(r *kv.DeleteRangeRequest) *pb.DeleteRangeRequest {
	return &pb.DeleteRangeRequest{Key: r.Key, RangeEnd: r.RangeEnd, PrevKv: r.PrevKv}
}

// ToTxn converts a transaction, its compares and both branches.
func ToTxn(r *pb.TxnRequest) *kv.TxnRequest {
	t := &kv.TxnRequest{Success: toOps(r.Success), Failure: toOps(r.Failure)}
	if len(r.Compare) > 0 {
		t.Compare = make([]kv.Compare, len(r.Compare))
		for i, c := range r.Compare {
			t.Compare[i] = toCompare(c)
		}
	}
	return t
}

// toCompare copies the compare's target value, whichever of the oneof is
// set, into kv's field for it; kv reads the field named by Target, so a
// value of another kind compares as the zero value, as in etcd.
func toCompare(c *pb.Compare) kv.Compare {
	out := kv.Compare{Result: kv.CompareResult(c.Result), Target: kv.CompareTarget(c.Target), Key: c.Key, RangeEnd: c.RangeEnd}
	switch u := c.TargetUnion.(type) {
	case *pb.Compare_Version:
		out.Version = u.Version
	case *pb.Compare_CreateRevision:
		out.CreateRevision = u.CreateRevision
	case *pb.Compare_ModRevision:
		out.ModRevision = u.ModRevision
	case *pb.Compare_Value:
		out.Value = u.Value
	case *pb.Compare_Lease:
		out.Lease = u.Lease
	}
	return out
}

func fromCompare(c *kv.Compare) *pb.Compare {
	out := &pb.Compare{Result: pb.Compare_CompareResult(c.Result), Target: pb.Compare_CompareTarget(c.Target), Key: c.Key, RangeEnd: c.RangeEnd}
	switch c.Target {
	case kv.CompareVersion:
		out.TargetUnion = &pb.Compare_Version{Version: c.Version}
	case kv.CompareCreate:
		out.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: c.CreateRevision}
	case kv.CompareMod:
		out.TargetUnion = &pb.Compare_ModRevision{ModRevision: c.ModRevision}
	case kv.CompareValue:
		out.TargetUnion = &pb.Compare_Value{Value: c.Value}
	case kv.CompareLease:
		out.TargetUnion = &pb.Compare_Lease{Lease: c.Lease}
	}
	return out
}

func toOps(ops []*pb.RequestOp) []kv.RequestOp {
	if len(ops) == 0 {
		return nil
	}
	out := make([]kv.RequestOp, len(ops))
	for i, op := range ops {
		switch u := op.Request.(type) {
		case *pb.RequestOp_RequestRange:
			if u.RequestRange != nil {
				out[i].Range = ToRange(u.RequestRange)
			}
		case *pb.RequestOp_RequestPut:
			if u.RequestPut != nil {
				out[i].Put = ToPut(u.RequestPut)
			}
		case *pb.RequestOp_RequestDeleteRange:
			if u.RequestDeleteRange != nil {
				out[i].DeleteRange = ToDeleteRange(u.RequestDeleteRange)
			}
		case *pb.RequestOp_RequestTxn:
			if u.RequestTxn != nil {
				out[i].Txn = ToTxn(u.RequestTxn)
			}
		}
	}
	return out
}

// FromTxnRequest is ToTxn's inverse.
func FromTxnRequest(t *kv.TxnRequest) *pb.TxnRequest {
	out := &pb.TxnRequest{Success: fromOps(t.Success), Failure: fromOps(t.Failure)}
	for i := range t.Compare {
		out.Compare = append(out.Compare, fromCompare(&t.Compare[i]))
	}
	return out
}

func fromOps(ops []kv.RequestOp) []*pb.RequestOp {
	var out []*pb.RequestOp
	for _, op := range ops {
		o := &pb.RequestOp{}
		switch {
		case op.Range != nil:
			o.Request = &pb.RequestOp_RequestRange{RequestRange: FromRangeRequest(op.Range)}
		case op.Put != nil:
			o.Request = &pb.RequestOp_RequestPut{RequestPut: FromPutRequest(op.Put)}
		case op.DeleteRange != nil:
			o.Request = &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: FromDeleteRangeRequest(op.DeleteRange)}
		case op.Txn != nil:
			o.Request = &pb.RequestOp_RequestTxn{RequestTxn: FromTxnRequest(op.Txn)}
		}
		out = append(out, o)
	}
	return out
}

// KeyValue converts one key-value.
func KeyValue(k *kv.KeyValue) *mvccpb.KeyValue {
	if k == nil {
		return nil
	}
	return &mvccpb.KeyValue{Key: k.Key, CreateRevision: k.CreateRevision, ModRevision: k.ModRevision, Version: k.Version, Value: k.Value, Lease: k.Lease}
}

// ToKeyValue is KeyValue's inverse.
func ToKeyValue(k *mvccpb.KeyValue) *kv.KeyValue {
	if k == nil {
		return nil
	}
	return &kv.KeyValue{Key: k.Key, CreateRevision: k.CreateRevision, ModRevision: k.ModRevision, Version: k.Version, Value: k.Value, Lease: k.Lease}
}

// KeyValues converts a list, allocating the messages in one block.
func KeyValues(kvs []kv.KeyValue) []*mvccpb.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	block := make([]mvccpb.KeyValue, len(kvs))
	out := make([]*mvccpb.KeyValue, len(kvs))
	for i := range kvs {
		k := &kvs[i]
		b := &block[i]
		b.Key, b.CreateRevision, b.ModRevision, b.Version, b.Value, b.Lease = k.Key, k.CreateRevision, k.ModRevision, k.Version, k.Value, k.Lease
		out[i] = b
	}
	return out
}

// ToKeyValues is KeyValues' inverse.
func ToKeyValues(kvs []*mvccpb.KeyValue) []kv.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]kv.KeyValue, len(kvs))
	for i, k := range kvs {
		out[i] = *ToKeyValue(k)
	}
	return out
}

// RangeResponse converts a range's answer.
func RangeResponse(r *kv.RangeResponse, h *pb.ResponseHeader) *pb.RangeResponse {
	return &pb.RangeResponse{Header: h, Kvs: KeyValues(r.Kvs), More: r.More, Count: r.Count}
}

// PutResponse converts a put's answer.
func PutResponse(r *kv.PutResponse, h *pb.ResponseHeader) *pb.PutResponse {
	return &pb.PutResponse{Header: h, PrevKv: KeyValue(r.PrevKv)}
}

// DeleteRangeResponse converts a delete's answer.
func DeleteRangeResponse(r *kv.DeleteRangeResponse, h *pb.ResponseHeader) *pb.DeleteRangeResponse {
	return &pb.DeleteRangeResponse{Header: h, Deleted: r.Deleted, PrevKvs: KeyValues(r.PrevKvs)}
}

// TxnResponse converts a transaction's answer. As etcd does, the responses
// inside a txn carry only the revision in their header, and a nested txn's
// header is empty.
func TxnResponse(r *kv.TxnResponse, h *pb.ResponseHeader) *pb.TxnResponse {
	out := &pb.TxnResponse{Header: h, Succeeded: r.Succeeded}
	if len(r.Responses) > 0 {
		out.Responses = make([]*pb.ResponseOp, len(r.Responses))
	}
	for i, op := range r.Responses {
		o := &pb.ResponseOp{}
		switch {
		case op.Range != nil:
			o.Response = &pb.ResponseOp_ResponseRange{ResponseRange: RangeResponse(op.Range, revisionHeader(op.Range.Header.Revision))}
		case op.Put != nil:
			o.Response = &pb.ResponseOp_ResponsePut{ResponsePut: PutResponse(op.Put, revisionHeader(op.Put.Header.Revision))}
		case op.DeleteRange != nil:
			o.Response = &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: DeleteRangeResponse(op.DeleteRange, revisionHeader(op.DeleteRange.Header.Revision))}
		case op.Txn != nil:
			o.Response = &pb.ResponseOp_ResponseTxn{ResponseTxn: TxnResponse(op.Txn, &pb.ResponseHeader{})}
		}
		out.Responses[i] = o
	}
	return out
}

// Events converts watch events.
func Events(evs []kv.Event) []*mvccpb.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]*mvccpb.Event, len(evs))
	for i := range evs {
		e := &evs[i]
		out[i] = &mvccpb.Event{Type: mvccpb.Event_EventType(e.Type), Kv: KeyValue(&e.Kv), PrevKv: KeyValue(e.PrevKv)}
	}
	return out
}

// ToEvents is Events' inverse.
func ToEvents(evs []*mvccpb.Event) []kv.Event {
	if len(evs) == 0 {
		return nil
	}
	out := make([]kv.Event, len(evs))
	for i, e := range evs {
		out[i] = kv.Event{Type: kv.EventType(e.Type), PrevKv: ToKeyValue(e.PrevKv)}
		if e.Kv != nil {
			out[i].Kv = *ToKeyValue(e.Kv)
		}
	}
	return out
}
