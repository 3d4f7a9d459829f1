package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/raftkv/raftkv/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}

// run starts the member and blocks until it stops or a signal arrives. stop,
// if not nil, stops it too (tests). It returns the process exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, stop <-chan struct{}) int {
	// etcd's proxy modes are subcommands beside the member's flags.
	if len(args) > 0 {
		switch args[0] {
		case "grpc-proxy":
			return runGRPCProxy(args[1:], stderr, stop)
		case "gateway":
			return runGateway(args[1:], stderr, stop)
		}
	}
	cfg, showVersion, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	if showVersion {
		// raftkv's own version, and the etcd API version it implements
		// (what clients are told: Status.version, /version).
		fmt.Fprintf(stdout, "raftkv Version: %s\netcd API Version: %s\nGo Version: %s\n", server.Version, server.EtcdVersion, goVersion())
		return 0
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := server.Start(cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case sig := <-sigs:
		logger.Info("received signal; shutting down", "signal", sig.String())
		srv.Stop()
		return 0
	case <-stop:
		srv.Stop()
		return 0
	case <-srv.Done():
		srv.Stop()
		if err := srv.Err(); err != nil && !errors.Is(err, server.ErrStopped) {
			fmt.Fprintf(stderr, "raftkv: %v\n", err)
			return 1
		}
		return 0
	}
}

// urlList is a comma-separated list of URLs.
type urlList struct{ v *[]string }

func (u urlList) String() string {
	if u.v == nil {
		return ""
	}
	return strings.Join(*u.v, ",")
}

func (u urlList) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*u.v = out
	return nil
}

// msDuration is a duration given in milliseconds, as etcd's flags are.
type msDuration struct{ v *time.Duration }

func (d msDuration) String() string {
	if d.v == nil {
		return "0"
	}
	return fmt.Sprint(d.v.Milliseconds())
}

func (d msDuration) Set(s string) error {
	var ms uint64
	if _, err := fmt.Sscan(s, &ms); err != nil {
		return fmt.Errorf("not a number of milliseconds: %q", s)
	}
	*d.v = time.Duration(ms) * time.Millisecond
	return nil
}

// uint32Flag is a flag holding an unsigned 32-bit number.
type uint32Flag struct{ v *uint32 }

func (f uint32Flag) String() string {
	if f.v == nil {
		return "0"
	}
	return strconv.FormatUint(uint64(*f.v), 10)
}

