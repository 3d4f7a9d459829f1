package v3http

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// serveWatch serves /v3/watch: the request body is a stream of create,
// cancel and progress requests; the response a stream of watch responses,
// open until the client goes away.
//
// What etcd's gateway does with a bad request line, this does too: a line
// that is not a watch request ends the reading of requests — nothing after
// it can be trusted to be where it seems — but the stream stays open and
// the watches already created go on (the gateway only logs it); a line
// larger than the gRPC receive limit makes etcd's gRPC server end the whole
// stream with ResourceExhausted, which the gateway reports as the stream's
// last message.
func (h *Handler) serveWatch(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // a watch stream may be idle for hours
	// Requests keep coming after the first answers have gone out: without
	// full duplex, net/http would discard what is left of the body (up to
	// 256 KiB of it) when the first answer is written.
	_ = rc.EnableFullDuplex()
	w.Header()["Content-Type"] = []string{"application/json"}
	w.Header()["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
	out := &watchWriter{w: w, rc: rc}
	stream, err := h.backend.Watch(ctx, func(resp *api.WatchResponse) error {
		return out.result(toWireWatchResponse(resp))
	})
	if err != nil {
		writeError(w, asError(err))
		return
	}
	defer stream.Close()

	dec := wire.NewStreamDecoder(r.Body)
	dec.SetMaxValueBytes(h.limits.maxJSONBytes)
	for {
		var req wire.WatchRequest
		err := dec.Decode(&req)
		if err == nil {
			if lerr := h.limits.check(&req, dec.LastValueBytes()); lerr != nil {
				err = lerr
			}
		}
		var tooLarge *wire.ValueTooLargeError
		switch {
		case err == nil:
		case errors.As(err, &tooLarge) || isResourceExhausted(err):
			out.fail(h.streamLineError(err))
			return
		default:
			// io.EOF (the request side is done) or a malformed line: keep
			// streaming events until the client leaves.
			<-ctx.Done()
			return
		}
		switch {
		case req.CreateRequest != nil:
			stream.Create(toWatchCreate(req.CreateRequest))
		case req.CancelRequest != nil:
			stream.Cancel(req.CancelRequest.WatchID)
		case req.ProgressRequest != nil:
			stream.RequestProgress()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func isResourceExhausted(err error) bool {
	var we *wire.Error
	return errors.As(err, &we) && we.Code == wire.ResourceExhausted
}

// watchWriter writes a watch stream's messages, one at a time.
type watchWriter struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	rc     *http.ResponseController
	buf    []byte
	failed bool
}

func (ww *watchWriter) result(m *wire.WatchResponse) error {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	if ww.failed {
		return io.ErrClosedPipe
	}
	ww.buf = wire.AppendStreamResult(ww.buf[:0], m)
	if _, err := ww.w.Write(ww.buf); err != nil {
		return err
	}
	return ww.rc.Flush()
}

// fail ends the stream with an error message.
func (ww *watchWriter) fail(e *wire.Error) {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	ww.failed = true
	ww.w.Write(wire.AppendStreamError(nil, e))
	ww.rc.Flush()
}

func toWatchCreate(c *wire.WatchCreateRequest) *api.WatchCreateRequest {
	out := &api.WatchCreateRequest{
		WatchRequest: kv.WatchRequest{Key: c.Key, RangeEnd: c.RangeEnd, StartRevision: c.StartRevision, PrevKv: c.PrevKV},
		WatchID:      c.WatchID, ProgressNotify: c.ProgressNotify, Fragment: c.Fragment,
	}
	for _, f := range c.Filters {
		out.Filters = append(out.Filters, kv.WatchFilter(f))
	}
	return out
}

func toWireWatchResponse(r *api.WatchResponse) *wire.WatchResponse {
	return &wire.WatchResponse{
		Header: toWireHeader(r.Header), WatchID: r.WatchID, Created: r.Created, Canceled: r.Canceled,
		CompactRevision: r.CompactRevision, CancelReason: r.CancelReason, Fragment: r.Fragment, Events: toWireEvents(r.Events),
	}
}
