package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/raftkv/raftkv/proxy/gateway"
)

// `raftkv gateway start`: etcd's TCP gateway (package proxy/gateway), with
// etcd's flags and defaults.

const gatewayUsage = `Usage: raftkv gateway start [flags]

Start a TCP gateway: each client connection is forwarded to one of the
members, round-robin among those that answer.

Flags:
`

func runGateway(args []string, stderr io.Writer, stop <-chan struct{}) int {
	if len(args) == 0 || args[0] != "start" {
		fmt.Fprint(stderr, "Usage: raftkv gateway start [flags]\n")
		return 2
	}
	endpoints := []string{"127.0.0.1:2379"}
	fs := flag.NewFlagSet("raftkv gateway start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, gatewayUsage)
		fs.PrintDefaults()
	}
	listenAddr := fs.String("listen-addr", "127.0.0.1:23790", "listen address")
	fs.Var(urlList{&endpoints}, "endpoints", "comma separated etcd cluster endpoints")
	retryDelay := fs.Duration("retry-delay", time.Minute, "duration of delay before retrying failed endpoints")
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("'%s' is not a valid flag", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	g := &gateway.Gateway{Endpoints: stripSchemes(endpoints), RetryDelay: *retryDelay, Logger: logger}
	ln, err := net.Listen("tcp", *listenAddr)
	if err != nil {
		fmt.Fprintf(stderr, "raftkv: %v\n", err)
		return 1
	}
	defer g.Close()
	errc := make(chan error, 1)
	go func() { errc <- g.Serve(ln) }()
	logger.Info("started gateway", "address", *listenAddr, "endpoints", endpoints)
	return waitForEnd(logger, errc, stderr, stop)
}

// stripSchemes turns URLs into host:port, as etcd's gateway does: it
// forwards bytes, whatever the scheme.
func stripSchemes(eps []string) []string {
	out := make([]string, len(eps))
	for i, ep := range eps {
		if _, rest, ok := strings.Cut(ep, "://"); ok {
			ep = rest
		}
		out[i] = ep
	}
	return out
}
