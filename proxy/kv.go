package proxy

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// The KV service. Reads may be answered from the cache (cache.go) when
// they are serializable; everything else is the cluster's to answer, and
// every write that passes through removes from the cache what it changes.

func (p *Proxy) Range(ctx context.Context, req *kv.RangeRequest) (*kv.RangeResponse, api.Header, error) {
	useCache := cacheable(req, api.CredentialsFrom(ctx))
	if useCache && req.Serializable {
		if resp, h, ok := p.cache.get(req); ok {
			return resp, h, nil
		}
	}
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	up := pbconv.FromRangeRequest(p.ns.rangeRequest(req))
	var out *pb.RangeResponse
	err := repeat(ctx, func() (err error) {
		out, err = p.up.kv.Range(outgoing(ctx), up)
		return fromGRPC(err)
	})
	if err != nil {
		return nil, api.Header{}, err
	}
	resp, h := pbconv.ToRangeResponse(out), pbconv.FromHeader(out.Header)
	p.ns.rangeResponse(resp)
	if useCache {
		// A linearizable answer is a fine serializable one.
		p.cache.add(req, resp, h)
	}
	return resp, h, nil
}

func (p *Proxy) Put(ctx context.Context, req *kv.PutRequest) (*kv.PutResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.kv.Put(outgoing(ctx), pbconv.FromPutRequest(p.ns.putRequest(req)))
	// Removed whatever the answer: a write whose answer was lost may have
	// been applied.
	p.cache.changed(req.Key, revisionOf(out.GetHeader()))
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	resp := pbconv.ToPutResponse(out)
	p.ns.keyValue(resp.PrevKv)
	return resp, pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) DeleteRange(ctx context.Context, req *kv.DeleteRangeRequest) (*kv.DeleteRangeResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.kv.DeleteRange(outgoing(ctx), pbconv.FromDeleteRangeRequest(p.ns.deleteRequest(req)))
	p.cache.changedRange(req.Key, req.RangeEnd, revisionOf(out.GetHeader()))
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	resp := pbconv.ToDeleteRangeResponse(out)
	p.ns.keyValues(resp.PrevKvs)
	return resp, pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) Txn(ctx context.Context, req *kv.TxnRequest) (*kv.TxnResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.kv.Txn(outgoing(ctx), pbconv.FromTxnRequest(p.ns.txnRequest(req)))
	p.txnChanged(req, revisionOf(out.GetHeader()))
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	resp := pbconv.ToTxnResponse(out)
	p.ns.txnResponse(resp)
	return resp, pbconv.FromHeader(out.Header), nil
}

// txnChanged removes from the cache what a transaction may have written —
// either branch's, whichever ran — and what it compared: a compare that
// failed on a key the client read from the cache says the client's view was
// out of date, and it will read again.
func (p *Proxy) txnChanged(req *kv.TxnRequest, rev int64) {
	for _, c := range req.Compare {
		p.cache.changedRange(c.Key, c.RangeEnd, rev)
	}
	for _, ops := range [][]kv.RequestOp{req.Success, req.Failure} {
		for _, op := range ops {
			switch {
			case op.Put != nil:
				p.cache.changed(op.Put.Key, rev)
			case op.DeleteRange != nil:
				p.cache.changedRange(op.DeleteRange.Key, op.DeleteRange.RangeEnd, rev)
			case op.Txn != nil:
				p.txnChanged(op.Txn, rev)
			}
		}
	}
}

func (p *Proxy) Compact(ctx context.Context, req *kv.CompactionRequest) (*kv.CompactionResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.kv.Compact(outgoing(ctx), &pb.CompactionRequest{Revision: req.Revision, Physical: req.Physical})
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	h := pbconv.FromHeader(out.Header)
	return &kv.CompactionResponse{Header: kv.ResponseHeader{Revision: h.Revision}}, h, nil
}

// revisionOf is a write's revision, 0 if it has no answer.
func revisionOf(h *pb.ResponseHeader) int64 { return h.GetRevision() }

// checkRead asks the cluster whether the caller may read [key, end) (in
// the cluster's keys), as etcd's proxy does before a watch joins another
// client's: a serializable count of at most one key.
func (p *Proxy) checkRead(ctx context.Context, key, end []byte) error {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	return repeat(ctx, func() error {
		_, err := p.up.kv.Range(outgoing(ctx), &pb.RangeRequest{Key: key, RangeEnd: end, Serializable: true, CountOnly: true, Limit: 1})
		return fromGRPC(err)
	})
}
