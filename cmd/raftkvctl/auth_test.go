package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client"
)

// These tests need no cluster: the printers against etcdctl's transcript,
// and the pieces of the command line (intervals, passwords, credentials).

// authGolden returns what etcdctl printed for cmd in the auth transcript,
// the n-th time it ran (from 0).
func authGolden(t *testing.T, cmd string, n int) string {
	t.Helper()
	for _, b := range authTranscriptBlocks(t) {
		if b.cmd == cmd {
			if n == 0 {
				return b.out
			}
			n--
		}
	}
	t.Fatalf("the auth transcript has no run %d of %q", n, cmd)
	return ""
}

// fromJSON reads etcdctl's -w json output back into the answer it printed.
func fromJSON(t *testing.T, cmd string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(authGolden(t, cmd, 0)), v); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
}

// Each answer, rebuilt from etcdctl's -w json, prints in every format what
// etcdctl printed for it.
func TestAuthPrintersMatchEtcdctl(t *testing.T) {
	var reader client.AuthRoleGetResponse
	fromJSON(t, "etcdctl role get reader -w json", &reader)
	var spare client.AuthRoleGetResponse
	fromJSON(t, "etcdctl role get spare -w json", &spare)
	var root client.AuthRoleGetResponse
	fromJSON(t, "etcdctl --user root:rootpw role get root -w json", &root)
	var alice client.AuthUserGetResponse
	fromJSON(t, "etcdctl user get alice -w json", &alice)
	var users client.AuthUserListResponse
	fromJSON(t, "etcdctl user list -w json", &users)
	var roles client.AuthRoleListResponse
	fromJSON(t, "etcdctl role list -w json", &roles)
	var status client.AuthStatusResponse
	fromJSON(t, "etcdctl auth status -w json", &status)
	var done client.AuthRoleAddResponse
	fromJSON(t, "etcdctl role add writer -w json", &done)
	// Which run of a command was in the state the JSON above shows.
	nth := map[string]int{"etcdctl user get alice": 1, "etcdctl auth status": 1}

	for _, tc := range []struct {
		cmd, format string
		print       func(p printer) error
	}{
		{"etcdctl role get reader", "simple", func(p printer) error { return p.RoleGet("reader", &reader) }},
		{"etcdctl role get reader -w json", "json", func(p printer) error { return p.RoleGet("reader", &reader) }},
		{"etcdctl role get reader -w fields", "fields", func(p printer) error { return p.RoleGet("reader", &reader) }},
		{"etcdctl role get spare", "simple", func(p printer) error { return p.RoleGet("spare", &spare) }},
		{"etcdctl --user root:rootpw role get root", "simple", func(p printer) error { return p.RoleGet("root", &root) }},
		{"etcdctl user get alice", "simple", func(p printer) error { return p.UserGet("alice", &alice) }},
		{"etcdctl user list", "simple", func(p printer) error { return p.UserList(&users) }},
		{"etcdctl role list", "simple", func(p printer) error { return p.RoleList(&roles) }},
		{"etcdctl role list -w fields", "fields", func(p printer) error { return p.RoleList(&roles) }},
		{"etcdctl auth status", "simple", func(p printer) error { return p.AuthStatus(&status) }},
		{"etcdctl auth status -w json", "json", func(p printer) error { return p.AuthStatus(&status) }},
		{"etcdctl role add spare -w fields", "fields", func(p printer) error { return p.RoleAdd("spare", &done) }},
		{"etcdctl user grant-role harry reader -w fields", "fields", func(p printer) error { return p.UserGrantRole("harry", "reader", &done) }},
		{"etcdctl user revoke-role harry reader -w json", "json", func(p printer) error { return p.UserRevokeRole("harry", "reader", &done) }},
		{"etcdctl role add reader", "simple", func(p printer) error { return p.RoleAdd("reader", &done) }},
		{"etcdctl user grant-role alice reader", "simple", func(p printer) error { return p.UserGrantRole("alice", "reader", &done) }},
		{"etcdctl user revoke-role alice writer", "simple", func(p printer) error { return p.UserRevokeRole("alice", "writer", &done) }},
		{"etcdctl user delete eve", "simple", func(p printer) error { return p.UserDelete("eve", &done) }},
		{"etcdctl role delete spare", "simple", func(p printer) error { return p.RoleDelete("spare", &done) }},
		{"etcdctl role revoke-permission reader /app/config", "simple", func(p printer) error {
			return p.RoleRevokePermission("reader", "/app/config", "", &done)
		}},
		{"etcdctl role revoke-permission reader /app/ --prefix", "simple", func(p printer) error {
			return p.RoleRevokePermission("reader", "/app/", "/app0", &done)
		}},
		{"etcdctl role revoke-permission reader /queue/ --from-key", "simple", func(p printer) error {
			return p.RoleRevokePermission("reader", "/queue/", "\x00", &done)
		}},
	} {
		if diff := cmp.Diff(authGolden(t, tc.cmd, nth[tc.cmd]), render(t, tc.format, tc.print)); diff != "" {
			t.Errorf("%s: output differs from etcdctl's (-etcdctl +raftkvctl):\n%s", tc.cmd, diff)
		}
	}
}

// What etcdctl cannot show in a format, it refuses with exit code 4.
func TestAuthFormatsEtcdctlHasNot(t *testing.T) {
	var out, errOut bytes.Buffer
	for format, print := range map[string]func(p printer) error{
		"fields": func(p printer) error { return p.UserGet("alice", &client.AuthUserGetResponse{}) },
		"table":  func(p printer) error { return p.UserList(&client.AuthUserListResponse{}) },
	} {
		err := print(newPrinter(format, &out, &errOut, false))
		require.EqualError(t, err, format+" not supported as output format")
		require.Equal(t, exitBadFeature, exitCode(err))
	}
	require.Zero(t, out.Len()+errOut.Len())
}

