package pbconv

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/kv"
)

// The inverses of the response conversions above: what a client of etcd's
// gRPC services (raftkv's proxy, in front of a cluster) turns the answers
// it receives into. Each is a plain copy, as the forward ones are.

// ToRangeResponse converts a range's answer; its header travels apart
// (FromHeader).
func ToRangeResponse(r *pb.RangeResponse) *kv.RangeResponse {
	return &kv.RangeResponse{Header: kvHeader(r.Header), Kvs: ToKeyValues(r.Kvs), More: r.More, Count: r.Count}
}

// ToPutResponse converts a put's answer.
func ToPutResponse(r *pb.PutResponse) *kv.PutResponse {
	return &kv.PutResponse{Header: kvHeader(r.Header), PrevKv: ToKeyValue(r.PrevKv)}
}

// ToDeleteRangeResponse converts a delete's answer.
func ToDeleteRangeResponse(r *pb.DeleteRangeResponse) *kv.DeleteRangeResponse {
	return &kv.DeleteRangeResponse{Header: kvHeader(r.Header), Deleted: r.Deleted, PrevKvs: ToKeyValues(r.PrevKvs)}
}

// ToTxnResponse converts a transaction's answer, nested ones included.
func ToTxnResponse(r *pb.TxnResponse) *kv.TxnResponse {
	out := &kv.TxnResponse{Header: kvHeader(r.Header), Succeeded: r.Succeeded}
	if len(r.Responses) > 0 {
		out.Responses = make([]kv.ResponseOp, len(r.Responses))
	}
	for i, op := range r.Responses {
		switch u := op.Response.(type) {
		case *pb.ResponseOp_ResponseRange:
			if u.ResponseRange != nil {
				out.Responses[i].Range = ToRangeResponse(u.ResponseRange)
			}
		case *pb.ResponseOp_ResponsePut:
			if u.ResponsePut != nil {
				out.Responses[i].Put = ToPutResponse(u.ResponsePut)
			}
		case *pb.ResponseOp_ResponseDeleteRange:
			if u.ResponseDeleteRange != nil {
				out.Responses[i].DeleteRange = ToDeleteRangeResponse(u.ResponseDeleteRange)
			}
		case *pb.ResponseOp_ResponseTxn:
			if u.ResponseTxn != nil {
				out.Responses[i].Txn = ToTxnResponse(u.ResponseTxn)
			}
		}
	}
	return out
}

// kvHeader is the part of a header package kv keeps: the revision.
func kvHeader(h *pb.ResponseHeader) kv.ResponseHeader {
	if h == nil {
		return kv.ResponseHeader{}
	}
	return kv.ResponseHeader{Revision: h.Revision}
}
