package server

import (
	"context"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

func (s *Server) rpcRange(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.RangeRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.barrier(ctx, !req.Serializable); err != nil {
		return nil, err
	}
	resp, err := s.member.Store().Range(toKVRange(&req))
	s.metrics.client.ServedRanges(1)
	if err != nil {
		return nil, toError(err)
	}
	return toWireRange(resp, s.header(resp.Header.Revision)), nil
}

func (s *Server) rpcPut(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.PutRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.write(ctx, &kv.Request{Put: toKVPut(&req)})
	if err != nil {
		return nil, err
	}
	return toWirePut(r.KV.Put, toWireHeader(r.Header, r.KV.Put.Header.Revision)), nil
}

func (s *Server) rpcDeleteRange(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.DeleteRangeRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.write(ctx, &kv.Request{DeleteRange: toKVDelete(&req)})
	if err != nil {
		return nil, err
	}
	return toWireDelete(r.KV.DeleteRange, toWireHeader(r.Header, r.KV.DeleteRange.Header.Revision)), nil
}

// rpcTxn serves a read-only transaction like a read (a read barrier, then
// local evaluation), and any other through the log.
func (s *Server) rpcTxn(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.TxnRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	txn := toKVTxn(&req)
	if isReadOnlyTxn(txn) && validTxn(s, txn) {
		if err := s.barrier(ctx, !isSerializableTxn(txn)); err != nil {
			return nil, err
		}
		resp, err := s.member.Store().ReadTxn(txn)
		if err != nil {
			return nil, toError(err)
		}
		s.metrics.client.ServedRanges(countRanges(txn, resp))
		return toWireTxn(resp, s.header(resp.Header.Revision)), nil
	}
	r, err := s.write(ctx, &kv.Request{Txn: txn})
	if err != nil {
		return nil, err
	}
	return toWireTxn(r.KV.Txn, toWireHeader(r.Header, r.KV.Txn.Header.Revision)), nil
}

// validTxn reports whether the store would accept the txn; an invalid one
// goes the write path, where the member refuses it with etcd's error.
func validTxn(s *Server, txn *kv.TxnRequest) bool {
	return s.member.Store().Validate(&kv.Request{Txn: txn}) == nil
}

func isReadOnlyTxn(t *kv.TxnRequest) bool {
	for _, ops := range [][]kv.RequestOp{t.Success, t.Failure} {
		for _, op := range ops {
			switch {
			case op.Put != nil, op.DeleteRange != nil:
				return false
			case op.Txn != nil && !isReadOnlyTxn(op.Txn):
				return false
			}
		}
	}
	return true
}

// isSerializableTxn: etcd serves a read-only txn serializably only if every
// range in it asked to be.
func isSerializableTxn(t *kv.TxnRequest) bool {
	any := false
	for _, ops := range [][]kv.RequestOp{t.Success, t.Failure} {
		for _, op := range ops {
			switch {
			case op.Range != nil:
				if !op.Range.Serializable {
					return false
				}
				any = true
			case op.Txn != nil:
				if !isSerializableTxn(op.Txn) {
					return false
				}
				any = true
			}
		}
	}
	return any
}

func (s *Server) rpcCompact(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.CompactionRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, err := s.write(ctx, &kv.Request{Compaction: &kv.CompactionRequest{Revision: req.Revision, Physical: req.Physical}})
	if err != nil {
		return nil, err
	}
	return &wire.CompactionResponse{Header: toWireHeader(r.Header, r.KV.Compaction.Header.Revision)}, nil
}
