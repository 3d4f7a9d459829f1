package server

import (
	"context"
	"errors"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// Server is the member's api.Backend: the client API, protocol-neutral,
// that the gRPC services (server/v3rpc) and the JSON gateway (server/v3http)
// both call. Each method hands work to the member's goroutine (Server.do)
// and waits for the answer; reads of the store happen on the caller's
// goroutine, after a read barrier when they must be linearizable. The
// backend_*.go files hold one service each.
var _ api.Backend = (*Server)(nil)

// Header is a response header (api.Header): cluster, member, revision and
// raft term.
type Header = api.Header

// header builds a response header from the published view.
func (s *Server) header(rev int64) Header {
	v := s.view.Load()
	return Header{ClusterID: v.ClusterID, MemberID: v.ID, Revision: rev, RaftTerm: v.Term}
}

// resultHeader is the header of a result the member produced, with the
// revision of the response it carries.
func resultHeader(r Result, rev int64) Header {
	h := r.Header
	h.Revision = rev
	return h
}

// write proposes a kv request through raft on behalf of the request's
// caller, whose permissions are checked when it is applied, and waits for
// its result.
func (s *Server) write(ctx context.Context, req *kv.Request) (Result, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return Result{}, err
	}
	return s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) { m.WriteAs(req, c, deadline, done) })
}

// call runs a member operation that answers with a Result.
func (s *Server) call(ctx context.Context, op func(m *Member, deadline time.Time, done func(Result))) (Result, error) {
	ch := make(chan Result, 1)
	deadline := time.Now().Add(s.requestTimeout())
	if err := s.do(ctx, func(m *Member) { op(m, deadline, func(r Result) { ch <- r }) }); err != nil {
		return Result{}, contextError(err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return r, toError(r.Err)
		}
		return r, nil
	case <-ctx.Done():
		return Result{}, contextError(ctx.Err())
	}
}

// barrier waits until a read may be served from this member's store
// (immediately for a serializable read).
func (s *Server) barrier(ctx context.Context, linearizable bool) error {
	if !linearizable {
		return nil
	}
	return s.afterBarrier(ctx, func(*Member) {})
}

// afterBarrier passes a read barrier and runs then on the member's
// goroutine at the moment the barrier is passed: what it reads of the
// member includes every entry committed before the call. (Reading the
// published view after the barrier would not: the view is published only
// once the member has finished the step in which the barrier passed.)
func (s *Server) afterBarrier(ctx context.Context, then func(*Member)) error {
	ch := make(chan error, 1)
	deadline := time.Now().Add(s.requestTimeout())
	err := s.do(ctx, func(m *Member) {
		m.ReadBarrier(true, deadline, func(err error) {
			if err == nil {
				then(m)
			}
			ch <- err
		})
	})
	if err != nil {
		return contextError(err)
	}
	select {
	case err := <-ch:
		if err != nil {
			return toError(err)
		}
		return nil
	case <-ctx.Done():
		return contextError(ctx.Err())
	}
}

// onMember runs fn on the member's goroutine and waits for it.
func (s *Server) onMember(ctx context.Context, fn func(*Member)) error {
	done := make(chan struct{})
	if err := s.do(ctx, func(m *Member) { fn(m); close(done) }); err != nil {
		return contextError(err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return contextError(ctx.Err())
	}
}

func contextError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return wire.Errorf(wire.Canceled, "context canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return wire.ErrTimeout
	}
	return toError(err)
}
