package docs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cluster is `make cluster` run as a reader would, in a terminal of its own,
// for the commands of one page.
type cluster struct {
	bins    binaries
	ids     ids
	data    string
	make    *exec.Cmd
	logs    *syncBuf
	exited  chan struct{}
	stopped int // the member a page's "make stop-member" crashed, 1-3; 0 if none

	// perm maps the page's members to this run's: a page tells one
	// run's story ("here m2 leads, so make stop-member M=2"), and a reader
	// whose m1 leads reads it with m1 for m2 and m2 for m1. perm[2] = 1 is
	// that reading; it renames members, their ports and M= arguments in
	// commands and in quoted lines alike. See follow.
	perm [4]int

	background []*longRunning
}

// longRunning is a command that runs until interrupted — a watch, a held
// lock, a campaign, a keep-alive — left running as in the reader's other
// terminal; what it must print is checked when the page ends, and it gets
// a Ctrl-C then.
type longRunning struct {
	st  step
	cmd *exec.Cmd
	out *syncBuf
}

var clientPorts = []int{2379, 22379, 32379}

func startCluster(t *testing.T, bins binaries, seen ids) *cluster {
	t.Helper()
	// The pages' addresses are fixed; a cluster left running would answer
	// in place of the one this test starts.
	requireClusterPortsFree(t)
	c := &cluster{bins: bins, ids: seen, data: filepath.Join(t.TempDir(), "data"), logs: &syncBuf{}, exited: make(chan struct{}), perm: [4]int{0, 1, 2, 3}}
	// In its own process group, so that "Ctrl-C" reaches every process in
	// it, as a terminal's would.
	c.make = exec.Command("make", "-s", "cluster", "BIN="+bins.bin, "DATA="+c.data)
	c.make.Dir = bins.repo
	c.make.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.make.Stdout, c.make.Stderr = c.logs, c.logs
	if err := c.make.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.make.Wait(); close(c.exited) }()
	// A cluster that fails to start is stopped here: the page never gets
	// it to stop.
	started := false
	defer func() {
		if !started {
			c.stop(t)
		}
	}()
	// The reader starts typing once the script says "cluster running": by
	// then every member must answer.
	require.Eventually(t, func() bool { return strings.Contains(c.logs.String(), "cluster running") }, 2*time.Minute, pollEvery,
		"make cluster to say that the cluster runs")
	require.True(t, clusterHealthy(), "make cluster said \"cluster running\" before every member answered /health")
	started = true
	return c
}

// clusterHealthy reports whether every member of make cluster answers
// /health with 200.
func clusterHealthy() bool {
	for _, port := range clientPorts {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false
		}
	}
	return true
}

// stop kills whatever is left (after a failure; finish stops it properly).
func (c *cluster) stop(t *testing.T) {
	for _, w := range c.background {
		w.cmd.Process.Kill()
		w.cmd.Wait()
	}
	syscall.Kill(-c.make.Process.Pid, syscall.SIGKILL)
	<-c.exited
	if t.Failed() {
		t.Logf("cluster log:\n%s", c.logs.String())
	}
}

var binPath = regexp.MustCompile(`(^|\s)bin/`)

// localize points a page's command at this test's binaries and data, and
// at this run's members where the page names its own (see perm).
func (c *cluster) localize(cmd string) string {
	cmd = c.ids.apply(cmd)
	cmd = c.rename(cmd)
	cmd = binPath.ReplaceAllString(cmd, "${1}"+c.bins.bin+"/")
	cmd = strings.ReplaceAll(cmd, " data/", " "+c.data+"/")
	if strings.HasPrefix(cmd, "make ") {
		cmd = strings.Replace(cmd, "make ", fmt.Sprintf("make -s BIN=%s DATA=%s ", c.bins.bin, c.data), 1)
	}
	return cmd
}

// memberMention is a member of make cluster as a page names it: by name,
// as make's M= argument, or by one of its ports.
var memberMention = regexp.MustCompile(`\bm[123]\b|\bM=[123]\b|127\.0\.0\.1:(?:2379|22379|32379|12380|22380|32380)\b`)

// memberPorts are each member's client and peer ports.
var memberPorts = [4][2]string{{}, {"2379", "12380"}, {"22379", "22380"}, {"32379", "32380"}}

