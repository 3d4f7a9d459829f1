package main

import (
	"context"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
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

func main() {
	opt, err := parseOptions(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		if !errors.Is(err, errFlagsReported) {
			fmt.Fprintln(os.Stderr, "clusterbench:", err)
		}
		os.Exit(2)
	}
	// Ctrl-C or SIGTERM cancels the run; the deferred stops then end the
	// clusters and remove their data dirs before the driver exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opt)
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		fmt.Fprintln(os.Stderr, "clusterbench: interrupted; the clusters are stopped and their data dirs removed")
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opt options) (err error) {
	work, err := os.MkdirTemp(opt.workDir, "clusterbench-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(work)) }()
	if err := requireDisk(work); err != nil {
		return err
	}

	tools, systems, versions, err := prepareBinaries(opt, filepath.Join(work, "bin"))
	if err != nil {
		return err
	}
	raw, err := openRawLog(opt.out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, raw.close()) }()
	var ids []string
	for _, r := range opt.rows {
		ids = append(ids, r.id)
	}
	meta := metaRecord{Kind: "meta", Started: time.Now().UTC().Format(time.RFC3339), Args: os.Args, Versions: versions,
		CPUs: runtime.NumCPU(), Rows: ids, Reps: opt.reps, Series: opt.series, Total: opt.total, Settle: opt.settle.String()}
	if err := raw.write(meta); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(versions)) {
		fmt.Fprintf(os.Stderr, "%s: %s\n", k, versions[k])
	}

	began := time.Now()
	var rs results
	for s := 1; s <= opt.series; s++ {
		got, err := runSeries(ctx, s, systems, tools, opt, work, raw)
		rs = append(rs, got...)
		if err != nil {
			return fmt.Errorf("series %d: %w", s, err)
		}
	}
	fmt.Fprintf(os.Stderr, "%d runs in %s\n", len(rs), time.Since(began).Round(time.Second))
	printReport(os.Stdout, opt.rows, rs, opt.series)
	return nil
}

// runSeries starts a fresh cluster of each system and runs every row reps
// times on both, interleaved: repetition 1 of every row, then repetition
// 2, and within a row the two systems one right after the other, so that
// both meet the same state of the machine. The order of the two systems
// alternates from one repetition to the next, so that neither always runs
// first.
//
// Both clusters stay up for the whole series, the idle one only
// heartbeating; measure records what that costs (idle_cluster_cpu_us_per_op).
func runSeries(ctx context.Context, s int, systems []system, tools loadTools, opt options, work string, raw *rawLog) (rs results, err error) {
	ports, err := reservePorts(len(systems) * membersPerCluster * 2)
	if err != nil {
		return nil, err
	}
	var clusters []*cluster
	defer func() {
		for _, c := range clusters {
			began := time.Now()
			err = errors.Join(err, c.stop())
			fmt.Fprintf(os.Stderr, "series %d: %s cluster stopped in %s\n", s, c.sys.name, time.Since(began).Round(time.Millisecond))
		}
	}()
	for i, sys := range systems {
		dir := filepath.Join(work, fmt.Sprintf("series%d-%s", s, sys.name))
		c, err := startCluster(ctx, sys, dir, ports[i*membersPerCluster*2:(i+1)*membersPerCluster*2], opt.profilePrefix != "")
		if err != nil {
			return nil, err
		}
		clusters = append(clusters, c)
		lead, err := c.leader(ctx, 30*time.Second)
		if err != nil {
			return nil, err
		}
		// The range rows read this key; its value is 256 bytes like
		// the puts'.
		if err := put(ctx, lead, rangeKey, strings.Repeat("v", 256)); err != nil {
			return nil, fmt.Errorf("%s: put %s: %w", sys.name, rangeKey, err)
		}
		fmt.Fprintf(os.Stderr, "series %d: %s cluster up in %s, leader %s (%s)\n", s, sys.name, dir, lead.name, lead.clientURL)
	}

	for rep := 1; rep <= opt.reps; rep++ {
		order := slices.Clone(clusters)
		if ((s-1)*opt.reps+rep-1)%2 == 1 {
			slices.Reverse(order)
		}
		for _, r := range opt.rows {
			for i, c := range order {
				rec, err := measure(ctx, c, order[1-i], r, tools, opt)
				if err != nil {
					return rs, err
				}
				rec.Series, rec.Rep = s, rep
				rs = append(rs, rec)
				if err := raw.write(rec); err != nil {
					return rs, err
				}
				fmt.Fprintf(os.Stderr, "  s%d r%d %-36s %-6s %s %8.0f ops/s  p50 %6.2f p99 %6.2f ms  cpu %5.0f µs/op (leader %4.0f, tool %4.0f)  foreign %4.1f%%  errors %d\n",
					s, rep, r.label, rec.System, rec.Leader, rec.OpsS, rec.P50Ms, rec.P99Ms, rec.CPUUsPerOp, rec.LeaderCPUUsPerOp, rec.ToolCPUUsPerOp, rec.ForeignFrac*100, rec.Errors)
			}
		}
	}

	if s == 1 && opt.profilePrefix != "" {
		for _, c := range clusters {
			path := fmt.Sprintf("%s-%s.pprof", opt.profilePrefix, c.sys.name)
			if err := profileLeader(ctx, c, opt.profileRow, tools, opt, path); err != nil {
				return rs, err
			}
			fmt.Fprintf(os.Stderr, "series %d: %s leader profile under %s: %s\n", s, c.sys.name, opt.profileRow.label, path)
		}
	}
	return rs, nil
}

