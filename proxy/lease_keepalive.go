package proxy

import (
	"context"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// Lease keep-alive coalescing. Every client that holds a lease renews it,
// each on a keep-alive stream of its own; through the proxy, all of them
// travel on one stream to the cluster (one per set of credentials, since
// the cluster checks who renews), and renewals of the same lease are
// merged: while one is on its way, every client that asks for the same
// lease waits for the next one, which is sent as soon as the first is
// answered. So a renewal a client receives was always made after it asked
// — its lease lives at least TTL from then — and a hundred clients of one
// lease cost the cluster at most two renewals in flight.

type keepAlives struct {
	p  *Proxy
	mu sync.Mutex
	// byToken holds the streams, one per credentials.
	byToken map[string]*renewalStream
}

// renewalStream is one upstream keep-alive stream.
type renewalStream struct {
	token string
	// Guarded by keepAlives.mu:
	inFlight map[int64]*renewal // sent, not yet answered
	pending  map[int64]*renewal // asked while one was in flight
	toSend   []int64
	lastUsed time.Time
	wake     chan struct{}
}

// renewal is one renewal on its way, and everyone waiting for it.
type renewal struct {
	done   chan struct{}
	resp   *kv.LeaseKeepAliveResponse
	header api.Header
	err    error
	tries  int
}

func newKeepAlives(p *Proxy) *keepAlives {
	return &keepAlives{p: p, byToken: map[string]*renewalStream{}}
}

func (ka *keepAlives) streams() int {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	return len(ka.byToken)
}

// renew renews lease id, sharing the renewal with other clients'.
func (ka *keepAlives) renew(ctx context.Context, id int64) (*kv.LeaseKeepAliveResponse, api.Header, error) {
	ka.p.metrics.keepAlivesAsked.Inc()
	token := api.CredentialsFrom(ctx).Token
	ka.mu.Lock()
	s := ka.byToken[token]
	if s == nil {
		s = &renewalStream{token: token, inFlight: map[int64]*renewal{}, pending: map[int64]*renewal{}, wake: make(chan struct{}, 1)}
		ka.byToken[token] = s
		ka.p.background(func(ctx context.Context) { ka.run(ctx, s) })
	}
	s.lastUsed = time.Now()
	var r *renewal
	switch {
	case s.pending[id] != nil:
		r = s.pending[id]
	case s.inFlight[id] != nil:
		r = &renewal{done: make(chan struct{})}
		s.pending[id] = r
	default:
		r = &renewal{done: make(chan struct{})}
		s.inFlight[id] = r
		s.send(id)
	}
	ka.mu.Unlock()
	select {
	case <-r.done:
		return r.resp, r.header, r.err
	case <-ctx.Done():
		return nil, api.Header{}, ctx.Err()
	}
}

// send queues id for the stream's goroutine; the caller holds ka.mu.
func (s *renewalStream) send(id int64) {
	s.toSend = append(s.toSend, id)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// streamIdle is how long a stream stays open with nothing to renew.
const streamIdle = time.Minute

// run owns one upstream stream: it sends the renewals, hands out the
// answers, and opens the stream again (sending again what was in flight:
// a renewal is safe to repeat) when it breaks.
func (ka *keepAlives) run(ctx context.Context, s *renewalStream) {
	wait := retryFirstWait
	for {
		err := ka.session(ctx, s)
		if ctx.Err() != nil {
			ka.failAll(s, ctx.Err())
			return
		}
		if err == nil {
			return // idle, and closed
		}
		err = fromGRPC(err)
		if isAuthFailure(err) {
			ka.failAll(s, err)
		} else {
			ka.failTired(s, err)
		}
		if ka.closeIfIdle(s) {
			return
		}
		if !sleep(ctx, wait) {
			ka.failAll(s, ctx.Err())
			return
		}
		wait = min(2*wait, retryMaxWait)
	}
}

// session runs one stream until it breaks (an error) or the stream has been
// idle long enough to close (nil).
func (ka *keepAlives) session(ctx context.Context, s *renewalStream) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := ka.p.up.lease.LeaseKeepAlive(outgoing(api.WithCredentials(sctx, api.Credentials{Token: s.token})))
	if err != nil {
		return err
	}
	// What was in flight on a stream that broke goes again.
	ka.mu.Lock()
	s.toSend = s.toSend[:0]
	for id := range s.inFlight {
		s.send(id)
	}
	ka.mu.Unlock()

	answers := make(chan *pb.LeaseKeepAliveResponse)
	broke := make(chan error, 1)
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				broke <- err
				return
			}
			select {
			case answers <- resp:
			case <-sctx.Done():
				return
			}
		}
	}()
	idle := time.NewTicker(streamIdle / 4)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-broke:
			return err
		case <-s.wake:
			ka.mu.Lock()
			ids := s.toSend
			s.toSend = nil
			for _, id := range ids {
				if r := s.inFlight[id]; r != nil {
					r.tries++
				}
			}
			ka.mu.Unlock()
			for _, id := range ids {
				if err := stream.Send(&pb.LeaseKeepAliveRequest{ID: id}); err != nil {
					return err
				}
				ka.p.metrics.keepAlivesSent.Inc()
			}
		case resp := <-answers:
			ka.answered(s, resp)
		case <-idle.C:
			if ka.closeIfIdle(s) {
				return nil
			}
		}
	}
}

// answered hands a renewal's answer to everyone waiting for it, and sends
// the renewal that those who asked meanwhile wait for.
func (ka *keepAlives) answered(s *renewalStream, resp *pb.LeaseKeepAliveResponse) {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	r := s.inFlight[resp.ID]
	if r == nil {
		return
	}
	delete(s.inFlight, resp.ID)
	h := pbconv.FromHeader(resp.Header)
	r.resp, r.header = &kv.LeaseKeepAliveResponse{Header: kv.ResponseHeader{Revision: h.Revision}, ID: resp.ID, TTL: resp.TTL}, h
	close(r.done)
	if next := s.pending[resp.ID]; next != nil {
		delete(s.pending, resp.ID)
		s.inFlight[resp.ID] = next
		s.send(resp.ID)
	}
}

// failTired fails the renewals that have been tried maxReadTries times, and
// the ones waiting behind them.
func (ka *keepAlives) failTired(s *renewalStream, err error) {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	for id, r := range s.inFlight {
		if r.tries < maxReadTries {
			continue
		}
		delete(s.inFlight, id)
		r.err = err
		close(r.done)
		if next := s.pending[id]; next != nil {
			delete(s.pending, id)
			s.inFlight[id] = next
		}
	}
}

// failAll fails every renewal of s.
func (ka *keepAlives) failAll(s *renewalStream, err error) {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	for _, m := range []map[int64]*renewal{s.inFlight, s.pending} {
		for id, r := range m {
			delete(m, id)
			r.err = err
			close(r.done)
		}
	}
}

// closeIfIdle forgets s if it has had nothing to do for streamIdle.
func (ka *keepAlives) closeIfIdle(s *renewalStream) bool {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	if len(s.inFlight) > 0 || len(s.pending) > 0 || time.Since(s.lastUsed) < streamIdle {
		return false
	}
	delete(ka.byToken, s.token)
	return true
}
