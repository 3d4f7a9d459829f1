package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
	"github.com/raftkv/raftkv/transport"
	"github.com/raftkv/raftkv/wal"
	"google.golang.org/grpc"
)

// Version is raftkv's version, reported by /version and `raftkv --version`.
const Version = "0.1.0"

// Server runs one member in production: a single goroutine drives the
// Member (the loop below) with a real ticker, real files and sockets; HTTP
// handlers on the client and peer URLs hand it work through channels.
type Server struct {
	cfg    Config
	log    *slog.Logger
	member *Member
	tr     *transport.HTTPTransport

	calls    chan func(*Member)
	incoming chan raft.Message
	reports  chan func(*Member)
	stopping chan struct{}
	done     chan struct{}
	err      error // why the loop stopped, set before done closes

	view atomic.Pointer[memberView]

	listeners []net.Listener
	servers   []*http.Server
	grpc      *grpc.Server
	wg        sync.WaitGroup
	stopOnce  sync.Once
	metrics   *metrics
	// jwt signs and checks JWT tokens (nil: simple tokens; auth_jwt.go).
	jwt *jwtTokens
	// dummy is the hash failed logins are compared against (dummyHash).
	dummyOnce sync.Once
	dummy     []byte
	// peerClient talks to other members' peer URLs: requests only the
	// leader can answer are forwarded to it (forward.go), and the
	// corruption check asks for hashes (corrupt.go).
	peerClient *http.Client
	// size caches dbSize (gateway_maintenance.go).
	size sizeCache
}

// memberView is what HTTP handlers may know about the member without
// touching it: a copy the loop publishes after every step.
type memberView struct {
	ID, ClusterID   uint64
	Lead, Term      uint64
	Applied         uint64
	Commit          uint64
	LastIndex       uint64
	IsLearner       bool
	Members         []MemberInfo
	Stats           Stats
	Removed         bool
	SnapshotSize    int64
	LeaderClientURL string
	Alarms          []wire.AlarmMember
}

// requestTimeout is etcd's: 5 s plus two election timeouts, long enough to
// ride out an election.
func (s *Server) requestTimeout() time.Duration {
	return 5*time.Second + 2*s.cfg.ElectionTimeout
}

// Start opens the member's data directory, binds the listeners, and starts
// serving. It returns once the member runs; Stop ends it.
func Start(cfg Config, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		log:      logger,
		calls:    make(chan func(*Member), 4096),
		incoming: make(chan raft.Message, 8192),
		reports:  make(chan func(*Member), 1024),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.metrics = newMetrics(s)
	jwtTokens, err := parseAuthToken(cfg.AuthToken)
	if err != nil {
		return nil, err
	}
	s.jwt = jwtTokens
	clientTLS, err := serverTLS(cfg.ClientTLS)
	if err != nil {
		return nil, fmt.Errorf("client TLS: %w", err)
	}
	peerServerTLS, err := serverTLS(cfg.PeerTLS)
	if err != nil {
		return nil, fmt.Errorf("peer TLS: %w", err)
	}
	peerClientTLS, err := clientTLSConfig(cfg.PeerTLS)
	if err != nil {
		return nil, fmt.Errorf("peer TLS: %w", err)
	}
	s.peerClient = &http.Client{Transport: &http.Transport{TLSClientConfig: peerClientTLS}}
	// Bind first: a port in use should fail before the data directory is touched.
	peerLns, err := listenAll(cfg.ListenPeerURLs, peerServerTLS)
	if err != nil {
		return nil, err
	}
	warnPlainURLs(logger, cfg.ListenClientURLs, cfg.ClientTLS, "")
	warnPlainURLs(logger, cfg.ListenPeerURLs, cfg.PeerTLS, "peer-")
	clientLns, err := listenAll(cfg.ListenClientURLs, clientTLSWithHTTP2(clientTLS))
	if err != nil {
		closeAll(peerLns)
		return nil, err
	}
	s.listeners = append(peerLns, clientLns...)

	// A member that has data to compare may check it against its peers'
	// before serving (corrupt.go); a new one has nothing to compare yet.
	restarting := wal.Exist(vfs.OS(), walDir(cfg.DataDir))
	tr := &deferredTransport{}
	m, err := NewMember(cfg, Env{
		FS:           vfs.OS(),
		Transport:    tr,
		Clock:        realClock{},
		Rand:         mathrand.New(mathrand.NewPCG(randomSeed(), randomSeed())),
		Logger:       slogPrintf{logger},
		WALOptions:   []wal.Option{wal.WithSegmentPipeline()},
		FetchCluster: func(urls []string) (uint64, []MemberInfo, error) { return fetchCluster(urls, peerClientTLS) },
		Background:   s.background,
		// s.member is assigned just below, before the member's loop runs.
		LeaderChanged: func() {
			if s.member != nil {
				s.publish()
			}
		},
	})
	if err != nil {
		closeAll(s.listeners)
		return nil, err
	}
	s.member = m
	real, err := transport.New(transport.Config{
		ClusterID:  m.ClusterID(),
		LocalID:    m.ID(),
		Handler:    (*transportHandler)(s),
		ClientTLS:  peerClientTLS,
		Logger:     logger,
		ObserveRTT: s.metrics.observeRTT,
		// A message may hold a whole request of --max-request-bytes plus
		// raft's own batch of entries.
		MaxFrameBytes: max(32<<20, 2*cfg.MaxRequestBytes+(1<<20)),
	})
	if err != nil {
		m.Close()
		closeAll(s.listeners)
		return nil, err
	}
	s.tr = real
	tr.attach(real)
	if cfg.InitialCorruptCheck && restarting {
		if err := s.initialCorruptCheck(); err != nil {
			s.log.Error("checkInitialHashKV failed", "err", err)
			s.abandonStart()
			return nil, err
		}
	}
	s.publish()

	peerMux := http.NewServeMux()
	peerMux.Handle(transport.PathPrefix, real)
	peerMux.HandleFunc("/raftkv/members", s.serveMembersForPeers)
	peerMux.HandleFunc(forwardPrefix, s.serveForwarded)
	peerMux.HandleFunc(peerDebugRaft, s.servePeerDebugRaft)
	peerMux.HandleFunc(peerDebugControl, s.servePeerDebugControl)
	peerMux.HandleFunc(peerHashKVPath, s.serveHashKVForPeers)
	for _, ln := range peerLns {
		s.serve(ln, peerMux, true)
	}
	s.serveClients(clientLns)
	s.wg.Add(1)
	go s.loop()
	if cfg.CorruptCheckTime > 0 {
		s.wg.Add(1)
		go s.monitorCorruption()
	}
	s.log.Info("serving", "name", cfg.Name, "member", fmt.Sprintf("%x", m.ID()), "cluster", fmt.Sprintf("%x", m.ClusterID()),
		"client-urls", cfg.ListenClientURLs, "peer-urls", cfg.ListenPeerURLs, "data-dir", cfg.DataDir)
	return s, nil
}

