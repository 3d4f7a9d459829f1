package client

import (
	"context"
	"errors"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

// WatchResponse is one batch of events, or a notification (Created,
// Canceled, progress). Err is set on the last response of a watch that ended
// for a reason other than its context: its start revision was compacted
// (ErrCompacted; CompactRevision says from where history is available) or
// the server canceled it.
type WatchResponse struct {
	wire.WatchResponse
	Err error
}

// IsProgressNotify reports a response that only says how far the watch has
// seen: no events, not a creation or a cancelation.
func (r *WatchResponse) IsProgressNotify() bool {
	return len(r.Events) == 0 && !r.Created && !r.Canceled && r.Err == nil
}

// WatchChan delivers a watch's responses; it is closed when the watch ends.
type WatchChan <-chan WatchResponse

// Watch watches key (or a range, with WithPrefix, WithFromKey, WithRange)
// for changes, from revision WithRev (default: changes after now).
//
// The watch survives the loss of its connection and of the member behind
// it: it reconnects, to the next endpoint, asking for the events from the
// revision after the last one it delivered. Revisions make this exact: every
// change has one, history keeps them, so the new stream resumes exactly
// where the old one stopped, and nothing is missed or delivered twice (an
// event at or below the last delivered revision is dropped). Only a
// compaction of that history ends the watch (ErrCompacted).
//
// Cancel ctx to stop watching; the channel is then closed.
func (c *Client) Watch(ctx context.Context, key string, opts ...OpOption) WatchChan {
	op := OpGet(key, opts...)
	w := &watcher{c: c, ctx: ctx, op: op, out: make(chan WatchResponse), nextRev: op.rev, idx: c.first()}
	go w.run()
	return w.out
}

type watcher struct {
	c   *Client
	ctx context.Context
	op  Op
	out chan WatchResponse

	// nextRev is the first revision not yet delivered: the start revision
	// of the next stream. 0 until known (a watch "from now" learns it from
	// the created response: the header's revision + 1).
	nextRev     int64
	createdSent bool
	idx         int // endpoint of the current (or next) stream
	// renewed: the last stream was refused for its token and the token has
	// been renewed since; a second refusal ends the watch.
	renewed bool
}

func (w *watcher) run() {
	defer close(w.out)
	pause := 50 * time.Millisecond
	for {
		progressed, final := w.stream()
		if w.ctx.Err() != nil {
			return
		}
		if final != nil {
			w.send(*final)
			return
		}
		// The stream broke: go to the next endpoint. Pause only when a
		// whole round of endpoints has failed without progress, so that
		// a failover costs no more than a reconnection.
		w.idx = (w.idx + 1) % len(w.c.endpoints)
		if progressed {
			pause = 50 * time.Millisecond
			continue
		}
		if w.idx == 0 || len(w.c.endpoints) == 1 {
			if wait(w.ctx, pause) != nil {
				return
			}
			pause = min(2*pause, 2*time.Second)
		}
	}
}

// stream runs one watch stream until it breaks. progressed says that it got
// as far as the created response; final is the last response to deliver
// when the watch must end.
func (w *watcher) stream() (progressed bool, final *WatchResponse) {
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	create := &wire.WatchCreateRequest{
		Key: w.op.key, RangeEnd: w.op.end, StartRevision: w.nextRev,
		ProgressNotify: w.op.progressNotify, PrevKV: w.op.prevKV,
	}
	if w.op.filterPut {
		create.Filters = append(create.Filters, wire.FilterNoPut)
	}
	if w.op.filterDelete {
		create.Filters = append(create.Filters, wire.FilterNoDelete)
	}
	body := append((&wire.WatchRequest{CreateRequest: create}).AppendJSON(nil), '\n')
	ep := w.c.endpoints[w.idx]
	token, gen, err := w.c.currentToken(ctx)
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && !retryable(err, safeToRepeat) {
			return false, &WatchResponse{Err: err} // refused for good (a wrong password)
		}
		return false, nil
	}
	res, err := w.c.open(ctx, ep, token, "POST", "/v3/watch", body)
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && !retryable(err, safeToRepeat) {
			return false, &WatchResponse{Err: err} // refused for good (a bad request)
		}
		return false, nil
	}
	defer res.Body.Close()
	dec := wire.NewStreamDecoder(res.Body)
	for {
		var m wire.WatchResponse
		if err := dec.DecodeResult(&m); err != nil {
			var we *wire.Error
			if errors.As(err, &we) && !retryable(we, safeToRepeat) && we.Code != wire.InvalidArgument {
				return progressed, &WatchResponse{Err: err}
			}
			return progressed, nil
		}
		if m.Header == nil {
			m.Header = new(wire.ResponseHeader)
		}
		switch {
		case m.Canceled && m.Created && canceledByToken(m.CancelReason) && w.c.hasCredentials() && !w.renewed:
			// etcd refuses a watch for its token not with an HTTP error
			// but with a created-and-canceled message: renew the token
			// and open the stream again, once.
			w.renewed = true
			if _, _, err := w.c.renewToken(ctx, gen); err != nil {
				var we *wire.Error
				if errors.As(err, &we) && !retryable(err, safeToRepeat) {
					return false, &WatchResponse{Err: err} // a wrong password now
				}
				w.renewed = false // nobody answered: try again with the next stream
			}
			return false, nil
		case m.Canceled:
			// Before Created: etcd refuses a watch (a permission, a
			// token) with one message that is both, and keeps the
			// stream open.
			resp := WatchResponse{WatchResponse: m}
			switch {
			case m.Created:
				// Refused at creation: clientv3 hands its caller not
				// this message but an empty canceled response whose
				// error is the reason; so does this client, and
				// etcdctl -w json prints what clientv3 hands it.
				resp = WatchResponse{WatchResponse: wire.WatchResponse{Header: &wire.ResponseHeader{}, Canceled: true}, Err: errors.New(m.CancelReason)}
			case m.CompactRevision != 0:
				resp.Err = wire.ErrCompacted
			case m.CancelReason != "":
				resp.Err = errors.New(m.CancelReason)
			default:
				resp.Err = errors.New("raftkv client: watch canceled by the server")
			}
			return progressed, &resp
		case m.Created:
			progressed = true
			w.renewed = false
			if w.nextRev == 0 {
				w.nextRev = m.Header.Revision + 1
			}
			if w.op.createdNotify && !w.createdSent {
				w.createdSent = true
				if !w.send(WatchResponse{WatchResponse: m}) {
					return true, nil
				}
			}
		case len(m.Events) == 0:
			// A progress notification: everything up to the header's
			// revision has been sent.
			if m.Header.Revision >= w.nextRev {
				w.nextRev = m.Header.Revision + 1
			}
			if w.op.progressNotify && !w.send(WatchResponse{WatchResponse: m}) {
				return progressed, nil
			}
		default:
			// Drop what was delivered before a reconnection.
			events := m.Events[:0]
			for _, ev := range m.Events {
				if ev.Kv != nil && ev.Kv.ModRevision >= w.nextRev {
					events = append(events, ev)
				}
			}
			if len(events) == 0 {
				continue
			}
			m.Events = events
			w.nextRev = events[len(events)-1].Kv.ModRevision + 1
			if !w.send(WatchResponse{WatchResponse: m}) {
				return progressed, nil
			}
		}
	}
}

// send delivers a response unless the watch is being canceled.
func (w *watcher) send(r WatchResponse) bool {
	select {
	case w.out <- r:
		return true
	case <-w.ctx.Done():
		return false
	}
}