// requireDisk refuses a work dir in memory. Both stores fsync their log
// before they acknowledge a write; on tmpfs an fsync costs nothing, and
// the comparison would leave out what the baseline's disk charged for it.
func requireDisk(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return err
	}
	const tmpfsMagic, ramfsMagic = 0x01021994, 0x858458f6
	if st.Type == tmpfsMagic || st.Type == ramfsMagic {
		return fmt.Errorf("%s is in memory (tmpfs); give -workdir a directory on a disk", dir)
	}
	return nil
}

// prepareBinaries finds or builds every binary the selected rows need and
// asks each for its version, for the raw data's meta line.
func prepareBinaries(opt options, binDir string) (loadTools, []system, map[string]string, error) {
	versions := map[string]string{}
	rows := slices.Clone(opt.rows)
	if opt.profilePrefix != "" {
		rows = append(rows, opt.profileRow)
	}
	raftkv := opt.raftkv
	if raftkv == "" {
		// Built inside raftkv's own module (the replace target of
		// bench/go.mod), with its go.sum: this module does not carry the
		// server's dependencies.
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/raftkv/raftkv").Output()
		if err != nil {
			return loadTools{}, nil, nil, fmt.Errorf("find raftkv's source (run clusterbench from the bench/ directory, or give -raftkv): %w", err)
		}
		src := strings.TrimSpace(string(root))
		raftkv = filepath.Join(binDir, "raftkv")
		if err := goBuild(src, raftkv, "./cmd/raftkv"); err != nil {
			return loadTools{}, nil, nil, err
		}
		describe := exec.Command("git", "describe", "--always", "--dirty")
		describe.Dir = src
		versions["raftkv source"] = src + " at " + firstLine(describe.Output())
	}
	tools := loadTools{benchmark: opt.benchmark, httpbench: opt.httpbench}
	if tools.httpbench == "" && hasProto(rows, protoHTTP) {
		tools.httpbench = filepath.Join(binDir, "httpbench")
		if err := goBuild(opt.httpbenchSrc, tools.httpbench, "."); err != nil {
			return loadTools{}, nil, nil, err
		}
	}
	need := map[string]string{"raftkv": raftkv, "etcd": opt.etcd}
	if hasProto(rows, protoGRPC) {
		need["benchmark"] = tools.benchmark
	}
	if hasProto(rows, protoHTTP) {
		need["httpbench"] = tools.httpbench
	}
	for name, path := range need {
		if _, err := os.Stat(path); err != nil {
			return loadTools{}, nil, nil, fmt.Errorf("%s binary: %w", name, err)
		}
		versions[name] = path + " (" + buildInfo(path) + ")"
	}
	versions["raftkv version"] = firstLine(exec.Command(raftkv, "--version").Output())
	versions["etcd version"] = firstLine(exec.Command(opt.etcd, "--version").Output())
	systems := []system{{sysRaftkv, raftkv}, {sysEtcd, opt.etcd}}
	return tools, systems, versions, nil
}

// buildInfo says which module version a Go binary was built from, and
// with which Go: for etcd's benchmark tool the only record of its version.
func buildInfo(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "no Go build info: " + err.Error()
	}
	return fmt.Sprintf("%s from %s@%s, %s", bi.Path, bi.Main.Path, bi.Main.Version, bi.GoVersion)
}

func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func firstLine(b []byte, err error) string {
	if err != nil {
		return "unknown: " + err.Error()
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}
