package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/raftkv/raftkv/client"
)

// etcdctl's words for a watch's bad arguments.
var (
	errBadArgsNum            = errors.New("bad number of arguments")
	errBadArgsNumConflictEnv = errors.New("bad number of arguments (found conflicting environment key)")
	errBadArgsNumSeparator   = errors.New("bad number of arguments (found separator --, but no commands)")
)

func watchCommand() *command {
	return &command{
		name:  "watch",
		args:  "[options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
		short: "Watches events stream on keys or prefixes",
		long: `Watches events stream on keys or prefixes, printing each change as it happens:
PUT or DELETE, then the key, then the value. It runs until interrupted.

A watch is a read of the store's history from a revision on (--rev; default:
from now), so it misses nothing: if the member it talks to fails, it resumes on
another from the revision after the last event it printed.

With a command after "--", the command runs for each event, with the event in
its environment: ETCD_WATCH_REVISION, ETCD_WATCH_EVENT_TYPE, ETCD_WATCH_KEY and
ETCD_WATCH_VALUE (etcdctl's names; also as RAFTKV_WATCH_*), the last three
quoted as Go strings.

The key and range_end may come from RAFTKVCTL_WATCH_KEY and
RAFTKVCTL_WATCH_RANGE_END instead of the arguments.

In interactive mode (-i), each line of standard input is a request:
  watch [options] <key or prefix> [range_end] [--] [exec-command arg1 arg2 ...]`,
		example: `raftkvctl watch key1
raftkvctl watch /testdir --prefix --prev-kv
raftkvctl watch key1 --rev=9 -w json
raftkvctl watch key1 -- sh -c 'echo "$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY"'
printf 'watch key1\nwatch key2\n' | raftkvctl watch -i`,
		setup: func(fs *flagSet) runFunc {
			interactive := fs.Bool("interactive", "i", false, "Interactive mode")
			o := newWatchOptions(fs)
			return func(e *env, args []string) error {
				envKey, envRange := e.getenv(envPrefix+"WATCH_KEY"), e.getenv(envPrefix+"WATCH_RANGE_END")
				if envKey == "" && envRange != "" {
					return usagef("%sWATCH_KEY is empty but got %sWATCH_RANGE_END=%q", envPrefix, envPrefix, envRange)
				}
				c, err := e.client()
				if err != nil {
					return err
				}
				if *interactive {
					return e.watchInteractive(c, envKey, envRange)
				}
				watchArgs, execArgs, err := splitWatchArgs(args, e.dashAt, envKey, envRange)
				if err != nil {
					return withCode(exitBadArgs, err)
				}
				ch, err := o.watch(e.ctx, c, watchArgs)
				if err != nil {
					return withCode(exitBadArgs, err)
				}
				if err := e.printWatch(ch, execArgs); err != nil {
					return err
				}
				if err := e.ctx.Err(); err != nil {
					return err // interrupted: run exits as the signal says
				}
				return withCode(exitInterrupted, errors.New("watch is canceled by the server"))
			}
		},
	}
}

type watchOptions struct {
	prefix, prevKV, progressNotify *bool
	rev                            *int64
}

func newWatchOptions(fs *flagSet) *watchOptions {
	return &watchOptions{
		prefix:         fs.Bool("prefix", "", false, "Watch on a prefix if prefix is set"),
		rev:            fs.Int64("rev", "", 0, "Revision to start watching"),
		prevKV:         fs.Bool("prev-kv", "", false, "get the previous key-value pair before the event happens"),
		progressNotify: fs.Bool("progress-notify", "", false, "get periodic watch progress notification from server"),
	}
}

// splitWatchArgs separates the key (and range end) from the command to run
// after "--", and takes the key from the environment if it is there.
func splitWatchArgs(args []string, dashAt int, envKey, envRange string) (watchArgs, execArgs []string, err error) {
	watchArgs = args
	if dashAt >= 0 {
		watchArgs, execArgs = args[:dashAt], args[dashAt:]
		if len(execArgs) == 0 {
			return nil, nil, errBadArgsNumSeparator
		}
	}
	if envKey != "" {
		if len(watchArgs) > 0 {
			return nil, nil, errBadArgsNumConflictEnv
		}
		watchArgs = []string{envKey}
		if envRange != "" {
			watchArgs = append(watchArgs, envRange)
		}
	}
	return watchArgs, execArgs, nil
}

// watch starts the watch the arguments describe.
func (o *watchOptions) watch(ctx context.Context, c *client.Client, args []string) (client.WatchChan, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errBadArgsNum
	}
	opts := []client.OpOption{client.WithRev(*o.rev)}
	if len(args) == 2 {
		if *o.prefix {
			return nil, errors.New("`range_end` and `--prefix` are mutually exclusive")
		}
		opts = append(opts, client.WithRange(args[1]))
	}
	if *o.prefix {
		opts = append(opts, client.WithPrefix())
	}
	if *o.prevKV {
		opts = append(opts, client.WithPrevKV())
	}
	if *o.progressNotify {
		opts = append(opts, client.WithProgressNotify())
	}
	return c.Watch(ctx, args[0], opts...), nil
}

