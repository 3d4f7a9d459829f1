package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/server"
)

// These tests run raftkvctl in this process, through run, without a
// cluster: what it says about its own command line, and what it says when
// nobody answers.

type result struct {
	stdout, stderr string
	code           int
}

// runCtl runs raftkvctl with args, an environment and standard input.
func runCtl(t *testing.T, environ []string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &out, &errOut, environ)
	return result{out.String(), errOut.String(), code}
}

func TestVersion(t *testing.T) {
	// RAFTKVCTL_API=3, as the tutorial exports: version does not read the
	// environment (etcdctl warns only for the commands that do).
	r := runCtl(t, []string{"RAFTKVCTL_API=3"}, "", "version")
	if r.code != 0 || r.stdout != "raftkvctl version: 0.1.0\nAPI version: 3.7\n" || r.stderr != "" {
		t.Errorf("version: %+v", r)
	}
	if version != server.Version {
		t.Errorf("raftkvctl's version %q is not the server's %q", version, server.Version)
	}
}

// Every command has a --help with an example, on stdout, exit 0.
func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	var walk func(c *command, path []string)
	walk = func(c *command, path []string) {
		r := runCtl(t, nil, "", append(path, "--help")...)
		name := strings.Join(append([]string{"raftkvctl"}, path...), " ")
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "NAME:\n\t"+name+" - ") ||
			!strings.Contains(r.stdout, "EXAMPLES:\n\traftkvctl") || !strings.Contains(r.stdout, "--help[=false]") {
			t.Errorf("%s --help: exit %d, stderr %q, stdout:\n%s", name, r.code, r.stderr, r.stdout)
		}
		if len(path) > 0 {
			if h := runCtl(t, nil, "", append([]string{"help"}, path...)...); h.stdout != r.stdout {
				t.Errorf("help %s differs from %s --help", strings.Join(path, " "), name)
			}
		}
		for _, s := range c.subs {
			walk(s, append(append([]string(nil), path...), s.name))
		}
	}
	walk(rootCommand(), nil)

	// A group, or raftkvctl alone, shows its help (cobra does, exit 0).
	for _, args := range [][]string{nil, {"lease"}, {"-h"}, {"member", "-h"}} {
		r := runCtl(t, nil, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "COMMANDS:") {
			t.Errorf("%q: exit %d, stdout:\n%s", args, r.code, r.stdout)
		}
	}
	if r := runCtl(t, nil, "", "--help"); !regexp.MustCompile(`\n\tlease grant\t+Creates leases\n`).MatchString(r.stdout) {
		t.Errorf("raftkvctl --help does not list lease grant:\n%s", r.stdout)
	}
}

