package docs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
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
	c := &cluster{bins: bins, ids: seen, data: filepath.Join(t.TempDir(), "data"), logs: &syncBuf{}, exited: make(chan struct{})}
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
	require.Eventually(t, clusterHealthy, 2*time.Minute, pollEvery, "the cluster to start")
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
// at the member that really leads where the page says "say it is m3".
func (c *cluster) localize(cmd string) string {
	cmd = c.ids.apply(cmd)
	cmd = binPath.ReplaceAllString(cmd, "${1}"+c.bins.bin+"/")
	cmd = strings.ReplaceAll(cmd, " data/", " "+c.data+"/")
	if c.stopped != 0 {
		for m := 1; m <= 3; m++ {
			cmd = strings.ReplaceAll(cmd, fmt.Sprintf("M=%d", m), fmt.Sprintf("M=%d", c.stopped))
		}
		// One pass, so that a replacement is not itself replaced.
		cmd = strings.NewReplacer(
			"127.0.0.1:2379,127.0.0.1:22379", survivors(c.stopped),
			"127.0.0.1:32379", fmt.Sprintf("127.0.0.1:%d", clientPorts[c.stopped-1]),
		).Replace(cmd)
	}
	if strings.HasPrefix(cmd, "make ") {
		cmd = strings.Replace(cmd, "make ", fmt.Sprintf("make -s BIN=%s DATA=%s ", c.bins.bin, c.data), 1)
	}
	return cmd
}

func (c *cluster) run(t *testing.T, st step) {
	t.Helper()
	if strings.HasPrefix(st.cmd, "make stop-member") && c.stopped == 0 {
		c.stopped = c.leader(t)
	}
	cmd := c.localize(st.cmd)
	if untilInterrupted.MatchString(st.cmd) {
		c.startBackground(t, st, cmd)
		return
	}
	runOrRetryRead(t, c.bins.repo, c.ids, st, cmd)
	if strings.HasPrefix(st.cmd, "make stop-member") {
		require.Eventually(t, func() bool {
			return regexp.MustCompile(`became leader at term [3-9]`).MatchString(c.logs.String())
		}, 30*time.Second, pollEvery, "a new leader to win (in the logs)")
	}
}

// readOnlyCommand matches the commands that change nothing (flags may come
// before raftkvctl's verb), which may be retried.
var readOnlyCommand = regexp.MustCompile(`^(bin/raftkvctl( --?\S+( [^-\s]\S*)?)* (get|endpoint|member list|alarm list|version|lease (list|timetolive))(\s|$)|bin/raftkv-dump|curl (-s )?http\S*$)`)

func readOnly(cmd string) bool { return readOnlyCommand.MatchString(cmd) }

// untilInterrupted matches the raftkvctl commands that run until Ctrl-C: a
// watch, a lock held without a command to run, a campaign or a listener of
// an election, a keep-alive.
var untilInterrupted = regexp.MustCompile(`^bin/raftkvctl .*\b(watch .*|lock \S+|elect .*|lease keep-alive .*)$`)

func (c *cluster) startBackground(t *testing.T, st step, cmd string) {
	t.Helper()
	isWatch := strings.Contains(st.cmd, " watch ")
	before := watchesOpen()
	w := &longRunning{st: st, out: &syncBuf{}, cmd: exec.Command("bash", "-c", "exec "+cmd)}
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
		require.Eventually(t, func() bool {
			return strings.Contains(c.logs.String(), fmt.Sprintf("m%d | ", c.stopped)) && strings.Contains(c.logs.String(), "following leader")
		}, 10*time.Second, pollEvery, "the restarted member to follow the new leader")
	}
	syscall.Kill(-c.make.Process.Pid, syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("Ctrl-C did not stop make cluster")
	}
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

func survivors(stopped int) string {
	var out []string
	for i, port := range clientPorts {
		if i+1 != stopped {
			out = append(out, fmt.Sprintf("127.0.0.1:%d", port))
		}
	}
	return strings.Join(out, ",")
}
