package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Gateway forwards connections from a listener to a cluster's members.
type Gateway struct {
	// Endpoints are the members' client addresses (host:port).
	Endpoints []string
	// RetryDelay is how long a member that refused a connection is passed
	// over before it is tried again (etcd's --retry-delay, default 1m).
	RetryDelay time.Duration
	// DialTimeout bounds a connection attempt to a member.
	DialTimeout time.Duration
	Logger      *slog.Logger

	mu       sync.Mutex
	remotes  []*remote
	next     int // round robin
	conns    map[net.Conn]struct{}
	closed   bool
	listener net.Listener
	done     chan struct{}
	wg       sync.WaitGroup
}

type remote struct {
	addr string
	// downSince is when a connection to it last failed (zero: up).
	downSince time.Time
}

// Serve forwards ln's connections until Close.
func (g *Gateway) Serve(ln net.Listener) error {
	if len(g.Endpoints) == 0 {
		return errors.New("gateway: no endpoints")
	}
	if g.RetryDelay <= 0 {
		g.RetryDelay = time.Minute
	}
	if g.DialTimeout <= 0 {
		g.DialTimeout = 5 * time.Second
	}
	if g.Logger == nil {
		g.Logger = slog.New(slog.DiscardHandler)
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return net.ErrClosed
	}
	g.listener, g.done, g.conns = ln, make(chan struct{}), map[net.Conn]struct{}{}
	for _, ep := range g.Endpoints {
		g.remotes = append(g.remotes, &remote{addr: ep})
	}
	g.mu.Unlock()
	g.Logger.Info("ready to proxy client requests", "endpoints", g.Endpoints)
	for {
		in, err := ln.Accept()
		if err != nil {
			g.mu.Lock()
			closed := g.closed
			g.mu.Unlock()
			if closed {
				return nil
			}
			return err
		}
		if !g.track(in) {
			in.Close()
			continue
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer g.untrack(in)
			g.serve(in)
		}()
	}
}

// Close stops accepting and cuts every forwarded connection.
func (g *Gateway) Close() error {
	g.mu.Lock()
	g.closed = true
	ln := g.listener
	for c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	var err error
	if ln != nil {
		err = ln.Close()
	}
	g.wg.Wait()
	return err
}

func (g *Gateway) track(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

func (g *Gateway) untrack(c net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, c)
}

// pick chooses the next member round-robin, passing over those tried
// already and those that failed less than RetryDelay ago — unless every
// untried one did: then they are tried anyway (etcd's gateway would refuse
// the client until RetryDelay has passed, though the cluster may be back).
// nil when every member has been tried.
func (g *Gateway) pick(tried map[*remote]bool) *remote {
	g.mu.Lock()
	defer g.mu.Unlock()
	var fallback *remote
	for range g.remotes {
		r := g.remotes[g.next%len(g.remotes)]
		g.next++
		switch {
		case tried[r]:
		case !r.downSince.IsZero() && time.Since(r.downSince) < g.RetryDelay:
			if fallback == nil {
				fallback = r
			}
		default:
			return r
		}
	}
	return fallback
}

func (g *Gateway) markDown(r *remote, err error) {
	g.mu.Lock()
	r.downSince = time.Now()
	g.mu.Unlock()
	g.Logger.Warn("deactivated endpoint", "address", r.addr, "interval", g.RetryDelay, "err", err)
}

func (g *Gateway) markUp(r *remote) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !r.downSince.IsZero() {
		r.downSince = time.Time{}
		g.Logger.Info("activated", "address", r.addr)
	}
}

// serve joins one client connection to a member's.
func (g *Gateway) serve(in net.Conn) {
	defer in.Close()
	var out net.Conn
	tried := map[*remote]bool{}
	for out == nil {
		r := g.pick(tried)
		if r == nil {
			return // no member answers: the client sees its connection closed
		}
		tried[r] = true
		ctx, cancel := context.WithTimeout(context.Background(), g.DialTimeout)
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", r.addr)
		cancel()
		if err != nil {
			g.markDown(r, err)
			continue
		}
		g.markUp(r)
		out = c
	}
	if !g.track(out) {
		out.Close()
		return
	}
	defer g.untrack(out)
	defer out.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(in, out)
		in.Close()
		close(done)
	}()
	io.Copy(out, in)
	out.Close()
	<-done
}
