package server

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Config is one member's configuration, with etcd's flag names and meanings
// (cmd/raftkv maps flags and RAFTKV_* environment variables onto it).
type Config struct {
	Name    string // --name
	DataDir string // --data-dir

	ListenClientURLs         []string // --listen-client-urls
	AdvertiseClientURLs      []string // --advertise-client-urls
	ListenPeerURLs           []string // --listen-peer-urls
	InitialAdvertisePeerURLs []string // --initial-advertise-peer-urls

	// InitialCluster lists every initial member as name=peerURL pairs
	// (--initial-cluster "m1=http://10.0.0.1:2380,m2=...").
	InitialCluster      string
	InitialClusterState string // "new" or "existing"
	InitialClusterToken string

	HeartbeatInterval time.Duration // --heartbeat-interval (ms on the command line)
	ElectionTimeout   time.Duration // --election-timeout (ms on the command line)

	// SnapshotCount is how many applied entries trigger a snapshot.
	SnapshotCount uint64
	// SnapshotCatchUpEntries is how many entries stay in the log after a
	// snapshot, so a slightly slow follower can catch up without one.
	SnapshotCatchUpEntries uint64

	MaxRequestBytes int // --max-request-bytes
	MaxTxnOps       int // --max-txn-ops
	// IdleTimeout is how long an idle keep-alive HTTP connection is kept
	// open (0: two minutes); a client that opens connections and leaves
	// them idle holds a file descriptor and memory each, not for ever.
	IdleTimeout time.Duration
	// MaxConcurrentStreams bounds the gRPC streams of one client connection
	// (--max-concurrent-streams; 0: etcd's default, unlimited — Kubernetes
	// multiplexes all its watches over a few connections).
	MaxConcurrentStreams uint32

	// AutoCompactionMode is "periodic" or "revision", and
	// AutoCompactionRetention how much history to keep ("0": keep all);
	// see compactor.go.
	AutoCompactionMode      string
	AutoCompactionRetention string

	// WatchProgressNotifyInterval is how often an idle watch that asked
	// for progress notifications hears the current revision
	// (--watch-progress-notify-interval, etcd's default ten minutes;
	// Kubernetes asks for shorter).
	WatchProgressNotifyInterval time.Duration

	// AuthToken is --auth-token: "simple" (the default) or
	// "jwt,pub-key=...,priv-key=...,sign-method=...,ttl=..."; AuthTokenTTL
	// is --auth-token-ttl, how long an unused simple token lives;
	// BcryptCost is --bcrypt-cost, the work factor of password hashes.
	AuthToken    string
	AuthTokenTTL time.Duration
	BcryptCost   int

	// QuotaBackendBytes bounds the store's size (alarms.go): 0 means the
	// default (2 GiB, etcd's), a negative value no quota.
	QuotaBackendBytes int64

	// InitialCorruptCheck makes a restarting member compare its key-value
	// hash with its peers' before it serves anything, and refuse to start
	// on a mismatch (corrupt.go; etcd's --feature-gates=
	// InitialCorruptCheck=true). CorruptCheckTime is how often the leader
	// compares every member's hash and raises the CORRUPT alarm on a
	// mismatch (etcd's --corrupt-check-time); 0 never does. Both are off by
	// default, as in etcd.
	InitialCorruptCheck bool
	CorruptCheckTime    time.Duration

	ClientTLS TLSFiles
	PeerTLS   TLSFiles

	// EnablePprof serves Go's runtime profiles under /debug/pprof on the
	// client URLs (etcd's --enable-pprof).
	EnablePprof bool
	// ExperimentalDebugControls enables the learner's controls on /ui (pause
	// a member's clock, isolate it, ...) — only ever on loopback.
	ExperimentalDebugControls bool
}

// TLSFiles names the certificate files of one side (client or peer).
type TLSFiles struct {
	CertFile       string
	KeyFile        string
	TrustedCAFile  string
	ClientCertAuth bool
}

// Enabled reports whether TLS is configured.
func (t TLSFiles) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Defaults are etcd's defaults, with raftkv's names.
func DefaultConfig() Config {
	return Config{
		Name:                        "default",
		ListenClientURLs:            []string{"http://localhost:2379"},
		AdvertiseClientURLs:         []string{"http://localhost:2379"},
		ListenPeerURLs:              []string{"http://localhost:2380"},
		InitialAdvertisePeerURLs:    []string{"http://localhost:2380"},
		InitialCluster:              "default=http://localhost:2380",
		InitialClusterState:         "new",
		InitialClusterToken:         "raftkv-cluster",
		HeartbeatInterval:           100 * time.Millisecond,
		ElectionTimeout:             1000 * time.Millisecond,
		SnapshotCount:               10000,
		SnapshotCatchUpEntries:      5000,
		MaxRequestBytes:             1536 * 1024,
		AuthToken:                   "simple",
		WatchProgressNotifyInterval: 10 * time.Minute,
		AuthTokenTTL:                300 * time.Second,
		BcryptCost:                  10,
		MaxTxnOps:                   128,
		AutoCompactionMode:          CompactorModePeriodic,
		AutoCompactionRetention:     "0",
	}
}

// InitialMember is one entry of --initial-cluster.
type InitialMember struct {
	Name     string
	PeerURLs []string
}

