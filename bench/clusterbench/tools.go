package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// loadTools are the two load generators, the same binaries for both
// systems: etcd's own benchmark tool for the gRPC rows, httpbench for the
// JSON rows.
type loadTools struct {
	benchmark, httpbench string
}

// command is the exact command line of row against the leader lead, with
// total requests: the baseline's commands, character for character, with
// only the endpoint and --total/-total filled in.
func (t loadTools) command(r row, lead *member, total int) []string {
	n := strconv.Itoa(total)
	if r.proto == protoGRPC {
		args := []string{t.benchmark, "--endpoints=" + lead.clientAddr(),
			"--clients=" + strconv.Itoa(r.clients), "--conns=" + strconv.Itoa(r.conns), "--precise"}
		if r.op == "put" {
			// 8-byte binary keys (the varint of i), the same 20000 keys
			// in every repetition.
			return append(args, "put", "--key-size=8", "--val-size=256", "--total="+n,
				"--sequential-keys", "--key-space-size=100000")
		}
		consistency := "l"
		if r.serializable {
			consistency = "s"
		}
		return append(args, "range", rangeKey, "--consistency="+consistency, "--total="+n)
	}
	// httpbench: every client has its own keep-alive HTTP/1.1 connection;
	// keys are 8-byte zero-padded decimal text.
	args := []string{t.httpbench, "-endpoints", lead.clientURL, "-op", r.op, "-clients", strconv.Itoa(r.clients), "-total", n}
	if r.op == "put" {
		args = append(args, "-key-size", "8", "-val-size", "256")
	} else {
		args = append(args, "-key", rangeKey)
		if r.serializable {
			args = append(args, "-serializable")
		}
	}
	return append(args, "-max-duration", "150s")
}

// rangeKey is the one key the range rows read; every fresh cluster gets it
// with a 256-byte value before its first run.
const rangeKey = "rangekey"

// toolRun is one finished run of a load generator.
type toolRun struct {
	toolResult
	// wall is the time from starting the tool to its exit, a little more
	// than the load itself (connection set-up, the report).
	wall time.Duration
	// cpu is the tool's own CPU (user + system), which the baseline
	// reported as the load generator's CPU per operation.
	cpu time.Duration
}

// run executes argv and parses its report. timeout bounds a run against a
// stuck server: the benchmark tool has no deadline of its own.
func (t loadTools) run(parent context.Context, r row, argv []string, total int, timeout time.Duration) (toolRun, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err := cmd.Run()
	run := toolRun{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	switch {
	case parent.Err() != nil:
		// Interrupted: the tool was killed on purpose.
		return run, parent.Err()
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return run, fmt.Errorf("%s: no answer within -run-timeout %s\n%s", argv[0], timeout, tail(stderr.Bytes(), 2000))
	case err != nil:
		return run, fmt.Errorf("%s: %w\n%s", argv[0], err, tail(stderr.Bytes(), 2000))
	}
	if r.proto == protoGRPC {
		run.toolResult, err = parseBenchmark(stdout.Bytes(), total)
	} else {
		run.toolResult, err = parseHTTPBench(stdout.Bytes())
	}
	return run, err
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
