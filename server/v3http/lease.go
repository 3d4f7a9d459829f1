package v3http

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

func (h *Handler) rpcLeaseGrant(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.LeaseGrantRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	g, hdr, err := h.backend.LeaseGrant(ctx, &kv.LeaseGrantRequest{TTL: req.TTL, ID: req.ID})
	if err != nil {
		return nil, asError(err)
	}
	return &wire.LeaseGrantResponse{Header: toWireHeader(hdr), ID: g.ID, TTL: g.TTL}, nil
}

func (h *Handler) rpcLeaseRevoke(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.LeaseIDRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	hdr, err := h.backend.LeaseRevoke(ctx, req.ID)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.HeaderOnly{Header: toWireHeader(hdr)}, nil
}

func (h *Handler) rpcLeaseTimeToLive(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.LeaseTimeToLiveRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	r, hdr, err := h.backend.LeaseTimeToLive(ctx, &kv.LeaseTimeToLiveRequest{ID: req.ID, Keys: req.Keys})
	if err != nil {
		return nil, asError(err)
	}
	return &wire.LeaseTimeToLiveResponse{Header: toWireHeader(hdr), ID: r.ID, TTL: r.TTL, GrantedTTL: r.GrantedTTL, Keys: r.Keys}, nil
}

func (h *Handler) rpcLeaseLeases(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.Empty
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	r, hdr, err := h.backend.LeaseLeases(ctx)
	if err != nil {
		return nil, asError(err)
	}
	out := &wire.LeaseLeasesResponse{Header: toWireHeader(hdr)}
	for _, l := range r.Leases {
		out.Leases = append(out.Leases, wire.LeaseStatus{ID: l.ID})
	}
	return out, nil
}

// serveKeepAlive answers each keep-alive request in the body with one
// {"result":...} line, as etcd's gateway does, and ends with the body. As
// there, a line that is not a keep-alive request ends the stream quietly
// (etcd's gateway stops reading and closes its side), and a line larger
// than the gRPC limit ends it with gRPC's error.
func (h *Handler) serveKeepAlive(w http.ResponseWriter, r *http.Request) {
	dec := wire.NewStreamDecoder(r.Body)
	dec.SetMaxValueBytes(h.limits.maxJSONBytes)
	rc := http.NewResponseController(w)
	// Renewals keep coming after the first answers have gone out (see
	// serveWatch).
	_ = rc.EnableFullDuplex()
	started := false
	fail := func(e *wire.Error) {
		if !started {
			writeError(w, e)
		} else {
			w.Write(wire.AppendStreamError(nil, e))
		}
	}
	for {
		var req wire.LeaseKeepAliveRequest
		err := dec.Decode(&req)
		if err == io.EOF {
			return
		}
		var tooLarge *wire.ValueTooLargeError
		if err == nil {
			if lerr := h.limits.check(&req, dec.LastValueBytes()); lerr != nil {
				err = lerr
			}
		}
		switch {
		case errors.As(err, &tooLarge) || isResourceExhausted(err):
			fail(h.streamLineError(err))
			return
		case err != nil:
			return
		}
		resp, hdr, err := h.backend.LeaseKeepAlive(r.Context(), req.ID)
		if err != nil {
			fail(asError(err))
			return
		}
		out := &wire.LeaseKeepAliveResponse{Header: toWireHeader(hdr), ID: resp.ID, TTL: resp.TTL}
		if !started {
			w.Header()["Content-Type"] = []string{"application/json"}
			w.Header()["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
			started = true
		}
		w.Write(wire.AppendStreamResult(nil, out))
		rc.Flush()
	}
}

// streamLineError is the error for a stream line that could not be read: a
// line larger than the gRPC limit is refused as gRPC refuses it.
func (h *Handler) streamLineError(err error) *wire.Error {
	var tooLarge *wire.ValueTooLargeError
	if errors.As(err, &tooLarge) {
		return h.limits.tooLargeForGRPC(unreadSize(tooLarge.Size))
	}
	return decodeStreamError(err)
}
