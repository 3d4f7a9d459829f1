package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the raftkvctl binary against the shared cluster, as a
// user at a shell would.

// syncWatch returns once the watch w (on key) is in place: it puts "sync"
// until w prints it (as text, or in base64 with -w json). A watch says
// nothing when it starts, so this is the only way to know, from outside,
// that it will see what follows.
func syncWatch(t *testing.T, c *testCluster, w *proc, key string) {
	t.Helper()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		if w.exited() {
			return // said below
		}
		if r := c.ctl(t, "put", key, "sync"); !assert.Zero(ct, r.code, "put %s sync: %+v", key, r) {
			return
		}
		out := w.out.String()
		assert.True(ct, strings.Contains(out, "\nsync\n") || strings.Contains(out, `"c3luYw=="`), "the watch printed no sync yet: %q", out)
	}, waitLimit, pollEvery, "the watch on %s to start", key)
	if w.exited() {
		t.Fatalf("watch exited: %q %q", w.out.String(), w.errOut.String())
	}
}

// The transcript's background steps: a watch while another shell writes.
func TestWatch(t *testing.T) {
	c := cluster(t)
	w := c.start(t, "watch", "/testw", "--prefix", "--prev-kv", "-w", "json")
	syncWatch(t, c, w, "/testw/sync")
	c.ctl(t, "put", "/testw/a", "1")
	c.ctl(t, "put", "/testw/a", "2")
	var got string
	require.Eventually(t, func() bool {
		got = w.out.String()
		return strings.Count(got, `"L3Rlc3R3L2E="`) == 3 // key /testw/a: twice in kv, once in prev_kv
	}, waitLimit, pollEvery, "both puts")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	want := golden(t, "etcdctl watch /testw --prefix --prev-kv -w json", 0)
	want = want[strings.Index(want, "{"):strings.Index(want, "[watch ended")]
	// The transcript's first put made revision 12; ours, the key's
	// create revision.
	var kv struct {
		Kvs []struct {
			CreateRevision int64 `json:"create_revision"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal([]byte(c.ctl(t, "get", "/testw/a", "-w", "json").stdout), &kv); err != nil || len(kv.Kvs) != 1 {
		t.Fatalf("get /testw/a -w json: %v %+v", err, kv)
	}
	rev := revisions{offset: kv.Kvs[0].CreateRevision - 12}
	if diff := cmp.Diff(normalize(want, rev.of), normalize(strings.Join(lines[len(lines)-2:], "\n")+"\n", asIs)); diff != "" {
		t.Errorf("watch -w json (-etcdctl +raftkvctl, normalized):\n%s", diff)
	}
	w.signal(t, syscall.SIGTERM)
	if code := w.wait(t); code != 143 {
		t.Errorf("watch after SIGTERM: exit %d, want 143", code)
	}
}

// lock: a second holder waits until the first is interrupted.
func TestLock(t *testing.T) {
	c := cluster(t)
	first := c.start(t, "lock", "e2elock")
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`^e2elock/[0-9a-f]+\n\n$`).MatchString(first.out.String()) || first.exited()
	}, waitLimit, pollEvery, "the first to hold the lock")
	key := strings.TrimSpace(first.out.String())
	second := c.start(t, "lock", "e2elock", "--", "sh", "-c", `echo "got-it $ETCD_LOCK_KEY $RAFTKV_LOCK_KEY"`)
	// The second has queued once its key is there; it must then wait.
	require.Eventually(t, func() bool {
		return strings.Count(c.ctl(t, "get", "e2elock", "--prefix", "--keys-only").stdout, "e2elock/") == 2 || second.exited()
	}, waitLimit, pollEvery, "the second to queue")
	if second.exited() || second.out.String() != "" {
		t.Fatalf("the second took the lock while the first held it: %q %q", second.out.String(), second.errOut.String())
	}
	first.signal(t, syscall.SIGTERM)
	if code := first.wait(t); code != 0 {
		t.Errorf("first holder after SIGTERM: exit %d, stderr %q", code, first.errOut.String())
	}
	if code := second.wait(t); code != 0 {
		t.Fatalf("second holder: exit %d, stderr %q", code, second.errOut.String())
	}
	m := regexp.MustCompile(`^got-it (e2elock/[0-9a-f]+) (e2elock/[0-9a-f]+)\n$`).FindStringSubmatch(second.out.String())
	if m == nil || m[1] != m[2] || m[1] == key {
		t.Errorf("the command under the lock printed %q (first held %s)", second.out.String(), key)
	}
	if r := c.ctl(t, "get", "e2elock", "--prefix"); r.stdout != "" {
		t.Errorf("keys left behind: %q", r.stdout)
	}
}

// elect: when the leader's process ends, the next candidate leads, and an
// observer sees both.
func TestElect(t *testing.T) {
	c := cluster(t)
	leaderRE := regexp.MustCompile(`^e2eelect/[0-9a-f]+\np1\n$`)
	first := c.start(t, "elect", "e2eelect", "p1")
	require.Eventually(t, func() bool { return leaderRE.MatchString(first.out.String()) || first.exited() }, waitLimit, pollEvery, "p1 to lead")
	observer := c.start(t, "elect", "-l", "e2eelect")
	require.Eventually(t, func() bool { return strings.Contains(observer.out.String(), "\np1\n") || observer.exited() }, waitLimit, pollEvery, "the observer to see p1")
	second := c.start(t, "elect", "e2eelect", "p2")
	require.Eventually(t, func() bool {
		return strings.Count(c.ctl(t, "get", "e2eelect", "--prefix", "--keys-only").stdout, "e2eelect/") == 2 || second.exited()
	}, waitLimit, pollEvery, "p2 to campaign")
	if second.out.String() != "" {
		t.Fatalf("p2 leads while p1 does: %q", second.out.String())
	}
	first.signal(t, syscall.SIGINT)
	if code := first.wait(t); code != 0 {
		t.Errorf("p1 after Ctrl-C: exit %d, stderr %q", code, first.errOut.String())
	}
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`^e2eelect/[0-9a-f]+\np2\n$`).MatchString(second.out.String()) || second.exited()
	}, waitLimit, pollEvery, "p2 to lead")
	require.Eventually(t, func() bool { return strings.HasSuffix(observer.out.String(), "\np2\n") }, waitLimit, pollEvery, "the observer to see p2")
	if got := observer.out.String(); got != first.out.String()+second.out.String() {
		t.Errorf("the observer saw %q, want the two leaders %q then %q", got, first.out.String(), second.out.String())
	}
	for _, p := range []*proc{second, observer} {
		p.signal(t, syscall.SIGTERM)
		if code := p.wait(t); code != 0 {
			t.Errorf("raftkvctl %q after SIGTERM: exit %d, stderr %q", p.args, code, p.errOut.String())
		}
	}
}

// --endpoints: the client moves on from an endpoint that is down.
func TestFailover(t *testing.T) {
	c := cluster(t)
	env := baseEnviron(envPrefix + "ENDPOINTS=" + deadEndpoint(t) + "," + c.members[0].endpoint())
	if r := execute(t, env, "", c.ctlPath, "put", "failover", "yes"); r.code != 0 || r.stdout != "OK\n" {
		t.Fatalf("put with the first endpoint down: %+v", r)
	}
	if r := execute(t, env, "", c.ctlPath, "get", "failover", "--print-value-only"); r.code != 0 || r.stdout != "yes\n" {
		t.Fatalf("get with the first endpoint down: %+v", r)
	}

	// A member that stops, first in --endpoints: the others answer, and it
	// catches up when it comes back. It is a follower: stopping the leader
	// would test the election (a write sent just then waits for the
	// server's request timeout, 7 s, as etcd's does), not raftkvctl.
	m := c.follower(t)
	env = baseEnviron(envPrefix + "ENDPOINTS=" + m.endpoint() + "," + strings.Join(c.endpoints(), ","))
	c.stopMember(m)
	defer func() {
		if err := c.startMember(m); err != nil {
			t.Fatal(err)
		}
		if err := c.waitHealthy(60e9); err != nil {
			t.Fatal(err)
		}
		if r := execute(t, baseEnviron(), "", c.ctlPath, "--endpoints="+m.endpoint(), "get", "failover", "--print-value-only"); r.stdout != "again\n" {
			t.Errorf("the restarted member does not have the write it missed: %+v", r)
		}
	}()
	if r := execute(t, env, "", c.ctlPath, "put", "failover", "again"); r.code != 0 || r.stdout != "OK\n" {
		t.Fatalf("put with %s stopped: %+v", m.name, r)
	}
	if r := execute(t, env, "", c.ctlPath, "get", "failover", "--print-value-only"); r.code != 0 || r.stdout != "again\n" {
		t.Fatalf("get with %s stopped: %+v", m.name, r)
	}
	r := c.ctl(t, "endpoint", "status")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "Failed to get the status of endpoint "+m.endpoint()+" (") ||
		strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("endpoint status with %s stopped: %+v", m.name, r)
	}
}

// Bad command lines and a dead cluster: etcdctl's errors and exit codes,
// from the binary itself.
func TestExitCodes(t *testing.T) {
	c := cluster(t)
	tests := []struct {
		args     []string
		code     int
		lastLine string
	}{
		{[]string{"get", "--foo"}, 1, ""},
		{[]string{"foo"}, 1, "Run 'raftkvctl --help' for usage."},
		{[]string{"get"}, 128, "Error: get command needs one argument as key and an optional argument as range_end"},
		{[]string{"-w", "xml", "get", "k"}, 4, "Error: unsupported output format"},
		{[]string{"--endpoints=" + deadEndpoint(t), "--command-timeout=1s", "get", "foo"}, 1, "Error: context deadline exceeded"},
		{[]string{"--endpoints=" + deadEndpoint(t), "--command-timeout=1s", "put", "foo", "bar"}, 1, "Error: context deadline exceeded"},
	}
	env := baseEnviron() // the tests give --endpoints
	for _, tt := range tests {
		r := execute(t, env, "", c.ctlPath, tt.args...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != tt.code || (tt.lastLine != "" && lines[len(lines)-1] != tt.lastLine) {
			t.Errorf("raftkvctl %s: exit %d, stderr %q; want exit %d, last line %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.lastLine)
		}
	}
	if r := execute(t, env, "", c.ctlPath, "get", "--foo"); !strings.HasPrefix(r.stderr, "Error: unknown flag: --foo\nNAME:") {
		t.Errorf("get --foo: %q", r.stderr)
	}
}

// member update, as an operator moves a member to another address: stop
// it, tell the cluster its new peer URL, start it there (with the new URL
// in its flags). It comes back as the same member, catches up, and every
// member lists it at its new address.
func TestMemberUpdateMovesAMember(t *testing.T) {
	c := cluster(t)
	m := c.follower(t)
	at := func(endpoints string, args ...string) result {
		return execute(t, baseEnviron(), "", c.ctlPath, append([]string{"--endpoints=" + endpoints}, args...)...)
	}
	r := at(m.endpoint(), "endpoint", "status", "-w", "fields")
	id := fieldValue(r.stdout, "MemberID")
	if r.code != 0 || id == "" {
		t.Fatalf("endpoint status of %s: %+v", m.name, r)
	}
	var old string
	for i, a := range m.args {
		if a == "--initial-advertise-peer-urls" {
			old = m.args[i+1]
		}
	}
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	moved := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	c.stopMember(m)
	idHex := fmt.Sprintf("%x", mustUint(t, id))
	r = at(strings.Join(c.endpoints(), ","), "member", "update", idHex, "--peer-urls="+moved)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Member "+fmt.Sprintf("%16s", idHex)+" updated in cluster ") {
		t.Fatalf("member update: %+v", r)
	}
	if r := c.ctl(t, "put", "moved", "yes"); r.code != 0 {
		t.Fatalf("put while %s is away: %+v", m.name, r)
	}
	for i, a := range m.args {
		m.args[i] = strings.ReplaceAll(a, old, moved)
	}
	if err := c.startMember(m); err != nil {
		t.Fatal(err)
	}
	if err := c.waitHealthy(60 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, c.memberLog(m))
	}
	if r := at(m.endpoint(), "get", "moved", "--print-value-only"); r.stdout != "yes\n" {
		t.Fatalf("the moved member does not have the write it missed: %+v", r)
	}
	for _, other := range c.members {
		r := at(other.endpoint(), "member", "list", "--consistency=s")
		if !strings.Contains(r.stdout, idHex+", started, "+m.name+", "+moved+",") {
			t.Errorf("%s lists the moved member as: %+v", other.name, r)
		}
	}
	r = at(c.members[0].endpoint(), "member", "update", idHex, "--peer-urls="+moved+","+peerOf(c, m))
	if r.code == 0 || !strings.Contains(r.stderr, "Peer URLs already exists") {
		t.Errorf("member update to another member's URL: %+v", r)
	}
}

// peerOf returns the peer URL of a member other than m.
func peerOf(c *testCluster, m *member) string {
	for _, o := range c.members {
		if o == m {
			continue
		}
		for i, a := range o.args {
			if a == "--initial-advertise-peer-urls" {
				return o.args[i+1]
			}
		}
	}
	return ""
}

func fieldValue(fields, name string) string {
	for line := range strings.Lines(fields) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " : "); ok && strings.Trim(k, `"`) == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("not a member ID: %q", s)
	}
	return v
}

// move-leader with real processes: etcdctl's output, the target leading
// afterwards, and etcdctl's errors when no endpoint is the leader or the
// target is not a member.
func TestMoveLeader(t *testing.T) {
	c := cluster(t)
	at := func(endpoints string, args ...string) result {
		return execute(t, baseEnviron(), "", c.ctlPath, append([]string{"--endpoints=" + endpoints}, args...)...)
	}
	all := strings.Join(c.endpoints(), ",")
	m := c.follower(t)
	r := at(m.endpoint(), "endpoint", "status", "-w", "fields")
	target := fmt.Sprintf("%x", mustUint(t, fieldValue(r.stdout, "MemberID")))
	leader := fmt.Sprintf("%x", mustUint(t, fieldValue(r.stdout, "Leader")))

	r = at(m.endpoint(), "move-leader", target)
	if r.code != 128 || r.stderr != "Error: no leader endpoint given at ["+m.endpoint()+"]\n" {
		t.Errorf("move-leader with only a follower's endpoint: %+v", r)
	}
	r = at(all, "move-leader", target)
	if r.code != 0 || r.stdout != "Leadership transferred from "+leader+" to "+target+"\n" {
		t.Fatalf("move-leader: %+v", r)
	}
	r = at(m.endpoint(), "endpoint", "status", "-w", "fields")
	if got := fmt.Sprintf("%x", mustUint(t, fieldValue(r.stdout, "Leader"))); got != target {
		t.Fatalf("after move-leader the leader is %s, want %s", got, target)
	}
	r = at(all, "move-leader", "1234")
	if r.code != 1 || r.stderr != "Error: etcdserver: bad leader transferee\n" {
		t.Errorf("move-leader to a stranger: %+v", r)
	}
	r = at(all, "move-leader", "zz")
	if r.code != 128 || !strings.Contains(r.stderr, `parsing "zz": invalid syntax`) {
		t.Errorf("move-leader to a bad ID: %+v", r)
	}
}