// Bad command lines get etcdctl's words and exit codes, before any request.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string // its first line
	}{
		{[]string{"foo"}, 1, `Error: unknown command "foo" for "raftkvctl"`},
		{[]string{"lease", "foo"}, 1, `Error: unknown command "foo" for "raftkvctl lease"`},
		{[]string{"get", "--foo", "k"}, 1, "Error: unknown flag: --foo"},
		{[]string{"get", "k", "-x"}, 1, "Error: unknown shorthand flag: 'x' in -x"},
		{[]string{"put", "k", "-5"}, 1, "Error: unknown shorthand flag: '5' in -5"},
		{[]string{"get", "--limit=many", "k"}, 1, `Error: invalid argument "many" for "--limit" flag: strconv.ParseInt: parsing "many": invalid syntax`},
		{[]string{"get"}, 128, "Error: get command needs one argument as key and an optional argument as range_end"},
		{[]string{"get", "a", "b", "c"}, 128, "Error: get command needs one argument as key and an optional argument as range_end"},
		{[]string{"get", "k", "--prefix", "--from-key"}, 128, "Error: `--prefix` and `--from-key` cannot be set at the same time, choose one"},
		{[]string{"get", "k", "--keys-only", "--count-only"}, 128, "Error: `--keys-only` and `--count-only` cannot be set at the same time, choose one"},
		{[]string{"get", "k", "--count-only"}, 128, "Error: --count-only is only for `--write-out=fields`"},
		{[]string{"get", "k", "--print-value-only", "-w", "json"}, 128, "Error: print-value-only is only for `--write-out=simple`"},
		{[]string{"get", "k", "--consistency=x"}, 4, `Error: unknown consistency flag "x"`},
		{[]string{"get", "k", "--order=up"}, 4, "Error: bad sort order up"},
		{[]string{"get", "k", "--sort-by=size"}, 4, "Error: bad sort target size"},
		{[]string{"-w", "xml", "get", "k"}, 4, "Error: unsupported output format"},
		{[]string{"put"}, 128, "Error: put command needs 1 argument and input from stdin or 2 arguments"},
		{[]string{"put", "k", "Hello", "world"}, 128, "Error: put command needs 1 argument and input from stdin or 2 arguments"},
		{[]string{"put", "k", "v", "--lease=xyz"}, 128, `Error: bad lease ID (strconv.ParseInt: parsing "xyz": invalid syntax), expecting ID in Hex`},
		{[]string{"put", "k", "v", "--ignore-value"}, 128, "Error: put command needs only 1 argument when 'ignore-value' is set"},
		{[]string{"put", "k", "v", "--ttl=5", "--lease=1"}, 128, "Error: --ttl and --lease cannot be set at the same time, choose one"},
		{[]string{"del"}, 128, "Error: del command needs one argument as key and an optional argument as range_end"},
		{[]string{"txn", "x"}, 128, "Error: txn command does not accept argument"},
		{[]string{"compaction"}, 128, "Error: compaction command needs 1 argument"},
		{[]string{"compaction", "ten"}, 1, `Error: strconv.ParseInt: parsing "ten": invalid syntax`},
		{[]string{"watch"}, 128, "Error: bad number of arguments"},
		{[]string{"watch", "k", "--"}, 128, "Error: bad number of arguments (found separator --, but no commands)"},
		{[]string{"watch", "a", "b", "--prefix"}, 128, "Error: `range_end` and `--prefix` are mutually exclusive"},
		{[]string{"lease", "grant"}, 128, "Error: lease grant command needs TTL argument"},
		{[]string{"lease", "grant", "1m"}, 128, `Error: bad TTL (strconv.ParseInt: parsing "1m": invalid syntax)`},
		{[]string{"lease", "revoke", "xyz"}, 128, `Error: bad lease ID arg (strconv.ParseInt: parsing "xyz": invalid syntax), expecting ID in Hex`},
		{[]string{"lease", "timetolive"}, 128, "Error: lease timetolive command needs lease ID as argument"},
		{[]string{"lease", "keep-alive"}, 128, "Error: lease keep-alive command needs lease ID as argument"},
		{[]string{"lock"}, 128, "Error: lock takes a lock name argument and an optional command to execute"},
		{[]string{"elect"}, 128, "Error: elect takes one election name argument and an optional proposal argument"},
		{[]string{"elect", "e"}, 128, "Error: no proposal argument but -l not set"},
		{[]string{"elect", "-l", "e", "p"}, 128, "Error: proposal given but -l is set"},
		{[]string{"member", "add"}, 128, "Error: member name not provided"},
		{[]string{"member", "add", "m4", "http://x:2380"}, 128, "Error: too many arguments, did you mean --peer-urls=http://x:2380"},
		{[]string{"member", "add", "m4"}, 128, "Error: member peer urls not provided"},
		{[]string{"member", "remove"}, 128, "Error: member ID is not provided"},
		{[]string{"member", "promote", "zz"}, 128, `Error: bad member ID arg (strconv.ParseUint: parsing "zz": invalid syntax), expecting ID in Hex`},
		{[]string{"snapshot", "save"}, 128, "Error: snapshot save expects one argument"},
		{[]string{"--endpoints=a:1,b:2", "snapshot", "save", "x.db"}, 5, "Error: snapshot must be requested to one selected node, not multiple [a:1 b:2]"},
		{[]string{"--cert=c.pem", "get", "k"}, 128, "Error: --cert and --key must be given together"},
		{[]string{"auth", "enable", "x"}, 128, "Error: auth enable command does not accept any arguments"},
		{[]string{"auth", "status", "x"}, 128, "Error: auth status command does not accept any arguments"},
		{[]string{"user", "add"}, 128, "Error: user add command requires user name as its argument"},
		{[]string{"user", "add", ":pw"}, 128, "Error: empty user name is not allowed"},
		{[]string{"user", "get"}, 128, "Error: user get command requires user name as its argument"},
		{[]string{"user", "list", "x"}, 128, "Error: user list command requires no arguments"},
		{[]string{"user", "passwd"}, 128, "Error: user passwd command requires user name as its argument"},
		{[]string{"user", "grant-role", "alice"}, 128, "Error: user grant command requires user name and role name as its argument"},
		{[]string{"user", "revoke-role", "alice"}, 128, "Error: user revoke-role requires user name and role name as its argument"},
		{[]string{"role", "add"}, 128, "Error: role add command requires role name as its argument"},
		{[]string{"role", "grant-permission", "r", "read"}, 128, "Error: role grant command requires role name, permission type, and key [endkey] as its argument"},
		{[]string{"role", "grant-permission", "r", "sideways", "k"}, 128, "Error: invalid permission type: sideways"},
		{[]string{"role", "grant-permission", "r", "read", "k", "--prefix", "--from-key"}, 128, "Error: --from-key and --prefix flags are mutually exclusive"},
		{[]string{"role", "revoke-permission", "r"}, 128, "Error: role revoke-permission command requires role name and key [endkey] as its argument"},
	}
	for _, tt := range tests {
		r := runCtl(t, nil, "", tt.args...)
		first, _, _ := strings.Cut(r.stderr, "\n")
		if r.code != tt.code || first != tt.stderr {
			t.Errorf("raftkvctl %s: exit %d, stderr %q; want exit %d, %q", strings.Join(tt.args, " "), r.code, first, tt.code, tt.stderr)
		}
	}
	// A flag error is followed by the command's usage, as cobra does.
	if r := runCtl(t, nil, "", "get", "--foo"); !strings.Contains(r.stderr, "USAGE:\n\traftkvctl get") {
		t.Errorf("no usage after a flag error:\n%s", r.stderr)
	}
	if r := runCtl(t, nil, "", "gett"); !strings.Contains(r.stderr, "Did you mean this?\n\tget\n") ||
		!strings.HasSuffix(r.stderr, "Run 'raftkvctl --help' for usage.\n") {
		t.Errorf("no suggestion for gett:\n%s", r.stderr)
	}
}

