package server

import (
	"context"

	"github.com/raftkv/raftkv/auth"
	"github.com/raftkv/raftkv/kv"
)

// The KV service. Writes go through the log; reads are served from this
// member's store, after a read barrier unless they are serializable.

func (s *Server) Range(ctx context.Context, req *kv.RangeRequest) (*kv.RangeResponse, Header, error) {
	if !req.Serializable {
		if err := s.refuseOnLearner(); err != nil {
			return nil, Header{}, err
		}
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	if err := s.barrier(ctx, !req.Serializable); err != nil {
		return nil, Header{}, err
	}
	if err := s.member.Auth().CheckKeys(c, req.Key, req.RangeEnd, auth.Read); err != nil {
		return nil, Header{}, toError(err)
	}
	resp, err := s.member.Store().Range(req)
	s.metrics.client.ServedRanges(1)
	if err != nil {
		return nil, Header{}, toError(err)
	}
	return resp, s.header(resp.Header.Revision), nil
}

func (s *Server) Put(ctx context.Context, req *kv.PutRequest) (*kv.PutResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	r, err := s.write(ctx, &kv.Request{Put: req})
	if err != nil {
		return nil, Header{}, err
	}
	return r.KV.Put, resultHeader(r, r.KV.Put.Header.Revision), nil
}

func (s *Server) DeleteRange(ctx context.Context, req *kv.DeleteRangeRequest) (*kv.DeleteRangeResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	r, err := s.write(ctx, &kv.Request{DeleteRange: req})
	if err != nil {
		return nil, Header{}, err
	}
	return r.KV.DeleteRange, resultHeader(r, r.KV.DeleteRange.Header.Revision), nil
}

// Txn serves a read-only transaction like a read (a read barrier, then
// local evaluation), and any other through the log.
func (s *Server) Txn(ctx context.Context, req *kv.TxnRequest) (*kv.TxnResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if isReadOnlyTxn(req) && s.member.Store().Validate(&kv.Request{Txn: req}) == nil {
		c, err := s.caller(ctx)
		if err != nil {
			return nil, Header{}, err
		}
		if err := s.barrier(ctx, !isSerializableTxn(req)); err != nil {
			return nil, Header{}, err
		}
		if err := s.member.Auth().CheckTxn(c, req, s.member.leaseKeys); err != nil {
			return nil, Header{}, toError(err)
		}
		resp, err := s.member.Store().ReadTxn(req)
		if err != nil {
			return nil, Header{}, toError(err)
		}
		s.metrics.client.ServedRanges(countRanges(req, resp))
		return resp, s.header(resp.Header.Revision), nil
	}
	// An invalid read-only txn goes this way too, so that the member
	// refuses it with etcd's error.
	r, err := s.write(ctx, &kv.Request{Txn: req})
	if err != nil {
		return nil, Header{}, err
	}
	return r.KV.Txn, resultHeader(r, r.KV.Txn.Header.Revision), nil
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

func (s *Server) Compact(ctx context.Context, req *kv.CompactionRequest) (*kv.CompactionResponse, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	r, err := s.write(ctx, &kv.Request{Compaction: req})
	if err != nil {
		return nil, Header{}, err
	}
	return r.KV.Compaction, resultHeader(r, r.KV.Compaction.Header.Revision), nil
}