func (s *Server) serve(ln net.Listener, h http.Handler, peer bool) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// A client that keeps a connection open and idle holds a file
		// descriptor and some memory: not for ever.
		IdleTimeout: s.idleTimeout(),
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if peer {
		// The transport's streams take over their connections; HTTP/2
		// cannot hand a connection over.
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	s.servers = append(s.servers, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// removedStopDelay is how long a removed member keeps running, so that
// what it already decided reaches the others.
const removedStopDelay = time.Second

// loop is the member's goroutine: it alone touches the Member.
func (s *Server) loop() {
	defer s.wg.Done()
	defer close(s.done)
	m := s.member
	ticker := time.NewTicker(s.cfg.HeartbeatInterval)
	defer ticker.Stop()
	m.AdvanceElectionTicks()
	if err := m.Process(); err != nil {
		s.err = err
		go s.Stop()
		return
	}
	s.publish()
	removed := false
	for {
		select {
		case <-s.stopping:
			if !removed {
				s.err = ErrStopped
			}
			return
		case <-ticker.C:
			m.Tick()
		case msg := <-s.incoming:
			m.Step(msg)
		case fn := <-s.calls:
			fn(m)
		case fn := <-s.reports:
			fn(m)
		}
		// Take whatever else is waiting before processing, so one Ready —
		// one WAL write, one fsync — serves all of it (group commit).
	drain:
		for range 4096 {
			select {
			case msg := <-s.incoming:
				m.Step(msg)
			case fn := <-s.calls:
				fn(m)
			default:
				break drain
			}
		}
		if err := m.Process(); err != nil {
			s.err = err
			s.log.Error("member stopped", "err", err)
			go s.Stop()
			return
		}
		s.publish()
		if m.Removed() && !removed {
			// Stop, but not at once: the answers to requests this member
			// applied — its own removal among them, forwarded by a follower
			// that waits for it — and the messages that hand leadership over
			// are still on their way out. etcd gives them a second too
			// (stopWithDelay).
			removed = true
			s.err = ErrRemoved
			s.log.Warn("the member has been permanently removed from the cluster; shutting down")
			time.AfterFunc(removedStopDelay, s.Stop)
		}
	}
}

// publish stores a new view of the member for the adapters, after every
// turn of the loop. It runs thousands of times a second under load, so the
// member list of the last view is shared when the membership has not
// changed, rather than copied again.
func (s *Server) publish() {
	m := s.member
	commit, last := m.node.LogIndexes()
	var members []MemberInfo
	if prev := s.view.Load(); prev != nil && m.cluster.hasMembers(prev.Members) {
		members = prev.Members
	} else {
		members = m.cluster.list()
	}
	v := &memberView{
		ID: m.id, ClusterID: m.clusterID, Lead: m.lead, Term: m.term, Applied: m.applied,
		Commit: commit, LastIndex: last, Members: members, Stats: m.stats,
		Removed: m.removed, Alarms: slices.Clone(m.cluster.Alarms),
	}
	for _, info := range v.Members {
		if info.ID == m.id {
			v.IsLearner = info.IsLearner
		}
		if info.ID == m.lead && len(info.ClientURLs) > 0 {
			v.LeaderClientURL = info.ClientURLs[0]
		}
	}
	s.view.Store(v)
}

// do runs fn on the member's goroutine.
func (s *Server) do(ctx context.Context, fn func(*Member)) error {
	select {
	case s.calls <- fn:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrStopped
	}
}

// Done is closed when the server has stopped; Err says why.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns why the server stopped (nil while it runs).
func (s *Server) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Stop shuts the server down: no new requests, the member loop ends, files
// are closed. It is safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.handOverLeadership()
		close(s.stopping)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, srv := range s.servers {
			srv.Shutdown(ctx)
			srv.Close()
		}
		if s.grpc != nil {
			s.grpc.Stop()
		}
		s.tr.Stop()
		s.wg.Wait()
		s.member.Close()
		s.log.Info("stopped")
	})
}