// rename rewrites the page's members into this run's, in one pass (a
// replacement is not replaced again).
func (c *cluster) rename(s string) string {
	return memberMention.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case m[0] == 'm':
			return fmt.Sprintf("m%d", c.perm[m[1]-'0'])
		case m[0] == 'M':
			return fmt.Sprintf("M=%d", c.perm[m[2]-'0'])
		}
		port := strings.TrimPrefix(m, "127.0.0.1:")
		for n := 1; n <= 3; n++ {
			for kind, p := range memberPorts[n] {
				if p == port {
					return "127.0.0.1:" + memberPorts[c.perm[n]][kind]
				}
			}
		}
		return m
	})
}

// follow makes the page's leader (1-3) this run's leader, by swapping it
// with the member that really leads in perm. The other members keep
// their places; a page that crashed a member never needs that one moved
// (it is not the new leader), so a swap that would move it means the page
// contradicts itself.
func (c *cluster) follow(t *testing.T, pageLeader int) {
	t.Helper()
	lead := c.leader(t)
	if c.perm[pageLeader] == lead {
		return
	}
	other := slices.Index(c.perm[:], lead)
	if c.stopped != 0 && (c.perm[pageLeader] == c.stopped || other == slices.Index(c.perm[:], c.stopped)) {
		t.Fatalf("the page says m%d leads, but m%d does here and m%d is the one crashed", pageLeader, lead, c.stopped)
	}
	c.perm[pageLeader], c.perm[other] = lead, c.perm[pageLeader]
	t.Logf("m%d leads here, where the page has m%d: the page's m1, m2, m3 are m%d, m%d, m%d", lead, pageLeader, c.perm[1], c.perm[2], c.perm[3])
}

// statusLeader is the leader's row of `make status`, as a page quotes it.
var statusLeader = regexp.MustCompile(`^m([123])\s+leader\b`)

// pageLeader returns the member a step says leads (1-3), or 0: the one
// whose `make status` row says leader, or the one a page's first "make
// stop-member" crashes (the walkthroughs crash the leader).
func (c *cluster) pageLeader(st step) int {
	if strings.HasPrefix(st.cmd, "make status") {
		for _, w := range st.want {
			if m := statusLeader.FindStringSubmatch(w); m != nil {
				return int(m[1][0] - '0')
			}
		}
	}
	if m := stopMember.FindStringSubmatch(st.cmd); m != nil && c.stopped == 0 {
		return int(m[1][0] - '0')
	}
	return 0
}

// stopMember is a page's crash of a member of make cluster.
var stopMember = regexp.MustCompile(`^make stop-member M=([123])$`)

// run runs a page's command against the cluster, with the variables the
// page exported so far.
func (c *cluster) run(t *testing.T, st step, env []string) {
	t.Helper()
	if m := c.pageLeader(st); m != 0 {
		c.follow(t, m)
	}
	cmd := c.localize(st.cmd)
	st.want = slices.Clone(st.want)
	for i := range st.want {
		st.want[i] = c.rename(st.want[i])
	}
	if untilInterrupted.MatchString(st.cmd) {
		c.startBackground(t, st, cmd, env)
		return
	}
	if m := stopMember.FindStringSubmatch(st.cmd); m != nil && c.stopped == 0 {
		c.stopped = c.perm[m[1][0]-'0']
	}
	runOrRetryRead(t, c.bins.repo, c.ids, st, cmd, env)
	if strings.HasPrefix(st.cmd, "make stop-member") {
		// Only a member that runs answers that it leads.
		c.leader(t)
	}
}

// readOnlyCommand matches the commands that change nothing (flags may come
// before raftkvctl's verb, variables before the program), which may be
// retried.
var readOnlyCommand = regexp.MustCompile(`^(` + assignments + `bin/(raftkvctl|etcdctl)( --?\S+( [^-\s]\S*)?)* (get|endpoint|member list|alarm list|version|lease (list|timetolive))(\s|$)|bin/raftkv-dump|curl (-s )?http\S*$|make status$)`)

func readOnly(cmd string) bool { return readOnlyCommand.MatchString(cmd) }

// untilInterrupted matches the raftkvctl commands that run until Ctrl-C: a
// watch, a lock held without a command to run, a campaign or a listener of
// an election, a keep-alive.
var untilInterrupted = regexp.MustCompile(`^` + assignments + `bin/raftkvctl .*\b(watch .*|lock \S+|elect .*|lease keep-alive .*)$`)

