package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/raftkv/raftkv/proxy"
)

// `raftkv grpc-proxy start`: etcd's gRPC proxy (package proxy), with
// etcd's flags, names and defaults.

const grpcProxyUsage = `Usage: raftkv grpc-proxy start [flags]

Start a proxy in front of a cluster: it serves etcd's gRPC API and the JSON
gateway, shares the watches of its clients on the cluster, answers
serializable reads from a cache, and merges lease keep-alives.

Flags:
`

// grpcProxyFlags are the flags of grpc-proxy start.
type grpcProxyFlags struct {
	cfg         proxy.Config
	listenAddr  string
	metricsAddr string
	endpoints   []string
	maxRecv     int
	debug       bool
	// To the members.
	cert, key, cacert string
	insecureSkip      bool
	// To the clients.
	certFile, keyFile, trustedCAFile string
	tlsMinVersion, tlsMaxVersion     string
	dataDir                          string
}

func parseGRPCProxyFlags(args []string, stderr io.Writer) (*grpcProxyFlags, error) {
	f := &grpcProxyFlags{endpoints: []string{"127.0.0.1:2379"}}
	f.cfg.MaxConcurrentStreams = math.MaxUint32
	fs := flag.NewFlagSet("raftkv grpc-proxy start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, grpcProxyUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.listenAddr, "listen-addr", "127.0.0.1:23790", "listen address")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "listen for endpoint /metrics requests on an additional interface")
	fs.Var(urlList{&f.endpoints}, "endpoints", "comma separated etcd cluster endpoints")
	fs.DurationVar(&f.cfg.AutoSyncInterval, "endpoints-auto-sync-interval", 0, "etcd endpoints auto sync interval (disabled by default)")
	fs.DurationVar(&f.cfg.DialKeepAliveTime, "dial-keepalive-time", 0, "keepalive time for client(grpc-proxy) connections (default 0, disable).")
	fs.DurationVar(&f.cfg.DialKeepAliveTimeout, "dial-keepalive-timeout", 20*time.Second, "keepalive timeout for client(grpc-proxy) connections (default 20s).")
	fs.BoolVar(&f.cfg.PermitWithoutStream, "permit-without-stream", false, "Enable client(grpc-proxy) to send keepalive pings even with no active RPCs.")
	fs.StringVar(&f.cfg.AdvertiseClientURL, "advertise-client-url", "127.0.0.1:23790", "advertise address to register (must be reachable by client)")
	fs.StringVar(&f.cfg.ResolverPrefix, "resolver-prefix", "", "prefix to use for registering proxy (must be shared with other grpc-proxy members)")
	fs.Int64Var(&f.cfg.ResolverTTL, "resolver-ttl", 0, "specify TTL, in seconds, when registering proxy endpoints")
	fs.StringVar(&f.cfg.Namespace, "namespace", "", "string to prefix to all keys for namespacing requests")
	fs.BoolVar(&f.cfg.EnablePprof, "enable-pprof", false, `Enable runtime profiling data via HTTP server. Address is at client URL + "/debug/pprof/"`)
	fs.StringVar(&f.dataDir, "data-dir", "default.proxy", "Data directory for persistent data (etcd keeps --auto-tls certificates there; raftkv's proxy keeps nothing)")
	fs.IntVar(&f.cfg.MaxSendBytes, "max-send-bytes", 1536*1024, "message send limits in bytes (default value is 1.5 MiB)")
	fs.IntVar(&f.maxRecv, "max-recv-bytes", math.MaxInt32, "message receive limits in bytes (default value is math.MaxInt32)")
	fs.Var(uint32Flag{&f.cfg.MaxConcurrentStreams}, "max-concurrent-streams", "Maximum concurrent streams that each client can open at a time.")
	fs.StringVar(&f.cert, "cert", "", "identify secure connections with etcd servers using this TLS certificate file")
	fs.StringVar(&f.key, "key", "", "identify secure connections with etcd servers using this TLS key file")
	fs.StringVar(&f.cacert, "cacert", "", "verify certificates of TLS-enabled secure etcd servers using this CA bundle")
	fs.BoolVar(&f.insecureSkip, "insecure-skip-tls-verify", false, "skip authentication of etcd server TLS certificates (CAUTION: this option should be enabled only for testing purposes)")
	fs.StringVar(&f.certFile, "cert-file", "", "identify secure connections to the proxy using this TLS certificate file")
	fs.StringVar(&f.keyFile, "key-file", "", "identify secure connections to the proxy using this TLS key file")
	fs.StringVar(&f.trustedCAFile, "trusted-ca-file", "", "verify certificates of TLS-enabled secure proxy using this CA bundle")
	fs.StringVar(&f.tlsMinVersion, "tls-min-version", "TLS1.2", "Minimum TLS version supported by grpc proxy. Possible values: TLS1.2, TLS1.3.")
	fs.StringVar(&f.tlsMaxVersion, "tls-max-version", "", "Maximum TLS version supported by grpc proxy. Possible values: TLS1.2, TLS1.3 (empty defers to Go).")
	fs.BoolVar(&f.debug, "debug", false, "Enable debug-level logging for grpc-proxy.")
	// etcd's flags that raftkv's proxy does not implement: refused by
	// name, rather than as unknown, so that the reason is clear.
	unsupported := map[string]bool{}
	for name, isBool := range map[string]bool{
		"discovery-srv": false, "discovery-srv-name": false, "insecure-discovery": true, "auto-tls": true, "client-crl-file": false,
		"listen-cipher-suites": false, "self-signed-cert-validity": false, "experimental-serializable-ordering": true,
		"experimental-leasing-prefix": false, "experimental-enable-grpc-logging": true,
		"grpc-keepalive-min-time": false, "grpc-keepalive-interval": false, "grpc-keepalive-timeout": false,
	} {
		unsupported[name] = true
		fs.Var(notImplemented{isBool}, name, "(etcd's; not implemented by raftkv)")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("'%s' is not a valid flag", fs.Arg(0))
	}
	var err error
	fs.Visit(func(fl *flag.Flag) {
		if _, ok := unsupported[fl.Name]; ok && err == nil {
			err = fmt.Errorf("--%s is one of etcd's grpc-proxy flags that raftkv does not implement", fl.Name)
		}
	})
	if err != nil {
		return nil, err
	}
	f.cfg.Endpoints = f.endpoints
	return f, nil
}

// notImplemented is an etcd flag raftkv knows of but does not implement:
// given, it is refused with that reason.
type notImplemented struct{ isBool bool }

func (notImplemented) String() string     { return "" }
func (notImplemented) Set(string) error   { return nil }
func (n notImplemented) IsBoolFlag() bool { return n.isBool }

// runGRPCProxy runs `raftkv grpc-proxy <args>` until a signal or stop.
func runGRPCProxy(args []string, stderr io.Writer, stop <-chan struct{}) int {
	if len(args) == 0 || args[0] != "start" {
		fmt.Fprint(stderr, "Usage: raftkv grpc-proxy start [flags]\n")
		return 2
	}
	f, err := parseGRPCProxyFlags(args[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	level := slog.LevelInfo
	if f.debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	f.cfg.Logger = logger
	if f.cfg.ClusterTLS, err = clusterTLS(f.cert, f.key, f.cacert, f.insecureSkip); err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	if f.insecureSkip {
		logger.Warn("--insecure-skip-tls-verify was given: this proxy does not check the members' TLS certificates. Use it for testing only.")
	}
	clientTLS, err := listenTLS(f.certFile, f.keyFile, f.trustedCAFile, f.tlsMinVersion, f.tlsMaxVersion)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	p, err := proxy.New(f.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	defer p.Close()
	ln, err := net.Listen("tcp", f.listenAddr)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	errc := make(chan error, 2)
	go func() { errc <- p.Serve(ln, clientTLS) }()
	if f.metricsAddr != "" {
		mln, mtls, err := metricsListener(f.metricsAddr, clientTLS)
		if err != nil {
			fmt.Fprintf(stderr, "raftkv: --metrics-addr: %v\n", err)
			return 2
		}
		go func() { errc <- p.ServeMetrics(mln, mtls) }()
		logger.Info("gRPC proxy listening for metrics", "address", f.metricsAddr)
	}
	logger.Info("started gRPC proxy", "address", f.listenAddr, "endpoints", f.cfg.Endpoints, "namespace", f.cfg.Namespace)
	return waitForEnd(logger, errc, stderr, stop)
}

// waitForEnd blocks until a signal, stop, or a server's failure.
func waitForEnd(logger *slog.Logger, errc <-chan error, stderr io.Writer, stop <-chan struct{}) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case sig := <-sigs:
		logger.Info("received signal; shutting down", "signal", sig.String())
		return 0
	case <-stop:
		return 0
	case err := <-errc:
		if err != nil {
			fmt.Fprintf(stderr, "raftkv: %v\n", err)
			return 1
		}
		return 0
	}
}

// metricsListener listens on --metrics-addr, a URL whose scheme says
// whether it speaks TLS (the proxy's own certificate).
func metricsListener(addr string, clientTLS *tls.Config) (net.Listener, *tls.Config, error) {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return nil, nil, fmt.Errorf("cannot parse %q", addr)
	}
	var tlsCfg *tls.Config
	if u.Scheme == "https" {
		if clientTLS == nil {
			return nil, nil, errors.New("an https address needs --cert-file and --key-file")
		}
		tlsCfg = clientTLS
	}
	ln, err := net.Listen("tcp", u.Host)
	return ln, tlsCfg, err
}
