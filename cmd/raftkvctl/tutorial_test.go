package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTutorial runs the seed tutorial's commands, read from the tutorial
// itself (shared/seeds/, beside the repository, or its verbatim copy in
// testdata/), in its order, with
// raftkvctl in etcdctl's place: what a new user types first. The tutorial
// shows no output, so the test knows what each kind of command must do,
// and keeps a model of the keys the tutorial wrote to know what a get, a
// del or the watch must print. A command it does not know fails the test:
// a tutorial that changes must not go unchecked.
func TestTutorial(t *testing.T) {
	commands := tutorialCommands(t)
	if len(commands) < 10 {
		t.Fatalf("found only %d commands in the seed tutorial: %q", len(commands), commands)
	}
	t.Logf("the seed tutorial's commands: %q", commands)
	c := cluster(t)
	// The tutorial starts from a new install: an empty store.
	c.ctl(t, "del", "", "--prefix")

	var env []string // what the tutorial exported
	model := map[string]string{}
	var watch *proc // the tutorial's second window
	var watchKey string
	var watchFrom int    // the watch's output before the tutorial's first change
	var watchWant string // the events the tutorial's changes must show
	event := func(typ, key, value string) {
		if watch != nil && key == watchKey {
			watchWant += typ + "\n" + key + "\n" + value + "\n"
		}
	}
	kinds := map[string]int{}
	for _, line := range commands {
		args := shellWords(line)
		if len(args) == 0 {
			continue
		}
		if args[0] == "export" {
			name, value, _ := strings.Cut(args[1], "=")
			env = append(env, strings.Replace(name, "ETCDCTL_", envPrefix, 1)+"="+value)
			continue
		}
		if args[0] == "curl" {
			kinds["curl"]++
			checkVersionURL(t, strings.Replace(args[len(args)-1], "http://127.0.0.1:2379", c.members[0].clientURL, 1))
			continue
		}
		verb := args[1]
		kinds[verb]++
		if verb == "watch" {
			watch, watchKey = c.start(t, args[1:]...), args[2]
			syncWatch(t, c, watch, watchKey) // puts "sync" until the watch shows it
			model[watchKey] = "sync"
			watchFrom = len(watch.out.String())
			continue
		}
		r := c.sh(t, strings.Replace(line, "etcdctl", "raftkvctl", 1), env...)
		want := result{}
		switch {
		case verb == "-h" || verb == "--help":
			if r.code != 0 || !strings.Contains(r.stdout, "COMMANDS:") || !strings.Contains(r.stdout, "raftkvctl put /testdir/testkey") {
				t.Errorf("%s: exit %d, stdout %q: want the help, with its commands and examples", line, r.code, r.stdout)
			}
			continue
		case verb == "version":
			want.stdout = "raftkvctl version: 0.1.0\nAPI version: 3.7\n"
		case strings.HasPrefix(verb, "-"):
			// The tutorial's etcdctl v2 spellings (-version, -v):
			// etcdctl v3 refuses them, as cobra does any unknown flag.
			want.code = 1
			if !strings.HasPrefix(r.stderr, fmt.Sprintf("Error: unknown shorthand flag: '%c' in %s\n", verb[1], verb)) {
				t.Errorf("%s: stderr %q: want etcdctl's unknown-flag error", line, r.stderr)
			}
			r.stderr = ""
		case verb == "put" && len(args) == 4:
			want.stdout = "OK\n"
			model[args[2]] = args[3]
			event("PUT", args[2], args[3])
		case verb == "get" && len(args) == 3:
			if v, ok := model[args[2]]; ok {
				want.stdout = args[2] + "\n" + v + "\n"
			}
		case verb == "del" && (len(args) == 3 || len(args) == 4 && args[3] == "--prefix"):
			var gone []string
			for k := range model {
				if k == args[2] || len(args) == 4 && strings.HasPrefix(k, args[2]) {
					gone = append(gone, k)
				}
			}
			sort.Strings(gone)
			for _, k := range gone {
				delete(model, k)
				event("DELETE", k, "")
			}
			want.stdout = fmt.Sprintf("%d\n", len(gone))
		default:
			t.Errorf("%s: TestTutorial has no expectation for this command of the tutorial; teach it", line)
			continue
		}
		// An exported ETCDCTL_API draws etcdctl's warning, on stderr
		// (not for version: etcdctl 3.7.3 does not warn there either).
		if len(env) > 0 && verb != "version" && want.code == 0 {
			if !strings.Contains(r.stderr, "unrecognized environment variable") {
				t.Errorf("%s: no warning about the exported %v: stderr %q", line, env, r.stderr)
			}
			r.stderr = ""
		}
		if r != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q", line, r.code, r.stdout, r.stderr, want.code, want.stdout, want.stderr)
		}
	}
	for _, kind := range []string{"put", "get", "del", "watch", "version", "curl"} {
		if kinds[kind] == 0 {
			t.Errorf("the seed tutorial has no %s command any more: %q", kind, commands)
		}
	}
	if watch == nil {
		return
	}
	if watchWant == "" {
		t.Fatalf("the tutorial changed nothing its watch (of %s) could show", watchKey)
	}
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		assert.Equal(ct, watchWant, watch.out.String()[watchFrom:])
	}, waitLimit, pollEvery, "the watch in the second window to print the tutorial's changes of %s", watchKey)
	watch.signal(t, syscall.SIGINT)
	if code := watch.wait(t); code != 130 {
		t.Errorf("watch after Ctrl-C: exit %d, want 130", code)
	}
}

