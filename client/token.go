package client

import (
	"context"
	"errors"
	"strings"

	"github.com/raftkv/raftkv/client/wire"
)

// How a client proves who it is, as etcd's clientv3 does.
//
// With Config.Username and Password, the client trades them for a token
// (Authenticate) before its first request, and sends the token with every
// request, streams included, in the Authorization header. A token can die:
// a member forgets it after its TTL (five minutes unused, with etcd's simple
// tokens), when it restarts, when the user's password changes or the user
// is deleted; and each change to users, roles or permissions bumps the
// auth revision, after which a request whose permissions were read at an
// older revision is refused. The server then answers "invalid auth token"
// or "revision of auth store is old" — or "user name is empty" if the token
// never reached it. On these three the client authenticates again and
// repeats the request, once.
//
// Repeating is safe even for a write: the first and the last are answered
// before anything is proposed, and the old revision is found when the write
// is applied, which refuses it whole, with no effect on the store.
//
// A cluster without auth refuses Authenticate ("authentication is not
// enabled"): the client then sends no token, as clientv3 does, so the same
// configuration works whether auth is on or off.

// tokenRefused reports an answer that a new token may fix.
func tokenRefused(err error) bool {
	return errors.Is(err, wire.ErrInvalidAuthToken) || errors.Is(err, wire.ErrAuthOldRevision) || errors.Is(err, wire.ErrUserEmpty)
}

// hasCredentials reports whether the client authenticates itself. As in
// clientv3, an empty password counts as no credentials (etcdctl --user
// alice: sends no token), and a fixed Config.Token is never replaced.
func (c *Client) hasCredentials() bool {
	return c.cfg.Token == "" && c.cfg.Username != "" && c.cfg.Password != ""
}

// currentToken returns the token to send ("" for none) and its generation,
// authenticating first if the client has credentials and no token yet.
func (c *Client) currentToken(ctx context.Context) (string, uint64, error) {
	if c.cfg.Token != "" {
		return c.cfg.Token, 0, nil
	}
	if !c.hasCredentials() {
		return "", 0, nil
	}
	c.mu.Lock()
	token, gen := c.token, c.tokenGen
	c.mu.Unlock()
	if gen > 0 {
		return token, gen, nil
	}
	return c.renewToken(ctx, 0)
}

// renewToken authenticates again, unless another request already did since
// the token of generation stale was handed out: requests that find their
// token dead at the same moment authenticate once between them. Only one
// authentication runs at a time; a request waiting for it gives up with its
// context.
func (c *Client) renewToken(ctx context.Context, stale uint64) (string, uint64, error) {
	select {
	case c.authenticating <- struct{}{}:
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	defer func() { <-c.authenticating }()
	c.mu.Lock()
	token, gen := c.token, c.tokenGen
	c.mu.Unlock()
	if gen != stale {
		return token, gen, nil
	}
	resp, err := c.Authenticate(ctx, c.cfg.Username, c.cfg.Password)
	switch {
	case errors.Is(err, wire.ErrAuthNotEnabled):
		token = ""
	case err != nil:
		return "", 0, err
	default:
		token = resp.Token
	}
	c.mu.Lock()
	c.token = token
	c.tokenGen++
	gen = c.tokenGen
	c.mu.Unlock()
	return token, gen, nil
}

// withToken runs attempt with the current token; if the answer says that a
// new token may help, it authenticates again and runs attempt once more.
func (c *Client) withToken(ctx context.Context, attempt func(token string) error) error {
	token, gen, err := c.currentToken(ctx)
	if err != nil {
		return err
	}
	err = attempt(token)
	if err == nil || !c.hasCredentials() || !tokenRefused(err) {
		return err
	}
	if token, _, err = c.renewToken(ctx, gen); err != nil {
		return err
	}
	return attempt(token)
}

// Login authenticates now with Config's Username and Password, instead of
// at the first request, so that bad credentials are reported as such
// (etcdctl exits 2 on them). Without credentials it does nothing; on a
// cluster without auth it succeeds, and the client sends no token.
func (c *Client) Login(ctx context.Context) error {
	if !c.hasCredentials() {
		return nil
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	c.mu.Lock()
	gen := c.tokenGen
	c.mu.Unlock()
	_, _, err := c.renewToken(ctx, gen)
	return err
}

// canceledByToken reports a watch that the server canceled at its creation
// because of its token: etcd sends the gRPC error as the cancel reason,
// "rpc error: code = Unauthenticated desc = etcdserver: invalid auth token".
func canceledByToken(reason string) bool {
	_, desc, ok := strings.Cut(reason, "desc = ")
	if !ok {
		desc = reason
	}
	for _, e := range []*wire.Error{wire.ErrInvalidAuthToken, wire.ErrAuthOldRevision, wire.ErrUserEmpty} {
		if desc == e.Message {
			return true
		}
	}
	return false
}
