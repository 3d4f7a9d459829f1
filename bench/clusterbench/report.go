package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// results are the measured runs, in the order they ran.
type results []runRecord

// of returns the runs of one row on one system; series 0 means all series.
func (rs results) of(rowID, sys string, series int) results {
	var out results
	for _, r := range rs {
		if r.Row == rowID && r.System == sys && (series == 0 || r.Series == series) {
			out = append(out, r)
		}
	}
	return out
}

func (rs results) values(f func(runRecord) float64) []float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	return v
}

func (rs results) spread(f func(runRecord) float64) spread { return spreadOf(rs.values(f)) }

func opsS(r runRecord) float64  { return r.OpsS }
func p50(r runRecord) float64   { return r.P50Ms }
func p99(r runRecord) float64   { return r.P99Ms }
func cpuUs(r runRecord) float64 { return r.CPUUsPerOp }

// The two systems, in the report's column order; the ratios are
// raftkv / etcd.
const (
	sysRaftkv = "raftkv"
	sysEtcd   = "etcd"
)

// printReport writes the comparison as markdown: one table per protocol,
// then the noise view.
func printReport(w io.Writer, rows []row, rs results, series int) {
	for _, p := range []protocol{protoGRPC, protoHTTP} {
		if !hasProto(rows, p) {
			continue
		}
		tool := "etcd's benchmark tool"
		if p == protoHTTP {
			tool = "httpbench, JSON gateway"
		}
		fmt.Fprintf(w, "\n### %s (%s)\n\n", p, tool)
		fmt.Fprintln(w, "| config | raftkv ops/s median [min–max] | etcd ops/s median [min–max] | ratio | raftkv p50 / p99 ms | etcd p50 / p99 ms | raftkv CPU µs/op [min–max] | etcd CPU µs/op [min–max] | CPU ratio |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
		for _, r := range rows {
			if r.proto != p {
				continue
			}
			rk, et := rs.of(r.id, sysRaftkv, 0), rs.of(r.id, sysEtcd, 0)
			rkOps, etOps := rk.spread(opsS), et.spread(opsS)
			rkCPU, etCPU := rk.spread(cpuUs), et.spread(cpuUs)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.label,
				withRange(rkOps), withRange(etOps), ratio(rkOps, etOps),
				latencies(rk), latencies(et),
				withRange(rkCPU), withRange(etCPU), ratio(rkCPU, etCPU))
		}
	}
	fmt.Fprintln(w, "\nratio = raftkv / etcd of the medians: above 1 raftkv serves more ops/s; a CPU ratio below 1 means raftkv spends less CPU per operation.")
	fmt.Fprintln(w, "CPU µs/op is the CPU of all three members together per request; latencies are medians of the per-run percentiles.")
	printNoise(w, rows, rs, series)
	printCaveats(w, rs)
}

// printNoise shows how much single runs and series differ, to judge which
// differences in the tables are real: per series, every run's ops/s and
// their median, and the ratio of each raftkv run to the etcd run of the
// same row and repetition, which ran right next to it in time.
func printNoise(w io.Writer, rows []row, rs results, series int) {
	fmt.Fprintln(w, "\n### Noise: per-series runs (ops/s) and medians")
	fmt.Fprintln(w)
	header := "| config | system |"
	for s := 1; s <= series; s++ {
		header += fmt.Sprintf(" series %d runs | series %d median |", s, s)
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, "| --- | --- |"+strings.Repeat(" --- | --- |", series))
	for _, r := range rows {
		for _, sys := range []string{sysRaftkv, sysEtcd} {
			line := fmt.Sprintf("| %s | %s |", r.label, sys)
			for s := 1; s <= series; s++ {
				runs := rs.of(r.id, sys, s)
				var each []string
				for _, v := range runs.values(opsS) {
					each = append(each, fmt.Sprintf("%.0f", v))
				}
				line += fmt.Sprintf(" %s | %s |", strings.Join(each, ", "), number(runs.spread(opsS).median, "%.0f"))
			}
			fmt.Fprintln(w, line)
		}
	}

	fmt.Fprintln(w, "\n### Noise: paired ratios (raftkv / etcd ops/s, same row and repetition)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| config | pairs | median [min–max] |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	for _, r := range rows {
		var ratios []string
		var v []float64
		for _, a := range rs.of(r.id, sysRaftkv, 0) {
			for _, b := range rs.of(r.id, sysEtcd, 0) {
				if a.Series == b.Series && a.Rep == b.Rep && b.OpsS > 0 {
					v = append(v, a.OpsS/b.OpsS)
					ratios = append(ratios, fmt.Sprintf("%.2f", a.OpsS/b.OpsS))
				}
			}
		}
		s := spreadOf(v)
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.label, strings.Join(ratios, ", "), rangeOf(s, "%.2f"))
	}
}

// printCaveats names what would make the tables less trustworthy: failed
// requests, and CPU used by others while the runs ran.
func printCaveats(w io.Writer, rs results) {
	if len(rs) == 0 {
		return
	}
	errs := map[string]int{}
	for _, r := range rs {
		if r.Errors > 0 {
			errs[r.System+" "+r.Row] += r.Errors
		}
	}
	fmt.Fprintln(w)
	if len(errs) == 0 {
		fmt.Fprintln(w, "All runs had 0 errors.")
	}
	for k, n := range errs {
		fmt.Fprintf(w, "WARNING: %s had %d failed requests (they count in ops/s and latency).\n", k, n)
	}
	foreign := rs.spread(func(r runRecord) float64 { return r.ForeignFrac })
	idle := rs.spread(func(r runRecord) float64 { return r.IdleCPUUsPerOp })
	fmt.Fprintf(w, "Machine CPU used by processes outside the benchmark during the runs: median %.1f %% [%.1f–%.1f %%] of all cores.\n",
		foreign.median*100, foreign.min*100, foreign.max*100)
	fmt.Fprintf(w, "CPU of the other (idle) cluster during a run: median %.1f µs/op [%.1f–%.1f].\n", idle.median, idle.min, idle.max)
}

func withRange(s spread) string {
	if !s.ok() {
		return "–"
	}
	return fmt.Sprintf("**%.0f** [%.0f–%.0f]", s.median, s.min, s.max)
}

func rangeOf(s spread, format string) string {
	if !s.ok() {
		return "–"
	}
	return fmt.Sprintf(format+" ["+format+"–"+format+"]", s.median, s.min, s.max)
}

func ratio(a, b spread) string {
	if !a.ok() || !b.ok() || b.median == 0 {
		return "–"
	}
	return fmt.Sprintf("**%.2f×**", a.median/b.median)
}

func latencies(rs results) string {
	if len(rs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f / %.2f", rs.spread(p50).median, rs.spread(p99).median)
}

func number(v float64, format string) string {
	if math.IsNaN(v) { // no runs
		return "–"
	}
	return fmt.Sprintf(format, v)
}
