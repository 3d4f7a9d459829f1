package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// These tests run raftkvctl in this process (run), against the shared
// cluster: every command and option, and what each prints.

// run runs raftkvctl in-process against the cluster.
func (c *testCluster) run(t *testing.T, args ...string) result {
	t.Helper()
	return runCtl(t, c.environ(), "", args...)
}

// running is raftkvctl running in this process in the background.
type running struct {
	out, errOut syncBuffer
	cancel      context.CancelCauseFunc
	done        chan int
}

// goRun starts raftkvctl in-process; interrupt stops it as a signal would.
func (c *testCluster) goRun(t *testing.T, stdin io.Reader, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &running{cancel: cancel, done: make(chan int, 1)}
	go func() { r.done <- run(ctx, args, stdin, &r.out, &r.errOut, c.environ()) }()
	t.Cleanup(func() {
		cancel(nil)
		r.wait(t)
	})
	return r
}

// interrupt is SIGINT: main cancels the run's context with this cause.
func (r *running) interrupt() { r.cancel(&silentExit{code: 130}) }

func (r *running) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // for the next wait
		return code
	case <-time.After(waitLimit):
		t.Fatalf("raftkvctl did not return within %s; stdout %q, stderr %q", waitLimit, r.out.String(), r.errOut.String())
		return 0
	}
}

// putRev puts and returns the revision of the put.
func putRev(t *testing.T, c *testCluster, key, value string) int64 {
	t.Helper()
	c.run(t, "put", key, value)
	return modRevision(t, c, key)
}

func modRevision(t *testing.T, c *testCluster, key string) int64 {
	t.Helper()
	var resp struct {
		Kvs []struct {
			ModRevision int64 `json:"mod_revision"`
			Lease       int64 `json:"lease"`
		} `json:"kvs"`
	}
	r := c.run(t, "get", key, "-w", "json")
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get %s -w json: %+v (%v)", key, r, err)
	}
	return resp.Kvs[0].ModRevision
}

func expectRun(t *testing.T, r result, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code || r.stdout != stdout || r.stderr != stderr {
		t.Errorf("got exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr, code, stdout, stderr)
	}
}

func TestGetOptions(t *testing.T) {
	c := cluster(t)
	// "~" sorts after the other tests' keys: --from-key sees only ours.
	c.run(t, "del", "~o/", "--prefix")
	for _, kv := range [][2]string{{"~o/a", "3"}, {"~o/b", "1"}, {"~o/c", "2"}} {
		c.run(t, "put", kv[0], kv[1])
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "~o/", "--prefix", "--keys-only"}, "~o/a\n\n~o/b\n\n~o/c\n\n"},
		{[]string{"get", "~o/", "--prefix", "--sort-by=VALUE", "--order=DESCEND", "--print-value-only"}, "3\n2\n1\n"},
		{[]string{"get", "~o/", "--prefix", "--sort-by=create", "--limit=2"}, "~o/a\n3\n~o/b\n1\n"},
		{[]string{"get", "~o/b", "~o/d"}, "~o/b\n1\n~o/c\n2\n"},
		{[]string{"get", "~o/b", "--from-key", "--keys-only", "--consistency=s"}, "~o/b\n\n~o/c\n\n"},
		{[]string{"get", "~o/a", "--hex"}, "\\x7e\\x6f\\x2f\\x61\n\\x33\n"},
		{[]string{"--hex", "get", "~o/c", "--print-value-only"}, "\\x32\n"},
		{[]string{"put", "~o/a", "4", "--prev-kv"}, "OK\n~o/a\n3\n"},
		{[]string{"put", "~o/a", "--ignore-value"}, "OK\n"},
		{[]string{"get", "~o/a", "--print-value-only"}, "4\n"},
		{[]string{"del", "~o/b", "--from-key", "--prev-kv"}, "2\n~o/b\n1\n~o/c\n2\n"},
		{[]string{"put", "--", "~o/-dash", "-value"}, "OK\n"},
		{[]string{"get", "~o/-dash", "--print-value-only"}, "-value\n"},
	}
	for _, tt := range tests {
		if r := c.run(t, tt.args...); r.code != 0 || r.stdout != tt.want {
			t.Errorf("raftkvctl %s: %+v, want stdout %q", strings.Join(tt.args, " "), r, tt.want)
		}
	}
	// A value from standard input, as "cat file | raftkvctl put key".
	expectRun(t, runCtl(t, c.environ(), "from\nstdin\n", "put", "~o/stdin"), 0, "OK\n", "")
	expectRun(t, c.run(t, "get", "~o/stdin", "--print-value-only"), 0, "from\nstdin\n\n", "")

	r := c.run(t, "get", "~o/", "--prefix", "--count-only", "-w", "fields")
	if !strings.HasSuffix(r.stdout, "\"More\" : false\n\"Count\" : 3\n") {
		t.Errorf("--count-only: %+v", r)
	}
	expectRun(t, c.run(t, "get", "~o/a", "-w", "table"), 4, "", "Error: table not supported as output format\n")
}

