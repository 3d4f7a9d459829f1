// Package docs_test runs the commands of the README and the book, so the
// text cannot drift from the code.
package docs_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// step is one "$ command" of a code block, with the output lines quoted
// under it.
type step struct {
	cmd  string
	want []string
}

func readSteps(t *testing.T, path string) []step {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	inBlock := false
	// current is the step whose output the next lines quote; output
	// belongs to a command only within the same code block.
	current := -1
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			current = -1
			continue
		}
		if !inBlock {
			continue
		}
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, step{cmd: cmd})
			current = len(steps) - 1
			continue
		}
		if current >= 0 && strings.TrimSpace(line) != "" {
			steps[current].want = append(steps[current].want, line)
		}
	}
	return steps
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond) // the polling helper: a condition with a deadline
	}
}

func containsLines(out string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(out, w) {
			return false
		}
	}
	return true
}

// The README's walkthrough, command by command, against the cluster that
// `make cluster` starts: the tutorial's put/get/watch, finding and killing
// the leader, the data surviving, the old leader coming back as a follower,
// and Ctrl-C leaving nothing running.
func TestReadmeWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed")
	}
	// The README's addresses are fixed; a cluster left running would
	// answer in place of the one this test starts.
	if resp, err := http.Get("http://127.0.0.1:2379/health"); err == nil {
		resp.Body.Close()
		t.Fatal("something already serves 127.0.0.1:2379; stop that cluster first")
	}
	repo, _ := filepath.Abs("..")
	tmp := t.TempDir()
	bin, data := filepath.Join(tmp, "bin"), filepath.Join(tmp, "data")
	// make cluster — in its own process group, so that "Ctrl-C" reaches
	// every process in it, as a terminal's would.
	cluster := exec.Command("make", "-s", "cluster", "BIN="+bin, "DATA="+data)
	cluster.Dir = repo
	cluster.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &syncBuf{}
	cluster.Stdout, cluster.Stderr = logs, logs
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cluster.Wait(); close(exited) }()
	defer func() {
		syscall.Kill(-cluster.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("cluster log:\n%s", logs.String())
		}
	}()
	waitFor(t, 3*time.Minute, "the cluster to start (make cluster builds first)", func() bool {
		for _, port := range []int{2379, 22379, 32379} {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return false
			}
		}
		return true
	})

	run := func(cmd string) (string, error) {
		c := exec.Command("bash", "-c", cmd)
		c.Dir = repo
		c.Env = append(os.Environ(), "BIN="+bin, "DATA="+data)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	binRE := regexp.MustCompile(`(^|\s)bin/`)
	var watch *exec.Cmd
	var watchOut *syncBuf
	var watchWant []string
	stopped := 0
	for _, st := range readSteps(t, filepath.Join(repo, "README.md")) {
		cmd := binRE.ReplaceAllString(st.cmd, "${1}"+bin+"/")
		switch {
		case strings.Contains(cmd, " watch "):
			// A watch runs until interrupted: start it, check it later.
			watch = exec.Command("bash", "-c", "exec "+cmd)
			watchOut = &syncBuf{}
			watch.Stdout, watch.Stderr = watchOut, watchOut
			if err := watch.Start(); err != nil {
				t.Fatal(err)
			}
			defer watch.Process.Kill()
			watchWant = st.want
			// The watch prints nothing until a change; the member's
			// metrics say when its stream is open.
			waitFor(t, 10*time.Second, "the watch to be established", func() bool { return watchersOpen() > 0 })
			continue
		case strings.HasPrefix(cmd, "make stop-member"):
			// "say it is m3": stop whichever member really leads.
			stopped = leaderMember(t)
			cmd = fmt.Sprintf("make -s stop-member M=%d BIN=%s DATA=%s", stopped, bin, data)
		case strings.HasPrefix(cmd, "make start-member"):
			cmd = fmt.Sprintf("make -s start-member M=%d BIN=%s DATA=%s", stopped, bin, data)
			cmd = strings.Replace(cmd, "M=3", fmt.Sprintf("M=%d", stopped), 1)
		case strings.Contains(cmd, "127.0.0.1:32379") && stopped != 0:
			// The README asks the restarted member; follow the real one.
			cmd = strings.ReplaceAll(cmd, "127.0.0.1:32379", fmt.Sprintf("127.0.0.1:%d", []int{0, 2379, 22379, 32379}[stopped]))
		case strings.Contains(cmd, "127.0.0.1:2379,127.0.0.1:22379") && stopped != 0:
			cmd = strings.ReplaceAll(cmd, "127.0.0.1:2379,127.0.0.1:22379", survivors(stopped))
		}
		// Reads are retried until they show what the README says (a
		// restarted member takes a moment); writes run once.
		idempotent := !strings.Contains(cmd, " put ") && !strings.Contains(cmd, " del ") && !strings.HasPrefix(cmd, "make")
		var out string
		var err error
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err = run(cmd)
			if err == nil && containsLines(out, st.want) {
				break
			}
			if !idempotent || time.Now().After(deadline) {
				t.Fatalf("README command %q: %v\n%s\nwant lines %q", st.cmd, err, out, st.want)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if strings.HasPrefix(cmd, "make -s stop-member") {
			waitFor(t, 30*time.Second, "a new leader to win (in the logs)", func() bool {
				return regexp.MustCompile(`became leader at term [3-9]`).MatchString(logs.String())
			})
		}
	}
	if watch == nil {
		t.Fatal("the README has no watch")
	}
	waitFor(t, 10*time.Second, "the watch to print the change", func() bool { return containsLines(watchOut.String(), watchWant) })
	if stopped == 0 {
		t.Fatal("the README never stopped the leader")
	}
	waitFor(t, 10*time.Second, "the restarted member to follow the new leader", func() bool {
		return strings.Contains(logs.String(), fmt.Sprintf("m%d | ", stopped)) && strings.Contains(logs.String(), "following leader")
	})
	// Ctrl-C stops all three, and nothing is left running.
	syscall.Kill(-cluster.Process.Pid, syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("Ctrl-C did not stop make cluster")
	}
	waitFor(t, 10*time.Second, "every member to exit", func() bool {
		out, _ := exec.Command("pgrep", "-f", data).Output()
		return len(bytes.TrimSpace(out)) == 0
	})
}

// leaderMember asks each member's status which one leads (1, 2 or 3).
func leaderMember(t *testing.T) int {
	t.Helper()
	var lead int
	waitFor(t, 20*time.Second, "a leader", func() bool {
		for i, port := range []int{2379, 22379, 32379} {
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
	})
	return lead
}

// watchersOpen sums the watchers every member reports in /metrics.
func watchersOpen() int {
	total := 0
	for _, port := range []int{2379, 22379, 32379} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "raftkv_debugging_mvcc_watcher_total "); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				total += n
			}
		}
	}
	return total
}

func survivors(stopped int) string {
	var out []string
	for i, port := range []int{2379, 22379, 32379} {
		if i+1 != stopped {
			out = append(out, fmt.Sprintf("127.0.0.1:%d", port))
		}
	}
	return strings.Join(out, ",")
}
