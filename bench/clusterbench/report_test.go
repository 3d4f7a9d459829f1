package main

import (
	"math"
	"strings"
	"testing"
)

func TestSpreadOf_MedianOfOddAndEvenCounts(t *testing.T) {
	if s := spreadOf([]float64{5, 1, 3}); s.median != 3 || s.min != 1 || s.max != 5 {
		t.Fatalf("odd: got %+v", s)
	}
	if s := spreadOf([]float64{4, 1, 3, 10}); s.median != 3.5 || s.min != 1 || s.max != 10 {
		t.Fatalf("even: got %+v", s)
	}
	if s := spreadOf(nil); s.ok() || !math.IsNaN(s.median) {
		t.Fatalf("empty: got %+v", s)
	}
}

// Two series of two repetitions of one row on both systems, raftkv twice
// as fast as etcd in each pair but both drifting between series: the
// table must put each system in its own column, take medians over all
// four runs, divide raftkv by etcd, and pair runs by series and
// repetition.
func TestPrintReport_MediansRatiosAndPairsPerSystem(t *testing.T) {
	r := allRows[0]
	var rs results
	for _, run := range []struct {
		series, rep int
		sys         string
		ops, cpu    float64
	}{
		{1, 1, sysRaftkv, 1000, 400}, {1, 1, sysEtcd, 500, 800},
		{1, 2, sysEtcd, 600, 900}, {1, 2, sysRaftkv, 1200, 300},
		{2, 1, sysRaftkv, 2000, 200}, {2, 1, sysEtcd, 1000, 600},
		{2, 2, sysEtcd, 800, 700}, {2, 2, sysRaftkv, 1600, 500},
	} {
		rs = append(rs, runRecord{Series: run.series, Rep: run.rep, System: run.sys, Row: r.id, Label: r.label,
			Protocol: r.proto, toolResult: toolResult{OpsS: run.ops, P50Ms: run.ops / 1000, P99Ms: 2 * run.ops / 1000},
			CPUUsPerOp: run.cpu})
	}
	var b strings.Builder
	printReport(&b, []row{r}, rs, 2)
	out := b.String()
	for _, want := range []string{
		// ops: raftkv 1000,1200,1600,2000 → 1400; etcd 500,600,800,1000 → 700.
		// p50/p99 follow ops here; CPU: raftkv 200..500 → 350, etcd 600..900 → 750.
		"| gRPC put c=1 conns=1 | **1400** [1000–2000] | **700** [500–1000] | **2.00×** | 1.40 / 2.80 | 0.70 / 1.40 | **350** [200–500] | **750** [600–900] | **0.47×** |",
		"| gRPC put c=1 conns=1 | raftkv | 1000, 1200 | 1100 | 2000, 1600 | 1800 |",
		"| gRPC put c=1 conns=1 | etcd | 500, 600 | 550 | 1000, 800 | 900 |",
		"| gRPC put c=1 conns=1 | 2.00, 2.00, 2.00, 2.00 | 2.00 [2.00–2.00] |",
		"All runs had 0 errors.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks\n%s\nin\n%s", want, out)
		}
	}
	if strings.Contains(out, "### HTTP") {
		t.Error("a table for a protocol no selected row speaks")
	}
}

func TestPrintReport_WarnsAboutFailedRequests(t *testing.T) {
	r := allRows[5]
	rs := results{
		{System: sysRaftkv, Row: r.id, Series: 1, Rep: 1, toolResult: toolResult{OpsS: 10, Errors: 3}},
		{System: sysEtcd, Row: r.id, Series: 1, Rep: 1, toolResult: toolResult{OpsS: 10}},
	}
	var b strings.Builder
	printReport(&b, []row{r}, rs, 1)
	if !strings.Contains(b.String(), "WARNING: raftkv http-put-c1 had 3 failed requests") {
		t.Fatalf("no warning in\n%s", b.String())
	}
}
