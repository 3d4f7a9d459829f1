package v3http

import (
	"context"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

func (h *Handler) rpcRange(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.RangeRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	resp, hdr, err := h.backend.Range(ctx, toKVRange(&req))
	if err != nil {
		return nil, asError(err)
	}
	return toWireRange(resp, toWireHeader(hdr)), nil
}

func (h *Handler) rpcPut(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.PutRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	resp, hdr, err := h.backend.Put(ctx, toKVPut(&req))
	if err != nil {
		return nil, asError(err)
	}
	return toWirePut(resp, toWireHeader(hdr)), nil
}

func (h *Handler) rpcDeleteRange(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.DeleteRangeRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	resp, hdr, err := h.backend.DeleteRange(ctx, toKVDelete(&req))
	if err != nil {
		return nil, asError(err)
	}
	return toWireDelete(resp, toWireHeader(hdr)), nil
}

func (h *Handler) rpcTxn(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.TxnRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	resp, hdr, err := h.backend.Txn(ctx, toKVTxn(&req))
	if err != nil {
		return nil, asError(err)
	}
	return toWireTxn(resp, toWireHeader(hdr)), nil
}

func (h *Handler) rpcCompact(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.CompactionRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	_, hdr, err := h.backend.Compact(ctx, &kv.CompactionRequest{Revision: req.Revision, Physical: req.Physical})
	if err != nil {
		return nil, asError(err)
	}
	return &wire.CompactionResponse{Header: toWireHeader(hdr)}, nil
}

// decodeRequest decodes a unary request and applies the gRPC size limit to
// it, as etcd's gateway meets it on the way to its gRPC server.
func (h *Handler) decodeRequest(body []byte, req wire.Message) *wire.Error {
	if err := decode(body, req); err != nil {
		return err
	}
	return h.limits.check(req, len(body))
}