// checkVersionURL: GET /version answers etcd's JSON, with our version.
func checkVersionURL(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return
	}
	defer resp.Body.Close()
	var v struct {
		Server  string `json:"etcdserver"`
		Cluster string `json:"etcdcluster"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Server != "3.7.3" || v.Cluster == "" {
		t.Errorf("GET %s: %+v, %v; want etcdserver 3.7.3 (the etcd API version) and a cluster version", url, v, err)
	}
}

// tutorialCommands reads the shell commands of the seed tutorials
// (shared/seeds/*.txt): its etcdctl, export and curl lines, in order. The
// tutorial is in Chinese; "或" ("or") joins two spellings of one command.
func tutorialCommands(t *testing.T) []string {
	t.Helper()
	files := tutorialFiles(t)
	var commands []string
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
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
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	return commands
}

// seedCopy is the seed tutorial as the repository carries it, byte for byte,
// for a clone checked out without shared/ beside it.
const seedCopy = "testdata/seed-tutorial.txt"

// tutorialFiles finds the seed tutorial in shared/seeds/ beside the
// repository, or beside a folder above it. Where it is found, the
// repository's copy must be identical to it — the copy is the tutorial,
// never an edited list of commands, and a tutorial that changes fails here
// until the copy follows. Where shared/ is absent (a bare clone), the copy
// is what the test reads.
func tutorialFiles(t *testing.T) []string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(seedCopy)
	require.NoError(t, err, "the repository's copy of the seed tutorial")
	for dir := filepath.Dir(repo); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		seeds := filepath.Join(dir, "shared", "seeds")
		files, _ := filepath.Glob(filepath.Join(seeds, "*.txt"))
		if len(files) == 0 {
			continue
		}
		require.Len(t, files, 1, "one seed tutorial in %s", seeds)
		original, err := os.ReadFile(files[0])
		require.NoError(t, err)
		require.Equal(t, string(original), string(copied), "%s must be a copy of %s", seedCopy, files[0])
		return files
	}
	t.Logf("no shared/seeds/ above %s: reading the repository's copy, %s", repo, seedCopy)
	return []string{seedCopy}
}

// shellWords splits a command line as sh does for the tutorial's lines:
// words apart at blanks, quotes (single or double) kept together and
// removed.
func shellWords(line string) []string {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

func TestShellWords(t *testing.T) {
	for line, want := range map[string][]string{
		`etcdctl put /testdir/testkey "Hello world"`: {"etcdctl", "put", "/testdir/testkey", "Hello world"},
		`etcdctl  del / --prefix`:                    {"etcdctl", "del", "/", "--prefix"},
		`etcdctl put k ''`:                           {"etcdctl", "put", "k", ""},
		`etcdctl put k 'a "b"'`:                      {"etcdctl", "put", "k", `a "b"`},
	} {
		if got := shellWords(line); !slices.Equal(got, want) {
			t.Errorf("shellWords(%q) = %q, want %q", line, got, want)
		}
	}
}
