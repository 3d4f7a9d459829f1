package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// toolResult is what one run of a load generator reports, in the same
// units whichever tool produced it.
type toolResult struct {
	OpsS  float64 `json:"ops_s"`
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// Requests is how many requests the tool sent, successful or not: the
	// divisor of CPU per operation.
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
}

// parseHTTPBench reads httpbench's output, whose last line is one JSON
// object (see its README).
func parseHTTPBench(stdout []byte) (toolResult, error) {
	lines := bytes.Split(bytes.TrimSpace(stdout), []byte("\n"))
	last := lines[len(lines)-1]
	var out struct {
		Done     int     `json:"done"`
		Errors   int     `json:"errors"`
		OpsS     float64 `json:"ops_s"`
		P50Ms    float64 `json:"p50_ms"`
		P90Ms    float64 `json:"p90_ms"`
		P99Ms    float64 `json:"p99_ms"`
		MaxMs    float64 `json:"max_ms"`
		TimedOut bool    `json:"stopped_by_max_duration"`
	}
	if err := json.Unmarshal(last, &out); err != nil {
		return toolResult{}, fmt.Errorf("httpbench: last line is not its JSON summary: %w: %q", err, last)
	}
	if out.TimedOut {
		// A run cut short by -max-duration measured something other than
		// the configuration asked for; the baseline had none.
		return toolResult{}, fmt.Errorf("httpbench stopped by -max-duration after %d requests", out.Done)
	}
	return toolResult{OpsS: out.OpsS, P50Ms: out.P50Ms, P90Ms: out.P90Ms, P99Ms: out.P99Ms, MaxMs: out.MaxMs,
		Requests: out.Done, Errors: out.Errors}, nil
}

// parseBenchmark reads the report of etcd's benchmark tool
// (pkg/report/report.go in etcd), run with --precise so that numbers carry
// full precision:
//
//	Summary:
//	  Total:	0.414834256 secs.
//	  Slowest:	0.014165022 secs.
//	  ...
//	  Requests/sec:	723.1803923155276
//	...
//	Latency distribution:
//	  10% in 0.000723634 secs.
//	  ...
//	  99% in 0.009230641 secs.
//
//	Error distribution:
//	  [12]	rpc error: ...
//
// requests is the --total the tool was given: its report has no count.
func parseBenchmark(stdout []byte, requests int) (toolResult, error) {
	res := toolResult{Requests: requests}
	pct := map[string]float64{}
	var haveRPS, haveMax bool
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") {
			section = strings.TrimSpace(line)
			continue
		}
		line = strings.TrimSpace(line)
		switch {
		case section == "Summary:" && strings.HasPrefix(line, "Requests/sec:"):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return res, fmt.Errorf("benchmark: %q: %w", line, err)
			}
			res.OpsS, haveRPS = v, true
		case section == "Summary:" && strings.HasPrefix(line, "Slowest:"):
			v, err := parseSecs(strings.TrimPrefix(line, "Slowest:"))
			if err != nil {
				return res, fmt.Errorf("benchmark: %q: %w", line, err)
			}
			res.MaxMs, haveMax = v, true
		case section == "Latency distribution:":
			// "50% in 0.000995995 secs."
			p, secs, ok := strings.Cut(line, "% in ")
			if !ok {
				return res, fmt.Errorf("benchmark: latency line %q", line)
			}
			v, err := parseSecs(secs)
			if err != nil {
				return res, fmt.Errorf("benchmark: %q: %w", line, err)
			}
			pct[p] = v
		case section == "Error distribution:":
			// "[12]	rpc error: code = ..."
			n, _, ok := strings.Cut(strings.TrimPrefix(line, "["), "]")
			count, err := strconv.Atoi(n)
			if !ok || err != nil {
				return res, fmt.Errorf("benchmark: error line %q", line)
			}
			res.Errors += count
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("benchmark output: %w", err)
	}
	if !haveRPS || !haveMax {
		return res, fmt.Errorf("benchmark: no Requests/sec or Slowest in its summary:\n%s", stdout)
	}
	for _, p := range []struct {
		name string
		dst  *float64
	}{{"50", &res.P50Ms}, {"90", &res.P90Ms}, {"99", &res.P99Ms}} {
		v, ok := pct[p.name]
		if !ok {
			return res, fmt.Errorf("benchmark: no %s%% line in its latency distribution:\n%s", p.name, stdout)
		}
		*p.dst = v
	}
	return res, nil
}

// parseSecs turns the report's "0.000995995 secs." into milliseconds.
func parseSecs(s string) (float64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), " secs.")
	v, err := strconv.ParseFloat(s, 64)
	return v * 1e3, err
}
