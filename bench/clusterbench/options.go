package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// options are the command line, checked.
type options struct {
	raftkv, etcd, benchmark, httpbench, httpbenchSrc string

	rows          []row
	reps, series  int
	total         int
	settle        time.Duration
	runTimeout    time.Duration
	out           string
	workDir       string
	profilePrefix string
	profileRow    row
	profileFor    time.Duration
}

// errFlagsReported is a command line the flag package has already
// explained, with the usage.
var errFlagsReported = errors.New("bad flags")

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("clusterbench", flag.ContinueOnError)
	fs.StringVar(&o.raftkv, "raftkv", "", "raftkv binary (default: go build github.com/raftkv/raftkv/cmd/raftkv from this repository)")
	fs.StringVar(&o.etcd, "etcd", "/work/etcd-bin/etcd", "etcd binary (v3.7.3 for the baseline's comparison)")
	fs.StringVar(&o.benchmark, "benchmark", "/work/etcd-bin/benchmark", "etcd's benchmark tool (go.etcd.io/etcd/v3@v3.6.8 tools/benchmark), for the gRPC rows")
	fs.StringVar(&o.httpbench, "httpbench", "", "httpbench binary, for the HTTP rows (default: go build it from -httpbench-src)")
	fs.StringVar(&o.httpbenchSrc, "httpbench-src", "/work/shared/tools/httpbench", "httpbench's source directory")
	rows := fs.String("rows", "all", "rows to run: all, grpc, http, or a comma-separated list of row ids ("+strings.Join(rowIDs(), ", ")+")")
	fs.IntVar(&o.reps, "reps", 3, "repetitions of every row per series, interleaved")
	fs.IntVar(&o.series, "series", 2, "series, each on a fresh cluster of each system")
	fs.IntVar(&o.total, "total", 20000, "requests per run (the baseline's 20000; smaller only for smoke tests)")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "pause after every reset, before the run")
	fs.DurationVar(&o.runTimeout, "run-timeout", 10*time.Minute, "give up on a run that takes longer")
	fs.StringVar(&o.out, "out", "", "append the raw data here: a JSON line per run, after one describing the invocation")
	fs.StringVar(&o.workDir, "workdir", os.TempDir(), "where the members' data dirs go (one disk for both systems)")
	fs.StringVar(&o.profilePrefix, "profile", "", "after series 1, write a CPU profile of each system's leader under -profile-row load to PREFIX-raftkv.pprof and PREFIX-etcd.pprof")
	profileRow := fs.String("profile-row", "http-put-c128", "the row whose load runs during -profile")
	profileSeconds := fs.Int("profile-seconds", 10, "length of each -profile, in seconds")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errFlagsReported
	}
	o.profileFor = time.Duration(*profileSeconds) * time.Second
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.rows, err = selectRows(*rows); err != nil {
		return o, err
	}
	if o.profileRow, err = findRow(*profileRow); err != nil {
		return o, fmt.Errorf("-profile-row: %w", err)
	}
	switch {
	case o.reps < 1 || o.series < 1:
		return o, errors.New("-reps and -series must be at least 1")
	case o.total < 1:
		return o, errors.New("-total must be at least 1")
	case o.profileFor < time.Second || o.profileFor > 2*time.Minute:
		// httpbench's load ends after its -max-duration of 150 s.
		return o, errors.New("-profile-seconds must be between 1 and 120")
	}
	return o, nil
}