// grant- and revoke-permission's intervals, as etcdctl's permRange makes
// them.
func TestPermissionIntervals(t *testing.T) {
	tests := []struct {
		args            []string
		prefix, fromKey bool
		key, end, err   string
	}{
		{[]string{"k"}, false, false, "k", "", ""},
		{[]string{"k", "m"}, false, false, "k", "m", ""},
		{[]string{"k", "m", "ignored"}, false, false, "k", "m", ""},
		{[]string{"/app/"}, true, false, "/app/", "/app0", ""},
		{[]string{"k"}, false, true, "k", "\x00", ""},
		{[]string{""}, false, false, "\x00", "", ""},
		{[]string{""}, true, false, "\x00", "\x00", ""},
		{[]string{""}, false, true, "\x00", "\x00", ""},
		{[]string{""}, true, true, "", "", "--from-key and --prefix flags are mutually exclusive"},
		{[]string{"k"}, true, true, "", "", "--from-key and --prefix flags are mutually exclusive"},
		{[]string{"k", "m"}, true, true, "", "", "unexpected endkey argument with --prefix flag"},
		{[]string{"k", "m"}, false, true, "", "", "unexpected endkey argument with --from-key flag"},
	}
	for _, tt := range tests {
		f := permIntervalFlags{prefix: &tt.prefix, fromKey: &tt.fromKey}
		key, end, err := f.interval(tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err || exitCode(err) != exitBadArgs {
				t.Errorf("%q prefix=%v from-key=%v: error %v, want %q (exit 128)", tt.args, tt.prefix, tt.fromKey, err, tt.err)
			}
			continue
		}
		if err != nil || key != tt.key || end != tt.end {
			t.Errorf("%q prefix=%v from-key=%v: %q %q %v, want %q %q", tt.args, tt.prefix, tt.fromKey, key, end, err, tt.key, tt.end)
		}
	}
}

// A password from a pipe is a line, taken a byte at a time so that the next
// prompt gets the next line; --interactive=false takes one word, as
// fmt.Scanf("%s") does.
func TestReadingPasswordsFromAPipe(t *testing.T) {
	in := strings.NewReader("first pw\r\nsecond\n")
	for _, want := range []string{"first pw", "second", ""} {
		got, err := readLine(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	for input, want := range map[string]string{"pw\nrest": "pw", "  pw more\n": "pw", "\npw\n": "", "": "", "pw": "pw"} {
		require.Equal(t, want, readWord(strings.NewReader(input)), "readWord(%q)", input)
	}
	in = strings.NewReader("pw rest\nnext\n")
	readWord(in)
	line, _ := readLine(in)
	require.Equal(t, "rest", line, "readWord consumes its word and the byte after it, no more")
}

// --user, --password and --auth-jwt-token, as etcdctl reads them; the
// password is asked for only when --user has none.
func TestCredentialsFromFlags(t *testing.T) {
	tests := []struct {
		args                  []string
		stdin                 string
		user, password, token string
		prompt                string
	}{
		{[]string{"--user", "alice:pw"}, "", "alice", "pw", "", ""},
		{[]string{"--user", "alice:pw:with:colons"}, "", "alice", "pw:with:colons", "", ""},
		{[]string{"--user", "a:b", "--password", "pw"}, "", "a:b", "pw", "", ""},
		{[]string{"--user", "alice"}, " typed \nnext\n", "alice", "typed", "", "Password: \n"},
		{[]string{"--user", "alice:pw", "--auth-jwt-token", "tok"}, "", "", "", "tok", ""},
		{nil, "", "", "", "", ""},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		e := testEnv(t, tt.args, tt.stdin, &out)
		c, err := e.credentials()
		require.NoError(t, err)
		require.Equal(t, credentials{tt.user, tt.password, tt.token}, *c, "%q", tt.args)
		require.Equal(t, tt.prompt, out.String(), "%q: what was printed", tt.args)
		again, _ := e.credentials()
		require.Same(t, c, again, "asked once per run")
	}
}

// testEnv is a run's env with the global flags parsed from args.
func testEnv(t *testing.T, args []string, stdin string, out *bytes.Buffer) *env {
	t.Helper()
	var discard bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{ctx: ctx, stdin: strings.NewReader(stdin), stdout: bufio.NewWriter(out), stderr: &discard}
	e.globalDefs = newFlagSet()
	e.g = newGlobalFlags(e.globalDefs)
	_, err := e.globalDefs.Parse(args)
	require.NoError(t, err)
	return e
}

// user add asks twice, and refuses an empty or a mistyped password before
// any request (exit 128), as etcdctl does.
func TestUserAddAsksTwice(t *testing.T) {
	for stdin, want := range map[string]string{"a\nb\n": "Error: given passwords are different\n", "\n": "Error: empty password\n"} {
		r := runCtl(t, nil, stdin, "--endpoints", deadEndpoint(t), "user", "add", "bob")
		require.Equal(t, exitBadArgs, r.code, "stdin %q", stdin)
		require.Equal(t, want, r.stderr)
		prompts := "Password of bob: \n"
		if stdin != "\n" {
			prompts += "Type password of bob again for confirmation: \n"
		}
		require.Equal(t, prompts, r.stdout)
	}
}