// printWatch prints each response until the watch ends (interrupted, or
// canceled by the server), running execArgs for each event if given.
func (e *env) printWatch(ch client.WatchChan, execArgs []string) error {
	for resp := range ch {
		if resp.Canceled || resp.Err != nil {
			fmt.Fprintf(e.stderr, "watch was canceled (%v)\n", resp.Err)
		}
		if resp.IsProgressNotify() {
			e.printf("progress notify: %d\n", resp.Header.Revision)
		}
		if err := e.show(func(p printer) error { return p.Watch(&resp) }); err != nil {
			return err
		}
		for _, ev := range resp.Events {
			if len(execArgs) == 0 || ev.Kv == nil {
				continue
			}
			vars := []string{
				fmt.Sprintf("WATCH_REVISION=%d", resp.Header.Revision),
				fmt.Sprintf("WATCH_EVENT_TYPE=%q", ev.Type.String()),
				fmt.Sprintf("WATCH_KEY=%q", ev.Kv.Key),
				fmt.Sprintf("WATCH_VALUE=%q", ev.Kv.Value),
			}
			if err := e.runHook(e.ctx, execArgs, vars); err != nil {
				fmt.Fprintf(e.stderr, "command %q error (%v)\n", execArgs, err)
				return &silentExit{code: exitError}
			}
		}
	}
	return nil
}

// runHook runs a command (watch's and lock's) with the run's environment
// plus vars under both etcdctl's names (ETCD_*) and raftkv's (RAFTKV_*), its
// output going straight to ours. The run's stdout lock is held so that the
// command's output does not land inside an answer. Canceling ctx kills it.
func (e *env) runHook(ctx context.Context, args, vars []string) error {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append([]string(nil), e.environ...)
	for _, v := range vars {
		cmd.Env = append(cmd.Env, "ETCD_"+v, "RAFTKV_"+v)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stdout.Flush()
	cmd.Stdout, cmd.Stderr = e.rawOut, e.stderr
	return cmd.Run()
}

// watchInteractive reads watch requests from standard input, one a line,
// and runs each watch beside the others. It ends as etcdctl's does: at the
// end of the input, with "error reading watch request line: EOF".
func (e *env) watchInteractive(c *client.Client, envKey, envRange string) error {
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	r := bufio.NewReader(e.stdin)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if e.ctx.Err() != nil {
				return e.ctx.Err()
			}
			return withCode(exitInvalidInput, fmt.Errorf("error reading watch request line: %v", err))
		}
		line = strings.TrimSuffix(line, "\n")
		args, err := argify(line)
		if err != nil || len(args) < 1 {
			fmt.Fprintf(e.stderr, "Invalid command: %s (watch and progress supported)\n", line)
			continue
		}
		switch args[0] {
		case "watch":
			if len(args) < 2 && envKey == "" {
				fmt.Fprintf(e.stderr, "Invalid command %s (command type or key is not provided)\n", line)
				continue
			}
			// Each line has its own options: those of the command line
			// do not apply, as in etcdctl.
			fs := newFlagSet()
			o := newWatchOptions(fs)
			parsed, err := fs.Parse(args[1:])
			if err != nil {
				return withCode(exitBadArgs, err)
			}
			watchArgs, execArgs, err := splitWatchArgs(parsed.args, parsed.dashAt, envKey, envRange)
			if err != nil {
				return withCode(exitBadArgs, err)
			}
			ch, err := o.watch(ctx, c, watchArgs)
			if err != nil {
				fmt.Fprintf(e.stderr, "Invalid command %s (%v)\n", line, err)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.printWatch(ch, execArgs)
			}()
		case "progress":
			// etcd asks the server for a progress notification on the
			// watch stream; the client's watches are one stream each
			// and do not expose it.
			fmt.Fprintf(e.stderr, "Invalid command %s (progress requests are not supported by raftkvctl)\n", line)
		default:
			fmt.Fprintf(e.stderr, "Invalid command %s (only support watch)\n", line)
		}
	}
}

// argify splits a line into words as etcdctl's Argify does: by spaces,
// except inside 'single quotes' (taken as they are) or "double quotes"
// (with Go's escapes: "a\tb").
func argify(line string) ([]string, error) {
	var args []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", line)
			}
			args = append(args, line[i+1:i+1+end])
			i += end + 2
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated quote in %q", line)
			}
			s, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				return nil, err
			}
			args = append(args, s)
			i = j + 1
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t\r\n", rune(line[j])) {
				j++
			}
			args = append(args, line[i:j])
			i = j
		}
	}
	return args, nil
}
