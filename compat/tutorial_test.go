package compat

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// makeCluster is `make cluster` (scripts/cluster.sh) run as a reader
// runs it: three members on the fixed ports of etcd's Procfile layout,
// client URLs 127.0.0.1:2379, :22379 and :32379 — the tutorial's commands
// name no endpoint, so they go to etcdctl's default, 127.0.0.1:2379.
type makeCluster struct {
	clientURLs []string
	cmd        *exec.Cmd
	logs       *syncBuffer
	done       chan struct{}
}

var makeClusterClientPorts = []int{2379, 22379, 32379}

func startMakeCluster(t *testing.T) *makeCluster {
	t.Helper()
	// The ports are fixed: a cluster already on them (another test's, a
	// reader's) would answer in place of this one.
	for port := range makeClusterPorts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d, one of make cluster's, is taken (%v): stop whatever runs there (another make cluster?) and run the test again", port, err)
		}
		ln.Close()
	}
	mc := &makeCluster{logs: &syncBuffer{}, done: make(chan struct{})}
	for _, p := range makeClusterClientPorts {
		mc.clientURLs = append(mc.clientURLs, fmt.Sprintf("http://127.0.0.1:%d", p))
	}
	mc.cmd = exec.Command("make", "-s", "cluster", "BIN="+progs.bin, "DATA="+filepath.Join(t.TempDir(), "data"))
	mc.cmd.Dir = progs.repo
	// Its own process group, so that Ctrl-C reaches every process of it,
	// as a terminal's would.
	mc.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	mc.cmd.Stdout, mc.cmd.Stderr = mc.logs, mc.logs
	require.NoError(t, mc.cmd.Start())
	go func() { mc.cmd.Wait(); close(mc.done) }()
	t.Cleanup(func() {
		syscall.Kill(-mc.cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-mc.done:
		case <-time.After(waitLimit):
			syscall.Kill(-mc.cmd.Process.Pid, syscall.SIGKILL)
			<-mc.done
		}
		if t.Failed() {
			t.Logf("make cluster's output:\n%s", mc.logs.String())
		}
	})
	cli := newClient(t, mc.clientURLs)
	require.Eventually(t, func() bool {
		for _, u := range mc.clientURLs {
			st, err := status(cli, u)
			if err != nil || st.Leader == 0 {
				return false
			}
		}
		return true
	}, electionLimit, pollEvery, "make cluster's three members to have a leader")
	return mc
}

// tutorialCommands reads the seed tutorial's shell commands (its etcdctl,
// export and curl lines), in order. The tutorial is in Chinese; "或"
// ("or") joins two spellings of one command.
func tutorialCommands(t *testing.T) []string {
	t.Helper()
	files := []string{sharedFile(t, "seeds/000_9f626e7c374240a0.txt")}
	var commands []string
	for _, file := range files {
		f, err := os.Open(file)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			for _, cmd := range strings.Split(sc.Text(), "或") {
				cmd = strings.TrimSpace(cmd)
				if strings.HasPrefix(cmd, "etcdctl ") || strings.HasPrefix(cmd, "export ETCDCTL_") || strings.HasPrefix(cmd, "curl http") {
					commands = append(commands, cmd)
				}
			}
		}
		f.Close()
		require.NoError(t, sc.Err(), file)
	}
	return commands
}

// tutorialRun is what each of the tutorial's commands did, in order; the
// watch (the tutorial's second window) is what it printed until the end.
type tutorialRun struct {
	results   []result
	watchLine string
	watch     result
}

// runTutorial runs the tutorial's commands verbatim with c against the
// cluster, from an empty store, as a new user types them: exports in one
// shell, the watch in a second window, Ctrl-C to end it.
func runTutorial(t *testing.T, c cli, mc *makeCluster, commands []string) tutorialRun {
	t.Helper()
	kv := newClient(t, mc.clientURLs)
	_, err := kv.Delete(callCtx(t), "", clientv3.WithPrefix())
	require.NoError(t, err)
	var env []string
	var run tutorialRun
	var watch *background
	for _, line := range commands {
		words := shellWords(c.command(line))
		switch {
		case words[0] == "export":
			env = append(env, words[1])
			run.results = append(run.results, result{})
		case len(words) > 1 && words[1] == "watch":
			before := watchers(t, mc.clientURLs)
			watch = c.start(t, line, env...)
			run.watchLine = line
			waitWatchers(t, mc.clientURLs, before+1, watch)
			run.results = append(run.results, result{})
		default:
			run.results = append(run.results, c.run(t, line, env...))
		}
	}
	if watch != nil {
		// The tutorial's changes of the watched key happened before the
		// last command; the watch prints them as they come.
		require.Eventually(t, func() bool { return strings.Count(watch.out.String(), "\n") >= 3 || watch.exited() },
			waitLimit, pollEvery, "the watch in the second window to print the put after it")
		run.watch.code = watch.stop(t, syscall.SIGINT) // Ctrl-C
		run.watch.stdout, run.watch.stderr = watch.out.String(), watch.errOut.String()
	}
	return run
}