func (c *cluster) startBackground(t *testing.T, st step, cmd string, env []string) {
	t.Helper()
	isWatch := strings.Contains(st.cmd, " watch ")
	before := watchesOpen()
	// exec, so that the Ctrl-C at the end reaches the command itself; env,
	// for a page's "VAR=value command".
	w := &longRunning{st: st, out: &syncBuf{}, cmd: exec.Command("bash", "-c", "exec env "+cmd)}
	w.cmd.Env = append(os.Environ(), env...)
	w.cmd.Dir = c.bins.repo
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.background = append(c.background, w)
	if isWatch {
		// A watch prints nothing until a change; the members' metrics
		// say when its stream is open, so the page's next change is not
		// missed.
		require.Eventually(t, func() bool { return watchesOpen() > before }, 10*time.Second, pollEvery, "the watch to be established")
		return
	}
	// A lock, a campaign or a keep-alive prints once it holds what it
	// asked for; the page's next command relies on that.
	require.Eventually(t, func() bool {
		return len(c.ids.missingFrom(st, w.out.String())) == 0
	}, 20*time.Second, pollEvery, fmt.Sprintf("%s to print %q", st, st.want))
}

// finish checks what the long-running commands printed and that the crashed member
// rejoined, then stops the cluster with Ctrl-C and checks that nothing is
// left running.
func (c *cluster) finish(t *testing.T) {
	t.Helper()
	for _, w := range c.background {
		require.Eventually(t, func() bool {
			return len(c.ids.missingFrom(w.st, w.out.String())) == 0
		}, 10*time.Second, pollEvery, fmt.Sprintf("%s to print %q", w.st, w.st.want))
		w.cmd.Process.Signal(syscall.SIGINT)
		exited := make(chan struct{})
		go func() { w.cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			w.cmd.Process.Kill()
			<-exited
			t.Errorf("%s: still running 10 s after Ctrl-C", w.st)
		}
	}
	c.background = nil
	if c.stopped != 0 {
		restarted := fmt.Sprintf("m%d | ", c.stopped)
		require.Eventually(t, func() bool {
			logs := c.logs.String()
			since := strings.LastIndex(logs, restarted+"exited")
			return since >= 0 && regexp.MustCompile(`(?m)^`+restarted+`.*following leader`).MatchString(logs[since:])
		}, 10*time.Second, pollEvery, "the restarted member to follow the new leader")
	}
	before := len(c.logs.String())
	syscall.Kill(-c.make.Process.Pid, syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("Ctrl-C did not stop make cluster")
	}
	// A clean stop, in the terminal too: each member shuts down and says
	// so (none cut short by its log prefixer's death), and make has no
	// interrupted recipe to report.
	after := c.logs.String()[before:]
	assert.Contains(t, after, "cluster stopped")
	assert.NotContains(t, after, "killed by signal", "a member did not stop cleanly on Ctrl-C")
	assert.NotContains(t, after, "make: ***", "make reported the Ctrl-C as an interrupted recipe")
	// Nothing is left: no member, and nothing else of the terminal's
	// process group (the script's loop, a log prefixer).
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		members, _ := exec.Command("pgrep", "-a", "-f", c.data).Output()
		group, _ := exec.Command("pgrep", "-a", "-g", strconv.Itoa(c.make.Process.Pid)).Output()
		assert.Empty(ct, string(bytes.TrimSpace(members)), "members left running")
		assert.Empty(ct, string(bytes.TrimSpace(group)), "processes left in make cluster's group")
	}, 10*time.Second, pollEvery, "every member and the script to exit after Ctrl-C")
}

// leader asks each member's status which one leads (1, 2 or 3).
func (c *cluster) leader(t *testing.T) int {
	t.Helper()
	var lead int
	require.Eventually(t, func() bool {
		for i, port := range clientPorts {
			resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/v3/maintenance/status", port), "application/json", strings.NewReader("{}"))
			if err != nil {
				continue
			}
			var st struct {
				Header struct {
					MemberID string `json:"member_id"`
				} `json:"header"`
				Leader string `json:"leader"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Leader != "" && st.Leader == st.Header.MemberID {
				lead = i + 1
				return true
			}
		}
		return false
	}, 20*time.Second, pollEvery, "a leader")
	return lead
}

// watchesOpen counts the watches open on the members, and on the page's
// grpc-proxy (make proxy's address), if one runs: a watch through the proxy
// may share the members' watch of another client, and add none there.
func watchesOpen() int {
	total := watchersOpen()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/proxy/metrics", proxyPort))
	if err != nil {
		return total
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "raftkv_grpc_proxy_client_watches "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			total += n
		}
	}
	return total
}

// proxyPort is where `make proxy`, and the pages, run a grpc-proxy.
const proxyPort = 23790

// watchersOpen sums the watchers every member reports in /metrics.
func watchersOpen() int {
	total := 0
	for _, port := range clientPorts {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "etcd_debugging_mvcc_watcher_total "); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				total += n
			}
		}
	}
	return total
}