// deadEndpoint is an address where nobody listens.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestEnvironment(t *testing.T) {
	dead := deadEndpoint(t)
	// A variable and its flag: a fatal conflict in etcdctl 3.7.
	r := runCtl(t, []string{"RAFTKVCTL_ENDPOINTS=" + dead}, "", "--endpoints", dead, "get", "k")
	if r.code != 1 || !strings.Contains(r.stderr, `"level":"fatal"`) || !strings.Contains(r.stderr, `"environment-variable":"RAFTKVCTL_ENDPOINTS"`) {
		t.Errorf("variable and flag: %+v", r)
	}
	// An unknown RAFTKVCTL_ variable is a warning; the others are flags.
	r = runCtl(t, []string{"RAFTKVCTL_API=3", "RAFTKVCTL_WRITE_OUT=json", "OTHER=1"}, "", "get")
	if r.code != 128 || !strings.Contains(r.stderr, `"msg":"unrecognized environment variable","environment-variable":"RAFTKVCTL_API=3"`) ||
		strings.Contains(r.stderr, "WRITE_OUT") || strings.Contains(r.stderr, "OTHER") {
		t.Errorf("unknown variable: %+v", r)
	}
	r = runCtl(t, []string{"RAFTKVCTL_WRITE_OUT=xml"}, "", "get", "k")
	if r.code != 4 || r.stderr != "Error: unsupported output format\n" {
		t.Errorf("RAFTKVCTL_WRITE_OUT=xml: %+v", r)
	}
	r = runCtl(t, []string{"RAFTKVCTL_DIAL_TIMEOUT=soon"}, "", "get", "k")
	if r.code != 1 || !strings.Contains(r.stderr, `Error: invalid value "soon" for RAFTKVCTL_DIAL_TIMEOUT`) {
		t.Errorf("RAFTKVCTL_DIAL_TIMEOUT=soon: %+v", r)
	}
	// watch's own variables are known to watch.
	r = runCtl(t, []string{"RAFTKVCTL_WATCH_RANGE_END=z"}, "", "watch")
	if r.code != 128 || strings.Contains(r.stderr, "unrecognized") ||
		!strings.Contains(r.stderr, `Error: RAFTKVCTL_WATCH_KEY is empty but got RAFTKVCTL_WATCH_RANGE_END="z"`) {
		t.Errorf("watch with only RAFTKVCTL_WATCH_RANGE_END: %+v", r)
	}
	r = runCtl(t, []string{"RAFTKVCTL_WATCH_KEY=k"}, "", "watch", "k")
	if r.code != 128 || r.stderr != "Error: bad number of arguments (found conflicting environment key)\n" {
		t.Errorf("watch with a key and RAFTKVCTL_WATCH_KEY: %+v", r)
	}
}