// The seed tutorial's commands, verbatim, with the real etcdctl against
// `make cluster`: each must do what the tutorial says it does (a model of
// the keys it wrote says what a get, a del and the watch must print), and
// raftkvctl, given the same commands, must print what etcdctl printed.
func TestTutorial_EtcdctlAgainstMakeCluster(t *testing.T) {
	commands := tutorialCommands(t)
	require.GreaterOrEqual(t, len(commands), 10, "commands in the seed tutorial: %q", commands)
	mc := startMakeCluster(t)
	e := runTutorial(t, etcdctl(t), mc, commands)
	checkTutorialModel(t, commands, e)
	r := runTutorial(t, raftkvctl(), mc, commands)

	for i, line := range commands {
		want, got := e.results[i], r.results[i]
		words := shellWords(line)
		switch {
		case words[0] == "curl":
			// Its stderr is curl's progress meter, speeds and all.
			assert.Equal(t, want.code, got.code, "%s: exit code", line)
			assert.Equal(t, want.stdout, got.stdout, line)
		case len(words) > 1 && (words[1] == "-h" || words[1] == "--help"):
			compareHelp(t, line, want, got)
		case len(words) > 1 && strings.HasPrefix(words[1], "-"):
			// An etcdctl v2 spelling (-version, -v): refused by etcdctl
			// v3, as by any cobra program, with its usage after the
			// error; the usage is compared with the help's.
			assert.Equal(t, want.code, got.code, "%s: exit code", line)
			assert.Equal(t, want.stdout, got.stdout, "%s: stdout", line)
			assert.Equal(t, firstLine(want.stderr), asCLI(firstLine(got.stderr)), "%s: the error", line)
		default:
			compareResults(t, line, want, got)
		}
	}
	compareResults(t, e.watchLine+" (the second window)", e.watch, r.watch)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// compareResults: raftkvctl's result is etcdctl's, but for the names of
// the programs and what must differ between runs.
func compareResults(t *testing.T, line string, etcd, ours result) {
	t.Helper()
	assert.Equal(t, etcd.code, ours.code, "%s: exit code", line)
	if diff := cmp.Diff(asCLI(normalize(etcd.stdout)), asCLI(normalize(ours.stdout))); diff != "" {
		t.Errorf("%s: stdout (-etcdctl +raftkvctl, normalized):\n%s", line, diff)
	}
	if diff := cmp.Diff(asCLI(normalize(etcd.stderr)), asCLI(normalize(ours.stderr))); diff != "" {
		t.Errorf("%s: stderr (-etcdctl +raftkvctl, normalized):\n%s", line, diff)
	}
}

// helpCommands reads the commands a help lists, with their descriptions:
// etcdctl's (cobra's "  name   description" under its groups) or
// raftkvctl's ("\tname [sub]\t\tdescription" under COMMANDS:), by their
// first word. A subcommand's description is not its command's: it is
// left out ("").
func helpCommands(help string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z][a-z-]*) +(\S.*)$`).FindAllStringSubmatch(help, -1) {
		out[m[1]] = m[2]
	}
	for _, m := range regexp.MustCompile(`(?m)^\t([a-z][a-z-]*)( [a-z-]+)?\t+(\S.*)$`).FindAllStringSubmatch(help, -1) {
		if m[2] != "" {
			out[m[1]] = ""
		} else {
			out[m[1]] = m[3]
		}
	}
	return out
}

// compareHelp: raftkvctl's help lists only commands etcdctl has, each a
// command of its own described as etcdctl describes it (etcd named
// raftkv); the layout of the two helps is not compared (see the report of
// this test's commit: etcdctl 3.7 prints cobra's grouped help).
func compareHelp(t *testing.T, line string, etcd, ours result) {
	t.Helper()
	assert.Equal(t, etcd.code, ours.code, "%s: exit code", line)
	theirs, mine := helpCommands(etcd.stdout), helpCommands(ours.stdout)
	require.NotEmpty(t, theirs, "%s: no command in etcdctl's help %q", line, etcd.stdout)
	require.NotEmpty(t, mine, "%s: no command in raftkvctl's help %q", line, ours.stdout)
	var names []string
	for name := range mine {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		desc, ok := theirs[name]
		if !assert.True(t, ok, "%s: raftkvctl lists %q, which etcdctl does not", line, name) {
			continue
		}
		if mine[name] == "" {
			continue // a group in etcdctl's help, subcommands in raftkvctl's
		}
		assert.Equal(t, desc, strings.ReplaceAll(mine[name], "raftkv", "etcd"), "%s: %s's description (raftkv named etcd)", line, name)
	}
}

// checkTutorialModel: each of etcdctl's results against raftkv is what
// the tutorial says its command does, from a model of the keys it wrote.
func checkTutorialModel(t *testing.T, commands []string, run tutorialRun) {
	t.Helper()
	model := map[string]string{}
	exported := false
	var watchKey, watchWant string
	kinds := map[string]int{}
	for i, line := range commands {
		r := run.results[i]
		words := shellWords(line)
		if words[0] == "export" {
			exported = true
			continue
		}
		if words[0] == "curl" {
			// Its stderr is curl's progress meter.
			kinds["curl"]++
			assert.Equal(t, gatewayVersion(t), r.stdout, "%s: etcd's /version", line)
			assert.Zero(t, r.code, line)
			continue
		}
		verb := words[1]
		kinds[verb]++
		want := result{}
		switch {
		case verb == "watch":
			watchKey = words[2]
			continue
		case verb == "-h" || verb == "--help":
			assert.Zero(t, r.code, line)
			assert.Contains(t, r.stdout, "etcdctl [command]", line)
			continue
		case strings.HasPrefix(verb, "-"):
			assert.Equal(t, 1, r.code, line)
			assert.Equal(t, fmt.Sprintf("Error: unknown shorthand flag: '%c' in %s", verb[1], verb), firstLine(r.stderr), line)
			continue
		case verb == "version":
			want.stdout = "etcdctl version: 3.7.3\nAPI version: 3.7\n"
		case verb == "put" && len(words) == 4:
			want.stdout = "OK\n"
			model[words[2]] = words[3]
			if words[2] == watchKey {
				watchWant += "PUT\n" + words[2] + "\n" + words[3] + "\n"
			}
		case verb == "get" && len(words) == 3:
			if v, ok := model[words[2]]; ok {
				want.stdout = words[2] + "\n" + v + "\n"
			}
		case verb == "del" && (len(words) == 3 || len(words) == 4 && words[3] == "--prefix"):
			n := 0
			for k := range model {
				if k == words[2] || len(words) == 4 && strings.HasPrefix(k, words[2]) {
					delete(model, k)
					n++
				}
			}
			want.stdout = fmt.Sprintf("%d\n", n)
		default:
			t.Errorf("%s: this test has no expectation for this command of the tutorial; teach it", line)
			continue
		}
		// An exported ETCDCTL_API draws etcdctl's warning (not for
		// version: etcdctl 3.7.3 does not check its environment there).
		if exported && verb != "version" {
			assert.Contains(t, r.stderr, `"msg":"unrecognized environment variable","environment-variable":"ETCDCTL_API=3"`, line)
			r.stderr = ""
		}
		assert.Equal(t, want, r, line)
	}
	for _, kind := range []string{"put", "get", "del", "watch", "version", "curl"} {
		assert.NotZero(t, kinds[kind], "the seed tutorial has no %s command any more: %q", kind, commands)
	}
	require.NotEmpty(t, watchWant, "the tutorial changed nothing its watch (of %s) could show", watchKey)
	if exported {
		assert.Contains(t, run.watch.stderr, `"msg":"unrecognized environment variable","environment-variable":"ETCDCTL_API=3"`, "watch")
		run.watch.stderr = ""
	}
	assert.Equal(t, result{stdout: watchWant, code: 130}, run.watch, "the watch in the second window, ended with Ctrl-C")
}

// gatewayVersion is what etcd 3.7.3 answers to GET /version, from its
// JSON gateway's transcript (shared/reference/etcd-json-gateway.md).
func gatewayVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(sharedFile(t, "reference/etcd-json-gateway.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)\\$ curl [^\\n]*/version\\n.*?\\n\\n(\\{[^\\n]*\\})\\n```").FindSubmatch(data)
	require.NotNil(t, m, "GET /version in etcd's gateway transcript")
	return string(m[1])
}
