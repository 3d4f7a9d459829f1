package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// etcdctl's exit codes (etcd's pkg/cobrautl), which scripts test for.
const (
	exitSuccess       = 0
	exitError         = 1 // the request failed (the server said no, or nobody answered in time)
	exitBadConnection = 2 // lease timetolive, list and keep-alive failures, a client that cannot be built
	exitInvalidInput  = 3 // txn and interactive watch: unreadable input
	exitBadFeature    = 4 // a valid flag with a value the command cannot use (-w table for get)
	exitInterrupted   = 5 // a watch canceled by the server; snapshot save failures
	exitBadArgs       = 128
)

// exitError carries the exit code a failure must end with. Commands return
// errors; run prints "Error: <message>" and exits with the code.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

// withCode gives err an exit code other than the default 1.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitErr{code: code, err: err}
}

// usagef is a bad argument: etcdctl's ExitBadArgs, exit code 128.
func usagef(format string, args ...any) error {
	return withCode(exitBadArgs, fmt.Errorf(format, args...))
}

// silentExit ends the run with a code and no "Error:" line: the command has
// already said what went wrong (endpoint status prints each failure).
type silentExit struct{ code int }

func (e *silentExit) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode is the code err ends the run with.
func exitCode(err error) int {
	var ee *exitErr
	var se *silentExit
	switch {
	case err == nil:
		return exitSuccess
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ee):
		return ee.code
	}
	return exitError
}

// printError writes etcdctl's "Error: ..." line. When a request runs out of
// time, etcdctl's gRPC client logs why its last attempt failed, then prints
// the bare "context deadline exceeded". The client package puts the last
// attempt into the error's text ("context deadline exceeded (last attempt:
// ...)"): it goes into a warning line, and the Error line reads as etcdctl's.
func printError(w io.Writer, err error) {
	var se *silentExit
	if errors.As(err, &se) {
		return
	}
	msg, last := splitLastAttempt(err.Error())
	if last != "" {
		logLine(w, "warn", "retrying of unary invoker failed", "error", last)
	}
	fmt.Fprintln(w, "Error:", msg)
	var uce *unknownCommandError
	if errors.As(err, &uce) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", uce.parent.path())
	}
}

// splitLastAttempt cuts " (last attempt: ...)" out of an error's text.
func splitLastAttempt(msg string) (clean, last string) {
	const marker = " (last attempt: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return msg, ""
	}
	depth := 0
	for j := i + 1; j < len(msg); j++ {
		switch msg[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return msg[:i] + msg[j+1:], msg[i+len(marker) : j]
			}
		}
	}
	return msg[:i], msg[i+len(marker):]
}

// logLine writes a line shaped like the zap JSON lines etcdctl logs, so that
// the same greps work: {"level":"warn","ts":"...","msg":"...","key":"value"}.
func logLine(w io.Writer, level, msg string, kv ...string) {
	q := func(s string) string {
		b, _ := json.Marshal(s) // a string always marshals
		return string(b)
	}
	line := fmt.Sprintf(`{"level":%s,"ts":%s,"logger":"raftkvctl","msg":%s`,
		q(level), q(time.Now().UTC().Format(time.RFC3339Nano)), q(msg))
	for i := 0; i+1 < len(kv); i += 2 {
		line += "," + q(kv[i]) + ":" + q(kv[i+1])
	}
	fmt.Fprintln(w, line+"}")
}
