package client

import (
	"context"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

// Grant creates a lease of ttl seconds (the server may raise it to its
// minimum). Keys put WithLease(resp.ID) are deleted when the lease ends.
func (c *Client) Grant(ctx context.Context, ttl int64) (*LeaseGrantResponse, error) {
	resp := new(LeaseGrantResponse)
	if err := c.call(ctx, "/v3/lease/grant", &wire.LeaseGrantRequest{TTL: ttl}, resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Revoke ends a lease now, deleting its keys.
func (c *Client) Revoke(ctx context.Context, id int64) (*LeaseRevokeResponse, error) {
	resp := new(LeaseRevokeResponse)
	if err := c.call(ctx, "/v3/lease/revoke", &wire.LeaseRevokeRequest{ID: id}, resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// TimeToLive reports the lease's remaining TTL (-1 once it has ended) and,
// with keys, the keys attached to it.
func (c *Client) TimeToLive(ctx context.Context, id int64, keys bool) (*LeaseTimeToLiveResponse, error) {
	resp := new(LeaseTimeToLiveResponse)
	if err := c.call(ctx, "/v3/lease/timetolive", &wire.LeaseTimeToLiveRequest{ID: id, Keys: keys}, resp, safeToRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Leases lists the live leases.
func (c *Client) Leases(ctx context.Context) (*LeaseLeasesResponse, error) {
	resp := new(LeaseLeasesResponse)
	if err := c.call(ctx, "/v3/lease/leases", &wire.LeaseLeasesRequest{}, resp, safeToRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// KeepAliveOnce renews a lease once. A lease that has ended gives
// ErrLeaseNotFound, as with etcd's client (the server itself answers such a
// keepalive with a TTL of 0, not with an error).
func (c *Client) KeepAliveOnce(ctx context.Context, id int64) (*LeaseKeepAliveResponse, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	body := (&wire.LeaseKeepAliveRequest{ID: id}).AppendJSON(nil)
	resp := new(LeaseKeepAliveResponse)
	// A keepalive is a one-message stream; renewing twice is harmless, so
	// it fails over like a read.
	err := c.withToken(ctx, func(token string) error {
		return c.eachEndpoint(ctx, safeToRepeat, func(ep string) error {
			*resp = LeaseKeepAliveResponse{}
			return c.post(ctx, ep, token, "/v3/lease/keepalive", body, resp, true)
		})
	})
	if err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	if resp.TTL <= 0 {
		return nil, wire.ErrLeaseNotFound
	}
	return resp, nil
}

// KeepAlive keeps a lease alive until ctx is done, renewing it every third
// of its TTL, and sends each renewal's answer on the returned channel (a
// slow reader misses some: only the latest matters). The channel is closed
// when ctx is done, when the lease has ended (revoked, or expired), or when
// no renewal succeeded for a whole TTL, after which the lease must be
// presumed gone. The first renewal happens before KeepAlive returns, so a
// lease that does not exist is an error here.
func (c *Client) KeepAlive(ctx context.Context, id int64) (<-chan *LeaseKeepAliveResponse, error) {
	first, err := c.KeepAliveOnce(ctx, id)
	if err != nil {
		return nil, err
	}
	ch := make(chan *LeaseKeepAliveResponse, 16)
	ch <- first
	go c.keepAliveLoop(ctx, id, first.TTL, ch)
	return ch, nil
}

func (c *Client) keepAliveLoop(ctx context.Context, id, ttl int64, ch chan<- *LeaseKeepAliveResponse) {
	defer close(ch)
	lastOK := time.Now()
	every := time.Duration(ttl) * time.Second / 3
	for {
		next := every
		if time.Since(lastOK) >= every {
			next = 200 * time.Millisecond // a renewal failed: try again soon
		}
		if wait(ctx, max(next, 100*time.Millisecond)) != nil {
			return
		}
		// Each renewal gets at most what is left of the lease: past that,
		// the lease is gone whatever the answer.
		deadline := lastOK.Add(time.Duration(ttl) * time.Second)
		rctx, cancel := context.WithDeadline(ctx, deadline)
		resp, err := c.KeepAliveOnce(rctx, id)
		cancel()
		switch {
		case err == nil:
			lastOK, ttl = time.Now(), resp.TTL
			every = time.Duration(ttl) * time.Second / 3
			select {
			case ch <- resp:
			default: // the reader is behind; it will see the next one
			}
		case ctx.Err() != nil, wire.ErrLeaseNotFound.Is(err), !time.Now().Before(deadline):
			return
		}
	}
}
