package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config is a proxy's settings; cmd/raftkv fills it from etcd's
// `grpc-proxy start` flags.
type Config struct {
	// Endpoints are the members' client addresses (--endpoints): host:port,
	// or http:// and https:// URLs.
	Endpoints []string
	// AutoSyncInterval is how often the endpoints are replaced by the
	// client URLs the cluster lists for its voting members
	// (--endpoints-auto-sync-interval; 0: never), so that a proxy follows a
	// cluster whose members are replaced.
	AutoSyncInterval time.Duration
	// ClusterTLS is the TLS the proxy speaks to the members (--cert, --key,
	// --cacert, --insecure-skip-tls-verify); nil: plain connections, unless
	// an endpoint is an https:// URL.
	ClusterTLS *tls.Config

	// Namespace is the prefix of every key a client sees (--namespace).
	Namespace string
	// AdvertiseClientURL is where clients reach this proxy
	// (--advertise-client-url): what it registers, and what it answers
	// for member list. Empty: member list is the cluster's own.
	AdvertiseClientURL string
	// ResolverPrefix and ResolverTTL register the proxy under
	// ResolverPrefix+"/"+AdvertiseClientURL, attached to a lease of
	// ResolverTTL seconds that it keeps alive (--resolver-prefix,
	// --resolver-ttl), so that every proxy of a fleet can list the others.
	ResolverPrefix string
	ResolverTTL    int64
	// Name is what the proxy registers itself as (etcd uses the host's
	// name).
	Name string

	// MaxRequestBytes is the largest request a client may send (etcd's
	// default, 1.5 MiB); a watch that asked for fragments gets its large
	// revisions split at this size.
	MaxRequestBytes int
	// MaxSendBytes bounds what the proxy sends to a member in one message
	// (--max-send-bytes).
	MaxSendBytes int
	// CacheEntries is how many serializable range answers the cache keeps
	// (0: etcd's 2048; negative: no cache).
	CacheEntries int
	// RequestTimeout bounds a client's call that came without a deadline
	// of its own, so that it does not wait forever for a cluster that is
	// gone.
	RequestTimeout time.Duration
	// DialKeepAliveTime and DialKeepAliveTimeout make the proxy ping the
	// members to notice a dead connection (--dial-keepalive-time, 0: off;
	// --dial-keepalive-timeout); PermitWithoutStream pings an idle one too.
	DialKeepAliveTime    time.Duration
	DialKeepAliveTimeout time.Duration
	PermitWithoutStream  bool
	// MaxConcurrentStreams bounds the streams of one client connection.
	MaxConcurrentStreams uint32

	// EnablePprof serves Go's profiles under /debug/pprof/ on the client
	// port (--enable-pprof).
	EnablePprof bool

	// StatusInterval is how often the proxy asks the cluster who leads
	// and whether authentication is on (0: every second).
	StatusInterval time.Duration
	// Logger receives the proxy's log (nil: none).
	Logger *slog.Logger
}

// Defaults, etcd's where etcd has one.
const (
	defaultMaxRequestBytes = 1536 * 1024
	defaultCacheEntries    = 2048
	defaultRequestTimeout  = 10 * time.Second
	defaultStatusInterval  = time.Second
)

// withDefaults checks c and fills in what was left zero.
func (c Config) withDefaults() (Config, error) {
	if len(c.Endpoints) == 0 {
		return c, errors.New("proxy: no endpoints")
	}
	if (c.ResolverPrefix != "") != (c.ResolverTTL > 0) {
		// etcd's checks, in its words.
		if c.ResolverPrefix != "" {
			return c, fmt.Errorf("invalid resolver-ttl %d", c.ResolverTTL)
		}
		return c, fmt.Errorf("invalid resolver-prefix %q", c.ResolverPrefix)
	}
	if c.ResolverPrefix != "" && c.AdvertiseClientURL == "" {
		return c, fmt.Errorf("invalid advertise-client-url %q", c.AdvertiseClientURL)
	}
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = defaultMaxRequestBytes
	}
	if c.MaxSendBytes <= 0 {
		c.MaxSendBytes = defaultMaxRequestBytes
	}
	if c.CacheEntries == 0 {
		c.CacheEntries = defaultCacheEntries
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.StatusInterval <= 0 {
		c.StatusInterval = defaultStatusInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