// abandonStart undoes a Start that fails after the member was opened but
// before anything was served: background work (a snapshot the member began
// while applying its log) is waited for before the member's files close.
func (s *Server) abandonStart() {
	close(s.stopping)
	s.tr.Stop()
	s.wg.Wait()
	s.member.Close()
	closeAll(s.listeners)
}

// background runs work on its own goroutine and hands done back to the loop.
func (s *Server) background(work func() error, done func(error)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := work()
		select {
		case s.reports <- func(*Member) { done(err) }:
		case <-s.stopping:
		}
	}()
}

// handOverLeadership makes a leader that is shutting down hand leadership
// to its most up-to-date follower first (thesis §3.10), as etcd does, so
// that clients see a new leader at once instead of after an election
// timeout. It waits at most two election timeouts.
func (s *Server) handOverLeadership() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.cfg.ElectionTimeout)
	defer cancel()
	targetCh := make(chan uint64, 1)
	if s.do(ctx, func(m *Member) {
		target := m.bestTransferee()
		if target != 0 {
			s.log.Info("shutting down: handing leadership over", "to", fmt.Sprintf("%x", target))
			m.TransferLeadership(target)
		}
		targetCh <- target
	}) != nil {
		return
	}
	select {
	case target := <-targetCh:
		if target == 0 {
			return
		}
	case <-ctx.Done():
		return
	}
	for ctx.Err() == nil {
		if v := s.view.Load(); v.Lead != v.ID {
			return
		}
		select {
		case <-ctx.Done():
		case <-s.done:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// transportHandler is the transport's view of the server.
type transportHandler Server

func (h *transportHandler) Process(m raft.Message) {
	select {
	case h.incoming <- m:
	default:
		// The member is swamped: drop, raft retries.
		h.metrics.dropIncoming(m.From)
	}
}

func (h *transportHandler) ReportUnreachable(id uint64) {
	select {
	case h.reports <- func(m *Member) { m.ReportUnreachable(id) }:
	default:
	}
}

func (h *transportHandler) ReportSnapshot(id uint64, delivered bool) {
	h.metrics.snapshotReported(id, delivered)
	// Must not be lost: raft pauses a follower until it hears this.
	select {
	case h.reports <- func(m *Member) { m.ReportSnapshot(id, delivered) }:
	case <-h.done:
	}
}

// deferredTransport lets the member start before the real transport exists
// (the transport needs the member and cluster IDs, which only booting the
// member reveals): peers added before attach are replayed into it.
type deferredTransport struct {
	mu    sync.Mutex
	real  *transport.HTTPTransport
	peers map[uint64][]string
}

func (d *deferredTransport) attach(t *transport.HTTPTransport) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.real = t
	for id, urls := range d.peers {
		t.AddPeer(id, urls)
	}
	d.peers = nil
}

func (d *deferredTransport) Send(msgs []raft.Message) {
	if len(msgs) > 0 {
		d.real.Send(msgs)
	}
}

func (d *deferredTransport) AddPeer(id uint64, urls []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.real != nil {
		d.real.AddPeer(id, urls)
		return
	}
	if d.peers == nil {
		d.peers = map[uint64][]string{}
	}
	d.peers[id] = urls
}

func (d *deferredTransport) UpdatePeer(id uint64, urls []string) { d.AddPeer(id, urls) }

func (d *deferredTransport) RemovePeer(id uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.real != nil {
		d.real.RemovePeer(id)
		return
	}
	delete(d.peers, id)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, args ...any) { p.l.Info(fmt.Sprintf(format, args...)) }

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func listenAll(urls []string, tlsCfg *tls.Config) ([]net.Listener, error) {
	var out []net.Listener
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			closeAll(out)
			return nil, err
		}
		if u.Scheme == "https" && tlsCfg == nil {
			closeAll(out)
			return nil, fmt.Errorf("listen on %s: https needs --cert-file and --key-file (or their --peer-* twins)", raw)
		}
		ln, err := net.Listen("tcp", u.Host)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("listen tcp %s: %w", u.Host, err)
		}
		if u.Scheme == "https" {
			ln = tlsListener{tls.NewListener(ln, tlsCfg)}
		}
		out = append(out, ln)
	}
	return out, nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}
