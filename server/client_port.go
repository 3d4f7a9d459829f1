package server

import (
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/raftkv/raftkv/server/v3rpc"
	"google.golang.org/grpc"
)

// defaultIdleTimeout is how long a client's idle keep-alive connection
// stays open unless Config.IdleTimeout says otherwise.
const defaultIdleTimeout = 2 * time.Minute

func (s *Server) idleTimeout() time.Duration {
	if s.cfg.IdleTimeout > 0 {
		return s.cfg.IdleTimeout
	}
	return defaultIdleTimeout
}

// serveClients serves the client URLs: etcd's gRPC services and, on the
// same port, the JSON gateway and the rest over HTTP/1.1 (v3rpc/mux.go says
// how one port carries both).
func (s *Server) serveClients(lns []net.Listener) {
	s.grpc = v3rpc.New(s, v3rpc.Config{
		MaxRequestBytes:      s.cfg.MaxRequestBytes,
		MaxConcurrentStreams: s.cfg.MaxConcurrentStreams,
		ElectionTimeout:      s.cfg.ElectionTimeout,
		Metrics:              s.metrics.client,
	})
	handler := s.clientHandler()
	for _, ln := range lns {
		if _, isTLS := ln.(tlsListener); isTLS {
			s.serve(ln, v3rpc.GRPCOrHTTP(s.grpc, handler), false)
			continue
		}
		split := v3rpc.Split(ln)
		s.serve(split.HTTP(), handler, false)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			// A stop closes the port's listener before the gRPC server
			// hears of it: neither is a failure to report.
			if err := s.grpc.Serve(split.GRPC()); err != nil && !errors.Is(err, grpc.ErrServerStopped) && !errors.Is(err, net.ErrClosed) {
				s.log.Error("serve gRPC", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
}

// tlsListener marks a listener that hands out TLS connections.
type tlsListener struct{ net.Listener }

// clientTLSWithHTTP2 offers HTTP/2 (which gRPC needs) as well as HTTP/1.1
// on a TLS client URL.
func clientTLSWithHTTP2(cfg *tls.Config) *tls.Config {
	if cfg == nil {
		return nil
	}
	c := cfg.Clone()
	c.NextProtos = []string{"h2", "http/1.1"}
	return c
}