// Revisions: reads and watches of the past, and compaction.
func TestRevisions(t *testing.T) {
	c := cluster(t)
	r1 := putRev(t, c, "rev/k", "v1")
	r2 := putRev(t, c, "rev/k", "v2")
	expectRun(t, c.run(t, "get", "rev/k", fmt.Sprintf("--rev=%d", r1)), 0, "rev/k\nv1\n", "")
	// watch --rev replays the history (the transcript's "watch key1 --rev=9").
	w := c.goRun(t, nil, "watch", "rev/k", fmt.Sprintf("--rev=%d", r1))
	require.Eventually(t, func() bool { return w.out.String() == "PUT\nrev/k\nv1\nPUT\nrev/k\nv2\n" }, waitLimit, pollEvery, "the replayed events")
	w.interrupt()
	if code := w.wait(t); code != 130 {
		t.Errorf("interrupted watch: exit %d", code)
	}
	expectRun(t, c.run(t, "get", "rev/k", "--rev=99999999"), 1, "", "Error: etcdserver: mvcc: required revision is a future revision\n")

	expectRun(t, c.run(t, "compaction", "--physical", fmt.Sprint(r2)), 0, fmt.Sprintf("compacted revision %d\n", r2), "")
	expectRun(t, c.run(t, "get", "rev/k", fmt.Sprintf("--rev=%d", r1)), 1, "", "Error: etcdserver: mvcc: required revision has been compacted\n")
	expectRun(t, c.run(t, "watch", "rev/k", fmt.Sprintf("--rev=%d", r1)), 5, "",
		"watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server\n")
	expectRun(t, c.run(t, "compaction", fmt.Sprint(r1)), 1, "", "Error: etcdserver: mvcc: required revision has been compacted\n")
}

func TestTxn(t *testing.T) {
	c := cluster(t)
	c.run(t, "put", "txk", "v")
	in := "value(\"txk\") = \"w\"\n\nput txk yes\n\nget txk\nput txk \"no way\" --prev-kv\n\n"
	expectRun(t, runCtl(t, c.environ(), in, "txn", "-i"), 0,
		"compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nFAILURE\n\ntxk\nv\n\nOK\ntxk\nv\n", "")
	expectRun(t, runCtl(t, c.environ(), "ver(\"txk\") > \"1\"\n\ndel txk --prev-kv\n\n\n", "txn"), 0, "SUCCESS\n\n1\ntxk\nno way\n", "")
	r := runCtl(t, c.environ(), "create(\"txk\") = \"0\"\n\nput txk new\n\n\n", "txn", "-w", "fields")
	if r.code != 0 || !strings.Contains(r.stdout, "\"Succeeded\" : true\n") {
		t.Errorf("txn -w fields: %+v", r)
	}
	expectRun(t, runCtl(t, c.environ(), "nonsense\n\n\n\n", "txn"), 3, "", "Error: malformed comparison: nonsense\n")
	expectRun(t, runCtl(t, c.environ(), "\nput txk\n\n\n", "txn"), 128, "", "Error: put command needs 1 argument and input from stdin or 2 arguments\n")
}

