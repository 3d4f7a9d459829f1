package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

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
