package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/raftkv/raftkv/raft"
)

// readBufferSize is the receiving side's bufio buffer: one read system call
// brings in up to this many bytes, i.e. hundreds of small messages.
const readBufferSize = 64 << 10

// errProtocol is wrapped by errors about well-formed messages that a peer
// must not send (wrong recipient, forged sender, local message types).
var errProtocol = errors.New("transport: protocol violation")

// inboundStream is a stream a peer opened to us.
type inboundStream struct {
	from uint64
	conn net.Conn
}

// ServeHTTP receives peers' streams and snapshots. Mount it on the peer
// listener's mux under PathPrefix (or use Serve).
func (t *HTTPTransport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every answer, refusals included, says who answered: the dialler
	// uses it to explain a refusal from its own point of view.
	w.Header().Set(hdrMemberID, strconv.FormatUint(t.cfg.LocalID, 16))
	w.Header().Set(hdrClusterID, strconv.FormatUint(t.cfg.ClusterID, 16))
	switch r.URL.Path {
	case streamPath:
		t.serveStream(w, r)
	case snapshotPath:
		t.serveSnapshot(w, r)
	default:
		http.NotFound(w, r)
	}
}

// admit checks an incoming request's handshake. On refusal it answers the
// request, logs why, and returns false.
func (t *HTTPTransport) admit(w http.ResponseWriter, r *http.Request) (handshake, bool) {
	hs, err := parseHandshake(r.Header)
	if err != nil {
		t.warnEvery("bad-handshake/"+r.RemoteAddr,
			fmt.Sprintf("rejected connection from %s: %v", r.RemoteAddr, err), "remote", r.RemoteAddr)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return hs, false
	}
	if rej := checkHandshake(hs, t.cfg.ClusterID, t.cfg.LocalID); rej != nil {
		// A misconfigured member retries every second or so; one line
		// per reason every half minute says it all.
		t.warnEvery("reject/"+hexID(hs.from)+"/"+rej.reason,
			fmt.Sprintf("rejected connection from member %x: %s", hs.from, rej.reason),
			"peer", hexID(hs.from), "remote", r.RemoteAddr)
		http.Error(w, rej.reason, rej.status)
		return hs, false
	}
	return hs, true
}

// begin does what every peer request needs first: check its method, check
// that the transport runs (registering the request with Stop), and check
// the handshake. If anything is wrong it answers the request itself and
// returns false; otherwise the caller must call t.wg.Done when finished.
func (t *HTTPTransport) begin(w http.ResponseWriter, r *http.Request, method string) (handshake, bool) {
	if r.Method != method {
		w.Header().Set("Allow", method)
		http.Error(w, r.URL.Path+" expects "+method, http.StatusMethodNotAllowed)
		return handshake{}, false
	}
	if !t.enter() {
		http.Error(w, "transport stopped", http.StatusServiceUnavailable)
		return handshake{}, false
	}
	hs, ok := t.admit(w, r)
	if !ok {
		t.wg.Done()
	}
	return hs, ok
}

// serveStream admits a stream, takes its connection over from net/http and
// reads frames from it until it ends.
func (t *HTTPTransport) serveStream(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet &&
		(!headerHasToken(r.Header, "Connection", "upgrade") || !strings.EqualFold(r.Header.Get("Upgrade"), upgradeToken)) {
		http.Error(w, "this path is the raft message stream; it expects \"Upgrade: "+upgradeToken+"\"", http.StatusBadRequest)
		return
	}
	hs, ok := t.begin(w, r, http.MethodGet)
	if !ok {
		return
	}
	defer t.wg.Done()
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil { // HTTP/2, or a middleware that hides the connection
		t.log.Error(fmt.Sprintf("cannot accept stream from member %x: %v", hs.from, err), "peer", hexID(hs.from))
		http.Error(w, "this server cannot switch protocols: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	// The connection is ours now, with whatever deadlines the server had
	// set for reading an HTTP request; ours follow.
	_ = conn.SetDeadline(time.Now().Add(t.cfg.WriteTimeout))
	answer := "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + upgradeToken + "\r\n" +
		hdrMemberID + ": " + strconv.FormatUint(t.cfg.LocalID, 16) + "\r\n\r\n"
	if _, err := io.WriteString(conn, answer); err != nil {
		return
	}
	_ = conn.SetDeadline(time.Time{})

	in := &inboundStream{from: hs.from, conn: conn}
	if !t.addInbound(in) {
		return
	}
	defer t.removeInbound(in)

	// Bytes the client sent right after its request may already sit in
	// net/http's reader; they are the start of the stream.
	var src io.Reader = deadlineReader{conn, t.cfg.IdleTimeout}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(early)), src)
	}
	err = t.receive(in, bufio.NewReaderSize(src, readBufferSize))
	switch {
	case errors.Is(err, errFrame) || errors.Is(err, errProtocol) || errors.Is(err, raft.ErrCodec):
		t.countersFor(hs.from).recvFailures.Add(1)
		t.warnEvery("bad-stream/"+hexID(hs.from),
			fmt.Sprintf("closing stream from member %x: %v", hs.from, err), "peer", hexID(hs.from))
	case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
		t.log.Debug(fmt.Sprintf("stream from member %x closed", hs.from), "peer", hexID(hs.from))
	default:
		t.log.Info(fmt.Sprintf("stream from member %x ended: %v", hs.from, err), "peer", hexID(hs.from))
	}
}