func (f uint32Flag) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return fmt.Errorf("not a number from 0 to %d: %q", uint32(math.MaxUint32), s)
	}
	*f.v = uint32(n)
	return nil
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (server.Config, bool, error) {
	cfg := server.DefaultConfig()
	fs := flag.NewFlagSet("raftkv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Name, "name", cfg.Name, "Human-readable name for this member.")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "Path to the data directory (default \"${name}.raftkv\").")
	fs.Var(urlList{&cfg.ListenClientURLs}, "listen-client-urls", "List of URLs to listen on for client traffic.")
	fs.Var(urlList{&cfg.AdvertiseClientURLs}, "advertise-client-urls", "List of this member's client URLs to advertise to the rest of the cluster.")
	fs.Var(urlList{&cfg.ListenPeerURLs}, "listen-peer-urls", "List of URLs to listen on for peer traffic.")
	fs.Var(urlList{&cfg.InitialAdvertisePeerURLs}, "initial-advertise-peer-urls", "List of this member's peer URLs to advertise to the rest of the cluster.")
	fs.StringVar(&cfg.InitialCluster, "initial-cluster", cfg.InitialCluster, "Initial cluster configuration for bootstrapping, as name=peerURL pairs.")
	fs.StringVar(&cfg.InitialClusterState, "initial-cluster-state", cfg.InitialClusterState, "Initial cluster state ('new' or 'existing').")
	fs.StringVar(&cfg.InitialClusterToken, "initial-cluster-token", cfg.InitialClusterToken, "Initial cluster token for the cluster during bootstrap.")
	fs.Var(msDuration{&cfg.HeartbeatInterval}, "heartbeat-interval", "Time (in milliseconds) of a heartbeat interval.")
	fs.Var(msDuration{&cfg.ElectionTimeout}, "election-timeout", "Time (in milliseconds) for an election to timeout.")
	fs.Uint64Var(&cfg.SnapshotCount, "snapshot-count", cfg.SnapshotCount, "Number of committed transactions to trigger a snapshot to disk.")
	fs.Uint64Var(&cfg.SnapshotCatchUpEntries, "snapshot-catchup-entries", cfg.SnapshotCatchUpEntries, "Number of entries for a slow follower to catch up after compacting the raft storage entries.")
	fs.IntVar(&cfg.MaxRequestBytes, "max-request-bytes", cfg.MaxRequestBytes, "Maximum client request size in bytes the server will accept.")
	fs.IntVar(&cfg.MaxTxnOps, "max-txn-ops", cfg.MaxTxnOps, "Maximum number of operations permitted in a transaction.")
	fs.Var(uint32Flag{&cfg.MaxConcurrentStreams}, "max-concurrent-streams", "Maximum concurrent streams that each client can open at a time (default unlimited).")
	fs.Int64Var(&cfg.QuotaBackendBytes, "quota-backend-bytes", cfg.QuotaBackendBytes, "Raise alarms when the store's size exceeds the given quota. 0 means the default quota (2 GiB), a negative value no quota.")
	fs.StringVar(&cfg.AutoCompactionMode, "auto-compaction-mode", cfg.AutoCompactionMode, "Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention.")
	fs.StringVar(&cfg.AutoCompactionRetention, "auto-compaction-retention", cfg.AutoCompactionRetention, "Auto compaction retention for mvcc key value store. 0 means disable auto compaction.")
	fs.DurationVar(&cfg.WatchProgressNotifyInterval, "watch-progress-notify-interval", cfg.WatchProgressNotifyInterval, "Duration of periodic watch progress notifications.")
	fs.StringVar(&cfg.AuthToken, "auth-token", cfg.AuthToken, "Specify auth token specific options: simple, or jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...")
	authTTL := fs.Uint("auth-token-ttl", uint(cfg.AuthTokenTTL/time.Second), "The lifetime in seconds of the auth token.")
	fs.IntVar(&cfg.BcryptCost, "bcrypt-cost", cfg.BcryptCost, "Specify bcrypt algorithm cost factor for auth password hashing (4 to 31).")
	fs.StringVar(&cfg.ClientTLS.CertFile, "cert-file", "", "Path to the client server TLS cert file.")
	fs.StringVar(&cfg.ClientTLS.KeyFile, "key-file", "", "Path to the client server TLS key file.")
	fs.StringVar(&cfg.ClientTLS.TrustedCAFile, "trusted-ca-file", "", "Path to the client server TLS trusted CA cert file.")
	fs.BoolVar(&cfg.ClientTLS.ClientCertAuth, "client-cert-auth", false, "Enable client cert authentication.")
	fs.StringVar(&cfg.PeerTLS.CertFile, "peer-cert-file", "", "Path to the peer server TLS cert file.")
	fs.StringVar(&cfg.PeerTLS.KeyFile, "peer-key-file", "", "Path to the peer server TLS key file.")
	fs.StringVar(&cfg.PeerTLS.TrustedCAFile, "peer-trusted-ca-file", "", "Path to the peer server TLS trusted CA file.")
	fs.BoolVar(&cfg.PeerTLS.ClientCertAuth, "peer-client-cert-auth", false, "Enable peer client cert authentication.")
	gates := featureGates{}
	fs.Var(gates, "feature-gates", "A set of key=value pairs that describe server level feature gates for alpha/experimental features. raftkv implements InitialCorruptCheck (check data corruption before serving any client/peer traffic); etcd's other gates are accepted and have no effect.")
	fs.DurationVar(&cfg.CorruptCheckTime, "corrupt-check-time", 0, "Duration of time between cluster corruption check passes (0: never).")
	// etcd 3.6's names, deprecated there and gone from etcd 3.7: still
	// accepted, with etcd 3.6's warning.
	expInitialCheck := fs.Bool("experimental-initial-corrupt-check", false, "Enable to check data corruption before serving any client/peer traffic. Deprecated: use --feature-gates=InitialCorruptCheck=true.")
	expCheckTime := fs.Duration("experimental-corrupt-check-time", 0, "Duration of time between cluster corruption check passes. Deprecated: use --corrupt-check-time.")
	fs.BoolVar(&cfg.EnablePprof, "enable-pprof", false, "Enable runtime profiling data via HTTP server. Address is at client URL + \"/debug/pprof/\"")
	fs.BoolVar(&cfg.ExperimentalDebugControls, "experimental-debug-controls", false, "Enable the learner's controls on /ui (loopback only).")
	version := fs.Bool("version", false, "Print the version and exit.")

	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("'%s' is not a valid flag", fs.Arg(0))
	}

	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// Environment variables fill in what the command line did not set.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || envErr != nil {
			return
		}
		key := "RAFTKV_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if val := getenv(key); val != "" {
			if err := f.Value.Set(val); err != nil {
				envErr = fmt.Errorf("invalid value %q for %s: %v", val, key, err)
			}
			set[f.Name] = true
		}
	})
	if envErr != nil {
		return cfg, false, envErr
	}
	if err := corruptCheckFlags(&cfg, set, gates, *expInitialCheck, *expCheckTime, stderr); err != nil {
		return cfg, false, err
	}
	// As etcd: a member named something other than "default" with no
	// --initial-cluster is a one-member cluster of itself.
	if !set["initial-cluster"] && cfg.Name != "default" {
		cfg.InitialCluster = cfg.Name + "=" + strings.Join(cfg.InitialAdvertisePeerURLs, ","+cfg.Name+"=")
	}
	cfg.AuthTokenTTL = time.Duration(*authTTL) * time.Second
	return cfg, *version, nil
}