// A dead cluster: etcdctl's "context deadline exceeded" once
// --command-timeout runs out, after a warning that says why.
func TestDeadCluster(t *testing.T) {
	ep := "--endpoints=" + deadEndpoint(t)
	r := runCtl(t, nil, "", ep, "--command-timeout=300ms", "get", "foo")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.code != 1 || len(lines) != 2 || lines[1] != "Error: context deadline exceeded" ||
		!strings.Contains(lines[0], `"level":"warn"`) || !strings.Contains(lines[0], "connection refused") {
		t.Errorf("get from a dead cluster: %+v", r)
	}
	r = runCtl(t, nil, "", ep, "--command-timeout=300ms", "endpoint", "health")
	if r.code != 1 || !strings.HasSuffix(r.stderr, "is unhealthy: failed to commit proposal: context deadline exceeded\nError: unhealthy cluster\n") {
		t.Errorf("endpoint health of a dead cluster: %+v", r)
	}
	r = runCtl(t, nil, "", ep, "--command-timeout=300ms", "endpoint", "status")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "Failed to get the status of endpoint 127.0.0.1:") {
		t.Errorf("endpoint status of a dead cluster: %+v", r)
	}
	r = runCtl(t, nil, "", ep, "--command-timeout=300ms", "lease", "list")
	if r.code != 2 || !strings.HasSuffix(r.stderr, "Error: context deadline exceeded\n") {
		t.Errorf("lease list of a dead cluster: %+v", r)
	}
}

func TestSplitLastAttempt(t *testing.T) {
	tests := []struct{ in, clean, last string }{
		{"etcdserver: no leader", "etcdserver: no leader", ""},
		{"context deadline exceeded (last attempt: dial tcp: refused)", "context deadline exceeded", "dial tcp: refused"},
		{"failed to grant lease (context deadline exceeded (last attempt: a (b) c))", "failed to grant lease (context deadline exceeded)", "a (b) c"},
		{"context canceled (last attempt: unclosed", "context canceled", "unclosed"},
	}
	for _, tt := range tests {
		clean, last := splitLastAttempt(tt.in)
		if clean != tt.clean || last != tt.last {
			t.Errorf("splitLastAttempt(%q) = %q, %q; want %q, %q", tt.in, clean, last, tt.clean, tt.last)
		}
	}
}
