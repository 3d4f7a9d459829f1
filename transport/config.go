package transport

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"time"
)

// Config configures an HTTPTransport. ClusterID, LocalID and Handler are
// required; every other zero field takes the default named beside it.
type Config struct {
	// ClusterID is checked in the handshake: a member of another cluster
	// (a stale data directory, a copy-pasted --initial-cluster) is refused
	// before it can deliver a single message.
	ClusterID uint64
	// LocalID is this member's ID; a connection or message addressed to
	// another ID is refused.
	LocalID uint64
	// Handler receives messages and reports.
	Handler Handler

	// ClientTLS is used to dial https:// peer URLs: RootCAs from
	// --peer-trusted-ca-file, and Certificates from --peer-cert-file and
	// --peer-key-file when peers demand client certificates. nil means the
	// system's roots and no client certificate.
	ClientTLS *tls.Config
	// ServerTLS is used by Serve only (a server that mounts the transport
	// on its own http.Server brings its own TLS). For mutual TLS set
	// ClientAuth to tls.RequireAndVerifyClientCert and ClientCAs.
	ServerTLS *tls.Config

	// Logger receives the transport's log lines; nil discards them.
	Logger *slog.Logger
	// Seed seeds the random source behind reconnection jitter; 0 picks a
	// random seed. Tests fix it to make backoff schedules repeatable.
	Seed uint64
	// ObserveRTT, if set, is called with every round-trip time measured on
	// a peer's stream (for a histogram); it must be quick.
	ObserveRTT func(peer uint64, rtt time.Duration)

	// QueueSize bounds the messages waiting for one peer's writer
	// (default 4096, as etcd's stream buffer). Past it, Send drops.
	QueueSize int
	// MaxFrameBytes bounds one message on the stream and the header of a
	// snapshot (default 32 MiB). It must exceed the largest message raft
	// sends: its MaxSizePerMsg plus one entry of --max-request-bytes.
	MaxFrameBytes int
	// MaxSnapshotBytes bounds the data of one incoming snapshot (default
	// 8 GiB, etcd's largest backend quota).
	MaxSnapshotBytes int64
	// SnapshotChunkBytes is how much snapshot data is written or read per
	// step, each step renewing the I/O deadline (default 1 MiB).
	SnapshotChunkBytes int

	// DialTimeout bounds connecting and the handshake (default 3s).
	DialTimeout time.Duration
	// WriteTimeout bounds one write to a peer (default 5s): a peer that
	// stops reading is disconnected rather than waited for.
	WriteTimeout time.Duration
	// PingInterval is how often a stream is pinged to measure the
	// round-trip time and to prove it alive (default 1s).
	PingInterval time.Duration
	// IdleTimeout closes a connection on which nothing arrived for this
	// long (default 5s); it must exceed PingInterval.
	IdleTimeout time.Duration
	// BackoffMin and BackoffMax bound the wait between reconnection
	// attempts (defaults 50ms and 1s): it doubles from the minimum up to
	// the cap, with jitter.
	BackoffMin time.Duration
	BackoffMax time.Duration
}

// withDefaults returns c with every zero tunable replaced by its default,
// or an error naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.LocalID == 0 {
		return c, errors.New("transport: Config.LocalID must not be 0")
	}
	if c.ClusterID == 0 {
		return c, errors.New("transport: Config.ClusterID must not be 0")
	}
	if c.Handler == nil {
		return c, errors.New("transport: Config.Handler is required")
	}
	setDefault(&c.QueueSize, 4096)
	setDefault(&c.MaxFrameBytes, 32<<20)
	setDefault(&c.MaxSnapshotBytes, 8<<30)
	setDefault(&c.SnapshotChunkBytes, 1<<20)
	setDefault(&c.DialTimeout, 3*time.Second)
	setDefault(&c.WriteTimeout, 5*time.Second)
	setDefault(&c.PingInterval, time.Second)
	setDefault(&c.IdleTimeout, 5*time.Second)
	setDefault(&c.BackoffMin, 50*time.Millisecond)
	setDefault(&c.BackoffMax, time.Second)
	if c.IdleTimeout <= c.PingInterval {
		return c, errors.New("transport: Config.IdleTimeout must exceed PingInterval, or every idle stream would be cut")
	}
	if c.BackoffMax < c.BackoffMin {
		return c, errors.New("transport: Config.BackoffMax must not be below BackoffMin")
	}
	if c.QueueSize < 0 || c.MaxFrameBytes < 0 || c.MaxSnapshotBytes < 0 || c.SnapshotChunkBytes < 0 {
		return c, errors.New("transport: Config sizes must not be negative")
	}
	if int64(c.MaxFrameBytes) > maxFrameLimit {
		return c, errors.New("transport: Config.MaxFrameBytes exceeds what a 4-byte frame length can say")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}
