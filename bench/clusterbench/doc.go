// Command clusterbench compares raftkv with etcd v3.7.3 the only way whose
// ratio means something: the same load generators with the same settings,
// against both systems, on the same machine, in the same run, interleaved.
// A comparison with figures measured on another day (or another machine)
// mixes the difference between the systems with the difference between
// the days: on this shared 2-core machine single runs already stray
// ±10–30 %.
//
// The method is that of ../shared/reference/etcd-baseline.md, applied to
// both systems at once:
//
//   - Clusters (cluster.go): every series starts a fresh 3-member cluster of
//     each system on loopback, with identical flags (--heartbeat-interval
//     100 --election-timeout 1000; raftkv takes etcd's flag names), on free
//     ports, data dirs on one disk.
//   - Rows (rows.go): gRPC put at 1/1, 16/4 and 128/8 clients/connections,
//     gRPC range of one key, linearizable and serializable, at 16/4 — with
//     etcd's own benchmark tool; the same five over the JSON gateway with
//     httpbench. 20000 requests each, 8-byte keys, 256-byte values; the
//     exact command lines are in tools.go and in the raw data.
//   - Interleaving (main.go): repetition 1 of every row, then repetition
//     2, …; each row runs on both systems back to back, the order of the two
//     alternating from one repetition to the next.
//   - Reset (reset.go): before every run, compact to the current revision
//     (physical), defragment every member, pause 2 s. All load goes to the
//     leader, looked up before every run.
//   - Accounting (accounting.go, measure.go): utime+stime of the three
//     members from /proc/PID/stat before and after, per request: the CPU
//     the whole cluster spends on one operation. Also recorded: the
//     leader's share, the load generator's, the idle other cluster's, and
//     the machine CPU used by processes outside the benchmark (a run that
//     shared the cores with someone else shows there).
//   - Report (report.go): per protocol, medians over reps × series runs with
//     min–max, latency percentiles as medians of the per-run percentiles;
//     then the noise: every run per series, and the raftkv/etcd ratio of
//     each pair of runs that ran side by side.
//
// To reproduce the comparison, with nothing else running on the machine:
//
//	cd bench && go run ./clusterbench -etcd /work/etcd-bin/etcd -benchmark /work/etcd-bin/benchmark \
//	    -httpbench-src /work/shared/tools/httpbench -rows all -reps 3 -series 2 \
//	    -out /tmp/clusterbench.jsonl -profile /tmp/clusterbench > /tmp/clusterbench.md
//
// It makes 10 rows × 2 systems × 3 repetitions × 2 series = 120 runs. A
// run costs about 2.3 s besides its load (reset, 2 s settle, tool start),
// and the load of one repetition of all ten rows takes about 55 s per
// system at the baseline's etcd rates: about 15–20 minutes in all on a
// quiet 2-core machine, plus half a minute for the two profiles. The
// markdown tables go to stdout, progress to stderr, every run's raw data
// to -out.
//
// raftkv is built from this repository unless -raftkv names a binary;
// httpbench from -httpbench-src unless -httpbench names one. The data dirs
// go under -workdir (default the system's temp dir), which must be on a
// disk, not tmpfs. A smoke test of the plumbing, whose numbers mean
// nothing:
//
//	cd bench && go run ./clusterbench -reps 1 -series 1 -total 2000 -settle 500ms
package main
