package main

import (
	"strings"
	"testing"
)

// benchmarkPutOutput is the stdout of etcd's benchmark tool (v3.6.8, built
// at /work/etcd-bin/benchmark) for a 300-request put against etcd v3.7.3,
// copied verbatim.
const benchmarkPutOutput = "\nSummary:\n" +
	"  Total:\t0.414834256 secs.\n" +
	"  Slowest:\t0.014165022 secs.\n" +
	"  Fastest:\t0.000555343 secs.\n" +
	"  Average:\t0.0013746249133333335 secs.\n" +
	"  Stddev:\t0.0014255900012350986 secs.\n" +
	"  Requests/sec:\t723.1803923155276\n" +
	"\nResponse time histogram:\n" +
	"  0.000555343 [1]\t|\n" +
	"  0.0019163109 [264]\t|∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎∎\n" +
	"  0.0032772788 [23]\t|∎∎∎\n" +
	"  0.014165022 [1]\t|\n" +
	"\nLatency distribution:\n" +
	"  10% in 0.000723634 secs.\n" +
	"  25% in 0.000825149 secs.\n" +
	"  50% in 0.000995995 secs.\n" +
	"  75% in 0.001388617 secs.\n" +
	"  90% in 0.002052567 secs.\n" +
	"  95% in 0.003174524 secs.\n" +
	"  99% in 0.009230641 secs.\n"

func TestParseBenchmark_ReadsRateAndPercentilesInMilliseconds(t *testing.T) {
	got, err := parseBenchmark([]byte(benchmarkPutOutput), 300)
	if err != nil {
		t.Fatal(err)
	}
	want := toolResult{OpsS: 723.1803923155276, P50Ms: 0.995995, P90Ms: 2.052567, P99Ms: 9.230641, MaxMs: 14.165022, Requests: 300}
	if !closeResults(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// A range run starts with a line naming the consistency, and failed
// requests are listed after the latency distribution; both must be read
// without disturbing the rest.
func TestParseBenchmark_CountsErrorsAndIgnoresTheTitleLine(t *testing.T) {
	out := "bench with serializable range\n" + benchmarkPutOutput +
		"\nError distribution:\n" +
		"  [3]\tetcdserver: request timed out\n" +
		"  [2]\trpc error: code = Unavailable desc = [x] closing\n"
	got, err := parseBenchmark([]byte(out), 300)
	if err != nil {
		t.Fatal(err)
	}
	if got.Errors != 5 || got.OpsS != 723.1803923155276 {
		t.Fatalf("got %+v, want 5 errors and the same rate", got)
	}
}

func TestParseBenchmark_RejectsOutputWithoutASummary(t *testing.T) {
	for name, out := range map[string]string{
		"empty":            "",
		"no percentiles":   strings.Split(benchmarkPutOutput, "\nLatency distribution:")[0],
		"bad rate":         strings.Replace(benchmarkPutOutput, "723.1803923155276", "fast", 1),
		"bad error counts": benchmarkPutOutput + "\nError distribution:\n  [x]\tboom\n",
	} {
		if _, err := parseBenchmark([]byte(out), 300); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseHTTPBench_ReadsTheLastLine(t *testing.T) {
	out := "put: 20000 ops in 5.93s\n" +
		`{"tool":"httpbench","op":"put","done":20000,"ok":19998,"errors":2,"elapsed_s":5.9315,"ops_s":3371.8,"mean_ms":4.742,"p50_ms":4.253,"p90_ms":7.038,"p99_ms":13.462,"p999_ms":18.046,"max_ms":29.964}` + "\n"
	got, err := parseHTTPBench([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := toolResult{OpsS: 3371.8, P50Ms: 4.253, P90Ms: 7.038, P99Ms: 13.462, MaxMs: 29.964, Requests: 20000, Errors: 2}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// A run cut short by -max-duration did not do the work it was asked to,
// so it must not enter the medians as if it had.
func TestParseHTTPBench_RejectsARunStoppedByMaxDuration(t *testing.T) {
	out := `{"done":1200,"ops_s":8,"stopped_by_max_duration":true}`
	if _, err := parseHTTPBench([]byte(out)); err == nil {
		t.Fatal("no error")
	}
	if _, err := parseHTTPBench([]byte("connection refused\n")); err == nil {
		t.Fatal("no error for output without JSON")
	}
}

func closeResults(a, b toolResult) bool {
	near := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return near(a.OpsS, b.OpsS) && near(a.P50Ms, b.P50Ms) && near(a.P90Ms, b.P90Ms) && near(a.P99Ms, b.P99Ms) &&
		near(a.MaxMs, b.MaxMs) && a.Requests == b.Requests && a.Errors == b.Errors
}
