package v3rpc

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// One client URL serves gRPC and HTTP/1.1, as etcd's :2379 does.
//
// On a plain (http://) URL the two are told apart by the first bytes of a
// connection: a gRPC client speaks HTTP/2 from the first byte ("prior
// knowledge") and opens with HTTP/2's fixed preface, "PRI * HTTP/2.0..."; an
// HTTP/1.1 client opens with a request line ("POST /v3/kv/put ..."). The
// first differs from every HTTP/1.1 method by its second byte at the latest,
// so the split reads at most the preface's 24 bytes. gRPC connections go to
// gRPC's own server, the fastest path; the rest to net/http.
//
// On a TLS (https://) URL, TLS's protocol negotiation (ALPN) says "h2" for
// gRPC and for browsers alike, so the split cannot be made by connection:
// net/http serves both, and hands a request with the gRPC content type to
// the gRPC server (ServeHTTP, as etcd does over TLS).

// http2Preface is what every HTTP/2 connection starts with (RFC 9113 §3.4).
const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// sniffTimeout bounds how long a new connection may take to say which
// protocol it speaks.
const sniffTimeout = 10 * time.Second

// SplitListener divides the connections of one plain listener between
// gRPC (GRPC) and HTTP/1.1 (HTTP). Serve each with its server, and close
// the SplitListener to close both.
type SplitListener struct {
	base       net.Listener
	grpc, http *chanListener
	closeOnce  sync.Once
	done       chan struct{}
}

// Split starts dividing base's connections.
func Split(base net.Listener) *SplitListener {
	s := &SplitListener{base: base, done: make(chan struct{})}
	s.grpc = &chanListener{conns: make(chan net.Conn), parent: s}
	s.http = &chanListener{conns: make(chan net.Conn), parent: s}
	go s.acceptLoop()
	return s
}

// GRPC is the listener of the HTTP/2 (gRPC) connections.
func (s *SplitListener) GRPC() net.Listener { return s.grpc }

// HTTP is the listener of the other connections.
func (s *SplitListener) HTTP() net.Listener { return s.http }

// Close closes the base listener and both halves.
func (s *SplitListener) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.base.Close()
	})
	return err
}

func (s *SplitListener) acceptLoop() {
	for {
		conn, err := s.base.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.Close()
			return
		}
		go s.route(conn)
	}
}

// route reads as much of conn's first bytes as it takes to tell the
// protocols apart, and hands conn (with those bytes put back) to its half.
func (s *SplitListener) route(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(sniffTimeout))
	var head []byte
	buf := make([]byte, len(http2Preface))
	isHTTP2 := false
	for {
		n, err := conn.Read(buf[:len(http2Preface)-len(head)])
		head = append(head, buf[:n]...)
		if !strings.HasPrefix(http2Preface, string(head)) {
			break
		}
		if len(head) == len(http2Preface) {
			isHTTP2 = true
			break
		}
		if err != nil {
			conn.Close()
			return
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	c := &prefixedConn{Conn: conn, prefix: head}
	half := s.http
	if isHTTP2 {
		half = s.grpc
	}
	select {
	case half.conns <- c:
	case <-s.done:
		conn.Close()
	}
}

// prefixedConn is a connection whose first bytes were already read.
type prefixedConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixedConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// chanListener is one half of a SplitListener.
type chanListener struct {
	conns  chan net.Conn
	parent *SplitListener
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.parent.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { return l.parent.Close() }
func (l *chanListener) Addr() net.Addr { return l.parent.base.Addr() }

// GRPCOrHTTP serves gRPC requests (HTTP/2 with the gRPC content type) with
// gs and every other request with other: what a TLS client URL serves.
func GRPCOrHTTP(gs *grpc.Server, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			gs.ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
}
