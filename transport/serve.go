package transport

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve accepts peer connections on l until Stop, with Config.ServerTLS if
// set (mutual TLS when it requires client certificates). It is for a
// server that dedicates its peer listener to the transport; a server that
// serves more on the peer port mounts the transport on its own mux instead:
//
//	mux.Handle(transport.PathPrefix, tr)
//
// Serve returns nil after Stop, or the error that made it give up.
func (t *HTTPTransport) Serve(l net.Listener) error {
	if t.cfg.ServerTLS != nil {
		cfg := t.cfg.ServerTLS.Clone()
		// HTTP/1.1 only: a stream takes over its connection, which an
		// HTTP/2 request cannot.
		cfg.NextProtos = []string{"http/1.1"}
		l = tls.NewListener(l, cfg)
	}
	srv := &http.Server{
		Handler: t,
		// A client that connects and sends nothing (or sends its request
		// head one byte a minute) must not hold a connection forever.
		ReadHeaderTimeout: t.cfg.DialTimeout,
		// net/http reports refused TLS handshakes here — a peer without a
		// valid client certificate — so they reach our log too.
		ErrorLog: slog.NewLogLogger(t.log.Handler(), slog.LevelWarn),
		// Disable HTTP/2 even if the TLS config offered it.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		IdleTimeout:  time.Minute,
	}
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return errors.New("transport: Serve called after Stop")
	}
	t.servers = append(t.servers, srv)
	t.mu.Unlock()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