// ParseInitialCluster reads "name=url,name=url2,other=url3" (a name may
// appear several times, once per peer URL), keeping the order of first
// appearance.
func ParseInitialCluster(s string) ([]InitialMember, error) {
	var out []InitialMember
	index := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, u, ok := strings.Cut(part, "=")
		if !ok || name == "" || u == "" {
			return nil, fmt.Errorf("--initial-cluster: %q is not name=peerURL", part)
		}
		if err := checkURL(u); err != nil {
			return nil, fmt.Errorf("--initial-cluster: %w", err)
		}
		if i, seen := index[name]; seen {
			out[i].PeerURLs = append(out[i].PeerURLs, u)
			continue
		}
		index[name] = len(out)
		out = append(out, InitialMember{Name: name, PeerURLs: []string{u}})
	}
	if len(out) == 0 {
		return nil, errors.New("--initial-cluster is empty")
	}
	return out, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme must be http or https: %q", s)
	}
	if u.Host == "" || u.Port() == "" {
		return fmt.Errorf("URL address does not have the form \"host:port\": %s", s)
	}
	if u.Path != "" && u.Path != "/" {
		return fmt.Errorf("URL must not contain a path: %s", s)
	}
	return nil
}

// Validate checks the configuration and fills derived defaults. Its
// messages follow etcd's where etcd has them.
func (c *Config) Validate() error {
	if c.Name == "" {
		return errors.New("--name must not be empty")
	}
	if c.DataDir == "" {
		c.DataDir = c.Name + ".raftkv"
	}
	for flag, urls := range map[string][]string{
		"--listen-client-urls":          c.ListenClientURLs,
		"--advertise-client-urls":       c.AdvertiseClientURLs,
		"--listen-peer-urls":            c.ListenPeerURLs,
		"--initial-advertise-peer-urls": c.InitialAdvertisePeerURLs,
	} {
		if len(urls) == 0 {
			return fmt.Errorf("%s must not be empty", flag)
		}
		for _, u := range urls {
			if err := checkURL(u); err != nil {
				return fmt.Errorf("%s: %w", flag, err)
			}
		}
	}
	if c.WatchProgressNotifyInterval <= 0 {
		return errors.New("--watch-progress-notify-interval must be positive")
	}
	if c.AuthTokenTTL <= 0 {
		return errors.New("--auth-token-ttl must be at least 1 (second)")
	}
	// (etcd takes a cost outside bcrypt's range as its default, with a
	// warning; a flag that cannot be honoured is better said at once.)
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return fmt.Errorf("--bcrypt-cost %d: must be from 4 to 31", c.BcryptCost)
	}
	switch c.InitialClusterState {
	case "new", "existing":
	default:
		return fmt.Errorf("invalid value %q for flag -initial-cluster-state: must be \"new\" or \"existing\"", c.InitialClusterState)
	}
	if c.HeartbeatInterval <= 0 {
		return errors.New("--heartbeat-interval must be positive")
	}
	if c.ElectionTimeout < 5*c.HeartbeatInterval {
		return fmt.Errorf("--election-timeout[%vms] should be at least as 5 times as --heartbeat-interval[%vms]",
			c.ElectionTimeout.Milliseconds(), c.HeartbeatInterval.Milliseconds())
	}
	if c.ElectionTimeout > 50*time.Second {
		return fmt.Errorf("--election-timeout[%vms] is too long, and should be set less than 50 seconds", c.ElectionTimeout.Milliseconds())
	}
	if c.SnapshotCount == 0 {
		return errors.New("--snapshot-count must be positive")
	}
	if c.MaxRequestBytes <= 0 {
		return errors.New("--max-request-bytes must be positive")
	}
	if c.MaxTxnOps <= 0 {
		return errors.New("--max-txn-ops must be positive")
	}
	if c.CorruptCheckTime < 0 {
		return fmt.Errorf("--corrupt-check-time must not be negative (got %v)", c.CorruptCheckTime)
	}
	if _, _, err := parseCompactionRetention(c.AutoCompactionMode, c.AutoCompactionRetention); err != nil {
		return err
	}
	members, err := ParseInitialCluster(c.InitialCluster)
	if err != nil {
		return err
	}
	seen := map[string]string{}
	for _, m := range members {
		for _, u := range m.PeerURLs {
			if other, dup := seen[u]; dup {
				return fmt.Errorf("--initial-cluster has duplicate peer URL %s (members %s and %s)", u, other, m.Name)
			}
			seen[u] = m.Name
		}
	}
	var self *InitialMember
	for i := range members {
		if members[i].Name == c.Name {
			self = &members[i]
		}
	}
	if self == nil {
		return fmt.Errorf("couldn't find local name %q in the initial cluster configuration", c.Name)
	}
	want := slices.Sorted(slices.Values(self.PeerURLs))
	have := slices.Sorted(slices.Values(c.InitialAdvertisePeerURLs))
	if !slices.Equal(want, have) {
		return fmt.Errorf("--initial-cluster has %s=%s but missing from --initial-advertise-peer-urls=%s",
			c.Name, strings.Join(self.PeerURLs, ","), strings.Join(c.InitialAdvertisePeerURLs, ","))
	}
	for _, tls := range []struct {
		name string
		t    TLSFiles
	}{{"", c.ClientTLS}, {"peer-", c.PeerTLS}} {
		if (tls.t.CertFile == "") != (tls.t.KeyFile == "") {
			return fmt.Errorf("--%scert-file and --%skey-file must be given together", tls.name, tls.name)
		}
		if tls.t.ClientCertAuth && tls.t.TrustedCAFile == "" {
			return fmt.Errorf("--%sclient-cert-auth needs --%strusted-ca-file", tls.name, tls.name)
		}
	}
	return nil
}

// ElectionTicks is the election timeout in heartbeat ticks.
func (c *Config) ElectionTicks() int {
	return int(c.ElectionTimeout / c.HeartbeatInterval)
}