func TestLeases(t *testing.T) {
	c := cluster(t)
	// put --ttl: a lease granted for the key.
	expectRun(t, c.run(t, "put", "ttl/k", "v", "--ttl", "60"), 0, "OK\n", "")
	var resp struct {
		Kvs []struct{ Lease int64 } `json:"kvs"`
	}
	json.Unmarshal([]byte(c.run(t, "get", "ttl/k", "-w", "json").stdout), &resp)
	if len(resp.Kvs) != 1 || resp.Kvs[0].Lease == 0 {
		t.Fatalf("put --ttl attached no lease: %+v", resp)
	}
	id := fmt.Sprintf("%016x", resp.Kvs[0].Lease)
	r := c.run(t, "lease", "timetolive", id, "--keys")
	if !regexp.MustCompile(`^lease ` + id + ` granted with TTL\(60s\), remaining\(\d+s\), attached keys\(\[ttl/k\]\)\n$`).MatchString(r.stdout) {
		t.Errorf("timetolive --keys: %+v", r)
	}
	// --ignore-lease keeps it; a plain put drops it.
	c.run(t, "put", "ttl/k", "v2", "--ignore-lease")
	if r := c.run(t, "lease", "timetolive", id, "--keys"); !strings.Contains(r.stdout, "[ttl/k]") {
		t.Errorf("--ignore-lease lost the lease: %+v", r)
	}
	expectRun(t, c.run(t, "lease", "revoke", id), 0, "lease "+id+" revoked\n", "")
	expectRun(t, c.run(t, "get", "ttl/k"), 0, "", "")

	// keep-alive: renews until the lease is revoked, then says so.
	grant := c.run(t, "lease", "grant", "3")
	m := regexp.MustCompile(`^lease ([0-9a-f]+) granted with TTL\(3s\)\n$`).FindStringSubmatch(grant.stdout)
	if m == nil {
		t.Fatalf("lease grant 3: %+v", grant)
	}
	ka := c.goRun(t, nil, "lease", "keep-alive", m[1])
	require.Eventually(t, func() bool { return strings.HasPrefix(ka.out.String(), "lease "+m[1]+" keepalived with TTL(3)\n") }, waitLimit, pollEvery, "a renewal")
	c.run(t, "lease", "revoke", m[1])
	if code := ka.wait(t); code != 0 || !strings.HasSuffix(ka.out.String(), "lease "+m[1]+" expired or revoked.\n") {
		t.Errorf("keep-alive of a revoked lease: exit %d, %q %q", code, ka.out.String(), ka.errOut.String())
	}
	expectRun(t, c.run(t, "lease", "keep-alive", "--once", m[1]), 2, "", "Error: etcdserver: requested lease not found\n")
	expectRun(t, c.run(t, "lease", "revoke", m[1]), 1, "", "Error: failed to revoke lease (etcdserver: requested lease not found)\n")
	r = c.run(t, "lease", "timetolive", m[1], "-w", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"ttl":-1,"granted-ttl":0`) {
		t.Errorf("timetolive -w json of a revoked lease: %+v", r)
	}
}

func TestWatchOptions(t *testing.T) {
	c := cluster(t)
	// A command for each event, with the event in its environment.
	w := c.goRun(t, nil, "watch", "wx", "--", "sh", "-c", `echo "[$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $RAFTKV_WATCH_VALUE $ETCD_WATCH_REVISION]"`)
	require.Eventually(t, func() bool {
		c.run(t, "put", "wx", "x y")
		return regexp.MustCompile(`PUT\nwx\nx y\n\["PUT" "wx" "x y" \d+\]\n`).MatchString(w.out.String())
	}, waitLimit, pollEvery, "the hook")
	w.interrupt()
	w.wait(t)

	// Interactive: several watches from standard input, until it ends.
	stdin, feed := io.Pipe()
	w = c.goRun(t, stdin, "watch", "-i")
	fmt.Fprintln(feed, "watch wi1")
	fmt.Fprintln(feed, "watch wi2 --prev-kv")
	fmt.Fprintln(feed, "frob wi3")
	fmt.Fprintln(feed, "watch")
	require.Eventually(t, func() bool {
		c.run(t, "put", "wi1", "one")
		c.run(t, "put", "wi2", "two")
		out := w.out.String()
		return strings.Contains(out, "PUT\nwi1\none\n") && strings.Contains(out, "PUT\nwi2\ntwo\nwi2\ntwo\n")
	}, waitLimit, pollEvery, "both watches")
	feed.Close()
	if code := w.wait(t); code != 3 || !strings.HasSuffix(w.errOut.String(), "Error: error reading watch request line: EOF\n") ||
		!strings.Contains(w.errOut.String(), "Invalid command frob wi3 (only support watch)\n") ||
		!strings.Contains(w.errOut.String(), "Invalid command watch (command type or key is not provided)\n") {
		t.Errorf("watch -i at the end of its input: exit %d, stderr %q", code, w.errOut.String())
	}
}

// member list has etcdctl's columns and endpoint status says who leads,
// one member, as in etcd.
func TestLeaderIsMarked(t *testing.T) {
	c := cluster(t)
	r := c.run(t, "member", "list")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if f := strings.Split(line, ", "); len(f) != 6 {
			t.Fatalf("member list line %q: want etcdctl's 6 fields", line)
		}
	}
	// An earlier test may have left an election going: wait for its end.
	leaders := func(out string) int {
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Split(line, ", "); len(f) > 8 && f[8] == "true" {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return leaders(c.run(t, "endpoint", "status", "--cluster").stdout) == 1 },
		10*time.Second, 50*time.Millisecond, "endpoint status --cluster should mark one leader")

	// endpoint status -w table has etcdctl's columns, and one leader.
	table := c.run(t, "endpoint", "status", "--cluster", "-w", "table").stdout
	want := golden(t, "etcdctl endpoint status --cluster -w table", 0)
	header := func(s string) string { return normalize(strings.Split(s, "\n")[1], asIs) }
	if header(table) != header(want) || strings.Count(table, " true │") != 1 {
		t.Errorf("endpoint status --cluster -w table:\n%s", table)
	}
	// The JSON is etcdctl's, the space quota included. Its header
	// revision is the store's, now.
	now := currentRevision(t, c)
	r = runCtl(t, baseEnviron(), "", "endpoint", "status", "--endpoints="+c.members[0].endpoint(), "-w", "json")
	want = golden(t, "env -u ETCDCTL_ENDPOINTS etcdctl endpoint status --endpoints=127.0.0.1:22379 -w json", 0)
	if diff := cmp.Diff(normalize(want, func(int64) int64 { return now }), normalize(r.stdout, asIs)); diff != "" {
		t.Errorf("endpoint status -w json (-etcdctl +raftkvctl, normalized):\n%s", diff)
	}
	r = c.run(t, "endpoint", "status", "-w", "fields")
	if strings.Count(r.stdout, `"Endpoint" : `) != 3 || !strings.Contains(r.stdout, `"DowngradeEnabled" : false`) {
		t.Errorf("endpoint status -w fields: %+v", r)
	}
}

func TestEndpointsAndMaintenance(t *testing.T) {
	c := cluster(t)
	var health []epHealth
	r := c.run(t, "endpoint", "health", "--cluster", "-w", "json")
	if err := json.Unmarshal([]byte(r.stdout), &health); err != nil || len(health) != 3 {
		t.Fatalf("endpoint health --cluster -w json: %+v", r)
	}
	for _, h := range health {
		if !h.Health || !strings.HasPrefix(h.Ep, "http://127.0.0.1:") {
			t.Errorf("unhealthy: %+v", h)
		}
	}
	r = c.run(t, "endpoint", "hashkv", "--cluster")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 {
		t.Fatalf("endpoint hashkv: %+v", r)
	}
	// The members applied the same log: the same hash at the same revision,
	// once they all have it.
	require.Eventually(t, func() bool {
		r = c.run(t, "endpoint", "hashkv", "--cluster", "-w", "fields")
		hashes := regexp.MustCompile(`"Hash" : (\d+)\n"HashRevision" : (\d+)`).FindAllStringSubmatch(r.stdout, -1)
		return len(hashes) == 3 && hashes[0][0] == hashes[1][0] && hashes[1][0] == hashes[2][0]
	}, waitLimit, pollEvery, "the members to agree on the hash")
	r = c.run(t, "defrag", "--cluster")
	if r.code != 0 || strings.Count(r.stdout, "Finished defragmenting raftkv member[http://127.0.0.1:") != 3 {
		t.Errorf("defrag --cluster: %+v", r)
	}

	// snapshot save: from one member, into a file that appears whole.
	path := filepath.Join(t.TempDir(), "backup.db")
	expectRun(t, runCtl(t, baseEnviron(), "", "--endpoints="+c.members[1].endpoint(), "snapshot", "save", path), 0, "Snapshot saved at "+path+"\nServer version 3.7.0\n", "")
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("snapshot file: %v %v", fi, err)
	}
	if _, err := os.Stat(path + ".part"); !os.IsNotExist(err) {
		t.Errorf("%s.part left behind: %v", path, err)
	}
}

// member add, promote and remove, with a learner that never starts (it
// takes no part in the quorum, so the cluster does not notice).
func TestMemberChanges(t *testing.T) {
	c := cluster(t)
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	r := c.run(t, "member", "add", "m4", "--peer-urls="+peer, "--learner")
	m := regexp.MustCompile(`^Member +([0-9a-f]+) added as learner to cluster +[0-9a-f]+\n\n` +
		`RAFTKV_NAME="m4"\nRAFTKV_INITIAL_CLUSTER="(.*)"\nRAFTKV_INITIAL_ADVERTISE_PEER_URLS="` + peer + `"\nRAFTKV_INITIAL_CLUSTER_STATE="existing"\n$`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("member add: %+v", r)
	}
	if conf := strings.Split(m[2], ","); len(conf) != 4 || !strings.Contains(m[2], "m4="+peer) {
		t.Errorf("RAFTKV_INITIAL_CLUSTER=%q", m[2])
	}
	id := m[1]
	list := c.run(t, "member", "list").stdout
	if !strings.Contains(list, id+", unstarted, , "+peer+", , true\n") {
		t.Errorf("member list after add:\n%s", list)
	}
	if r := c.run(t, "member", "list", "-w", "fields"); strings.Count(r.stdout, `"IsLearner" : true`) != 1 {
		t.Errorf("member list -w fields: %+v", r)
	}
	expectRun(t, c.run(t, "member", "promote", id), 1, "", "Error: etcdserver: can only promote a learner member which is in sync with leader\n")
	r = c.run(t, "member", "remove", id)
	if r.code != 0 || !regexp.MustCompile(`^Member +`+id+` removed from cluster +[0-9a-f]+\n$`).MatchString(r.stdout) {
		t.Errorf("member remove: %+v", r)
	}
	expectRun(t, c.run(t, "member", "remove", id), 1, "", "Error: etcdserver: member not found\n")
	if strings.Count(c.run(t, "member", "list").stdout, "\n") != 3 {
		t.Error("the learner is still a member")
	}
}
