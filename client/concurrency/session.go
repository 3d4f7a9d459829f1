package concurrency

import (
	"context"
	"time"

	"github.com/raftkv/raftkv/client"
)

// Session is a lease kept alive for as long as the program holding it is:
// the keys a lock or an election writes are attached to it, so that if the
// program dies (stops renewing), the lease expires and the keys go with it,
// releasing the lock for the next waiter.
type Session struct {
	client *client.Client
	opts   sessionOptions
	id     int64

	cancel context.CancelFunc
	donec  chan struct{}
}

type sessionOptions struct {
	ttl     int64
	leaseID int64
	ctx     context.Context
}

// SessionOption configures a Session.
type SessionOption func(*sessionOptions)

// WithTTL sets the session's lease TTL in seconds (default 60): how long
// the cluster waits, after the program stops renewing, before it releases
// what the session held.
func WithTTL(ttl int64) SessionOption {
	return func(o *sessionOptions) {
		if ttl > 0 {
			o.ttl = ttl
		}
	}
}

// WithLease makes the session use an existing lease instead of granting one.
func WithLease(id int64) SessionOption { return func(o *sessionOptions) { o.leaseID = id } }

// WithContext bounds the session's life: when ctx is done, the session stops
// renewing its lease (it is not revoked: use Close for that).
func WithContext(ctx context.Context) SessionOption { return func(o *sessionOptions) { o.ctx = ctx } }

// NewSession grants a lease (or adopts one) and keeps it alive.
func NewSession(c *client.Client, opts ...SessionOption) (*Session, error) {
	o := sessionOptions{ttl: 60, ctx: context.Background()}
	for _, opt := range opts {
		opt(&o)
	}
	id := o.leaseID
	if id == 0 {
		resp, err := c.Grant(o.ctx, o.ttl)
		if err != nil {
			return nil, err
		}
		id = resp.ID
	}
	ctx, cancel := context.WithCancel(o.ctx)
	keepAlive, err := c.KeepAlive(ctx, id)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &Session{client: c, opts: o, id: id, cancel: cancel, donec: make(chan struct{})}
	go func() {
		defer close(s.donec)
		for range keepAlive {
		}
	}()
	return s, nil
}

// Client is the client the session uses.
func (s *Session) Client() *client.Client { return s.client }

// Lease is the session's lease ID.
func (s *Session) Lease() int64 { return s.id }

// Done is closed when the session's lease can no longer be kept alive (it
// expired or was revoked, the context ended, or Close or Orphan was called).
// Whatever the session held must then be presumed lost.
func (s *Session) Done() <-chan struct{} { return s.donec }

// Orphan stops renewing the lease without revoking it: the keys stay until
// the lease expires.
func (s *Session) Orphan() {
	s.cancel()
	<-s.donec
}

// Close stops renewing the lease and revokes it, deleting its keys at once.
func (s *Session) Close() error {
	s.Orphan()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.opts.ctx), time.Duration(s.opts.ttl)*time.Second)
	defer cancel()
	_, err := s.client.Revoke(ctx, s.id)
	return err
}
