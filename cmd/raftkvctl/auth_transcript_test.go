package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client"
)

// The auth, user and role commands are checked against etcdctl's own
// output: testdata/etcdctl-auth.md is etcdctl 3.7.3 run against a fresh
// etcd (testdata/capture-etcdctl-auth.sh made it), and replayAuthTranscript
// runs the same command lines, in the same order, with raftkvctl against
// any fresh cluster, comparing what each prints and its exit code.
//
// TestAuthTranscript points the replay at a fresh raftkv member: it checks
// raftkvctl and the client, and raftkv's server side of auth, against what
// etcd answered — the auth revisions included. (The transcript's capture
// script replays the commands against a real etcd when it is re-taken.)

// replayAuthTranscript replays the auth transcript with the raftkvctl in
// ctlDir against endpoints: a cluster with auth off and no users or roles,
// whose store may hold keys (its revisions are mapped) but none under /app/.
func replayAuthTranscript(t *testing.T, ctlDir string, endpoints []string) {
	t.Helper()
	environ := baseEnviron(envPrefix + "ENDPOINTS=" + strings.Join(endpoints, ","))
	for i, kv := range environ {
		if strings.HasPrefix(kv, "PATH=") {
			environ[i] = "PATH=" + ctlDir + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	// The transcript began at revision 1.
	offset := currentRevisionAt(t, endpoints) - 1
	shift := func(rev int64) int64 { return rev + offset }

	blocks := authTranscriptBlocks(t)
	if len(blocks) < 100 {
		t.Fatalf("the auth transcript has %d commands; its parser is broken", len(blocks))
	}
	for _, b := range blocks {
		wantOut, wantCode := b.out, 0
		if m := regexp.MustCompile(`\[exit code (\d+)\]\n`).FindStringSubmatch(wantOut); m != nil {
			fmt.Sscan(m[1], &wantCode)
			wantOut = strings.Replace(wantOut, m[0], "", 1)
		}
		line := strings.NewReplacer("etcdctl", "raftkvctl", "ETCDCTL_", envPrefix).Replace(b.cmd)
		out, code := executeCombined(t, environ, line)
		if code != wantCode {
			t.Errorf("%s: exit %d, etcdctl exited %d (output %q)", line, code, wantCode, out)
		}
		want, got := normalizeAuth(wantOut, shift), normalizeAuth(out, asIs)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-etcdctl +raftkvctl, normalized):\n%s", line, diff)
		}
	}
}

// executeCombined runs a shell command line with its stdout and stderr on
// one pipe, as the transcript was taken, so that what each printed is in the
// order it printed it.
func executeCombined(t *testing.T, environ []string, line string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Env = environ
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", line, err)
	}
	return out.String(), 0
}

// authTranscriptBlocks reads the commands of testdata/etcdctl-auth.md and
// what each printed. A NUL byte is written ␀ there, to keep the file text.
func authTranscriptBlocks(t *testing.T) []block {
	t.Helper()
	data, err := os.ReadFile("testdata/etcdctl-auth.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	for _, b := range strings.Split(string(data), "```\n$ ")[1:] {
		cmd, rest, _ := strings.Cut(b, "\n")
		body, _, _ := strings.Cut(rest, "```")
		out = append(out, block{cmd, strings.ReplaceAll(body, "␀", "\x00")})
	}
	return out
}

// normalizeAuth is normalize (IDs, raft terms, the client's log lines,
// revisions mapped by rev) less the complaints of stty, which etcdctl runs
// around every password prompt even when standard input is not a terminal,
// and raftkvctl does not. The auth revisions stay: they must match.
func normalizeAuth(s string, rev func(int64) int64) string {
	s = strings.ReplaceAll(s, "stty: 'standard input': Inappropriate ioctl for device\n", "")
	return normalize(s, rev)
}

// currentRevisionAt reads a cluster's revision (auth must be off).
func currentRevisionAt(t *testing.T, endpoints []string) int64 {
	t.Helper()
	c, err := client.New(client.Config{Endpoints: endpoints, RequestTimeout: 10 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	resp, err := c.Get(context.Background(), "revision-probe")
	require.NoError(t, err)
	return resp.Header.Revision
}

func TestAuthTranscript(t *testing.T) {
	endpoint := startFreshMember(t)
	replayAuthTranscript(t, ctlBinaryDir(t), []string{endpoint})
}

// startFreshMember starts a fresh single-member raftkv on free loopback
// ports, and stops it at the end of the test. It returns its client address.
func startFreshMember(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(ctlBinaryDir(t), "raftkv")
	ports, err := freePorts(2)
	require.NoError(t, err)
	dir := t.TempDir()
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	log, err := os.Create(filepath.Join(dir, "raftkv.log"))
	require.NoError(t, err)
	// The lowest bcrypt cost: the transcript hashes many passwords.
	cmd := exec.Command(bin, "--name", "a1", "--data-dir", filepath.Join(dir, "data"), "--bcrypt-cost", "4",
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "a1="+peerURL)
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
	c, err := client.New(client.Config{Endpoints: []string{clientURL}, DialTimeout: time.Second})
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.Get(ctx, "health")
		return err == nil
	}, waitLimit, pollEvery, "raftkv at %s to serve (log: %s)", clientURL, filepath.Join(dir, "raftkv.log"))
	return strings.TrimPrefix(clientURL, "http://")
}

// ctlBuild is raftkvctl and raftkv built once for the tests that need
// only them.
var ctlBuild struct {
	once sync.Once
	dir  string
	err  error
}

// ctlBinaryDir builds raftkvctl and raftkv (once) and returns their directory.
func ctlBinaryDir(t *testing.T) string {
	t.Helper()
	ctlBuild.once.Do(func() {
		ctlBuild.dir, ctlBuild.err = os.MkdirTemp("", "raftkvctl-bin-")
		if ctlBuild.err != nil {
			return
		}
		for _, cmd := range []string{"raftkvctl", "raftkv"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(ctlBuild.dir, cmd), "github.com/raftkv/raftkv/cmd/"+cmd).CombinedOutput()
			if err != nil {
				ctlBuild.err = fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
				return
			}
		}
	})
	require.NoError(t, ctlBuild.err)
	return ctlBuild.dir
}