// addInbound registers a stream so that Stop can close it. A newer stream
// from the same member replaces the old one, which is closed: the sender
// has given up on it, and two live streams could reorder messages.
func (t *HTTPTransport) addInbound(in *inboundStream) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if old := t.inbound[in.from]; old != nil {
		old.conn.Close()
	}
	t.inbound[in.from] = in
	return true
}

func (t *HTTPTransport) removeInbound(in *inboundStream) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inbound[in.from] == in {
		delete(t.inbound, in.from)
	}
}

// receive reads frames from one peer's stream, delivers its messages in
// order, and answers its pings.
func (t *HTTPTransport) receive(in *inboundStream, br *bufio.Reader) error {
	c := t.countersFor(in.from)
	fr := newFrameReader(br, t.cfg.MaxFrameBytes)
	var pong [frameHeaderLen + pingPayloadLen]byte
	for {
		typ, payload, n, err := fr.next()
		if err != nil {
			return err
		}
		c.recvBytes.Add(uint64(n))
		switch typ {
		case frameMsg:
			var m raft.Message
			if err := m.UnmarshalBinary(payload); err != nil {
				return fmt.Errorf("%w: %w", errFrame, err)
			}
			if err := t.checkIncoming(&m, in.from); err != nil {
				return err
			}
			if m.Type == raft.MsgSnap {
				return fmt.Errorf("%w: MsgSnap on the message stream (snapshots have their own path)", errProtocol)
			}
			c.recvMsgs.Add(1)
			t.cfg.Handler.Process(m)
		case framePing:
			b := appendPingFrame(pong[:0], framePong, binary.BigEndian.Uint64(payload))
			_ = in.conn.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			n, err := in.conn.Write(b)
			c.sentBytes.Add(uint64(n))
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: frame type %d on the sending side of a stream", errFrame, typ)
		}
	}
}

// checkIncoming refuses a message that this member must not deliver, even
// though it decoded: it is for someone else, claims to come from a member
// other than the one that connected, or is a type that only a node's own
// caller may step.
func (t *HTTPTransport) checkIncoming(m *raft.Message, from uint64) error {
	switch {
	case m.To != t.cfg.LocalID:
		return fmt.Errorf("%w: %s for member %x arrived at member %x", errProtocol, m.Type, m.To, t.cfg.LocalID)
	case m.From != from:
		return fmt.Errorf("%w: %s claims to be from member %x on a connection from member %x", errProtocol, m.Type, m.From, from)
	case m.Type.IsLocal():
		return fmt.Errorf("%w: %s must never cross the network", errProtocol, m.Type)
	}
	return nil
}

// deadlineReader renews the read deadline before every read from the
// connection: a stream on which nothing — not even a ping — arrives for
// IdleTimeout is declared dead. It sits under bufio, so the deadline is
// renewed once per read system call (up to 64 KiB), not once per message.
type deadlineReader struct {
	conn    net.Conn
	timeout time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	_ = d.conn.SetReadDeadline(time.Now().Add(d.timeout))
	return d.conn.Read(p)
}

// headerHasToken reports whether a comma-separated header contains token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