// corruptCheckFlags settles the corruption check's flags (server/corrupt.go):
// etcd 3.7's --feature-gates=InitialCorruptCheck=true and
// --corrupt-check-time, or etcd 3.6's deprecated --experimental-* names,
// never both for the same setting (etcd 3.6 refuses that too).
func corruptCheckFlags(cfg *server.Config, set map[string]bool, gates featureGates, expInitialCheck bool, expCheckTime time.Duration, stderr io.Writer) error {
	_, gateGiven := gates["InitialCorruptCheck"]
	cfg.InitialCorruptCheck = gates.enabled("InitialCorruptCheck")
	if set["experimental-initial-corrupt-check"] {
		if gateGiven {
			return fmt.Errorf("cannot specify both flags: --experimental-initial-corrupt-check=%v and --feature-gates=InitialCorruptCheck=%v at the same time, please just use --feature-gates=InitialCorruptCheck=%v",
				expInitialCheck, cfg.InitialCorruptCheck, cfg.InitialCorruptCheck)
		}
		fmt.Fprintln(stderr, "raftkv: warning: --experimental-initial-corrupt-check is deprecated in v3.6 and will be decommissioned in v3.7. Use '--feature-gates=InitialCorruptCheck=true' instead.")
		cfg.InitialCorruptCheck = expInitialCheck
	}
	if set["experimental-corrupt-check-time"] {
		if set["corrupt-check-time"] {
			return errors.New("cannot set --experimental-corrupt-check-time and --corrupt-check-time at the same time, please use --corrupt-check-time only")
		}
		fmt.Fprintln(stderr, "raftkv: warning: --experimental-corrupt-check-time is deprecated in v3.6 and will be decommissioned in v3.7. Use '--corrupt-check-time' instead.")
		cfg.CorruptCheckTime = expCheckTime
	}
	for _, name := range gates.ignored() {
		fmt.Fprintf(stderr, "raftkv: warning: --feature-gates: %s has no effect in raftkv\n", name)
	}
	return nil
}

const usage = `Usage: raftkv [flags]

Start a raftkv member: a strongly consistent key-value store that speaks
etcd's v3 JSON API. With no flags, a one-member cluster listening on
http://localhost:2379, with its data in ./default.raftkv.

Every flag can also be given as an environment variable: --initial-cluster
is RAFTKV_INITIAL_CLUSTER, and so on. The command line wins.

Flags:
`
