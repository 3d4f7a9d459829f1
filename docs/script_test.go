package docs_test

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMakeClusterStoppedByAScript: `make cluster` started in the background
// by a script, then stopped with SIGINT to its process group (what Ctrl-C
// does in a terminal), leaves nothing running. A non-interactive shell
// starts a background command with SIGINT ignored, and bash cannot trap a
// signal it was started ignoring: the members (Go programs, which listen
// anyway) stopped, but scripts/cluster.sh's loop, and make waiting on it,
// ran on. The Ctrl-C from a terminal is TestEveryCommandInTheDocs's finish.
func TestMakeClusterStoppedByAScript(t *testing.T) {
	requireClusterPortsFree(t)
	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	bin, data := filepath.Join(t.TempDir(), "bin"), filepath.Join(t.TempDir(), "data")
	build := exec.Command("make", "-s", "build", "BIN="+bin)
	build.Dir = repo
	out, err := build.CombinedOutput()
	require.NoError(t, err, "make build:\n%s", out)

	// "make cluster &" in a non-interactive shell, the group led by that
	// shell as it would be by a script's.
	logs := &syncBuf{}
	script := exec.Command("bash", "-c", fmt.Sprintf("make -s cluster BIN=%s DATA=%s & wait", bin, data))
	script.Dir = repo
	script.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	script.Stdout, script.Stderr = logs, logs
	require.NoError(t, script.Start())
	group := script.Process.Pid
	// Reaped as soon as it ends, so that it is not counted as left over.
	exited := make(chan struct{})
	go func() { script.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-group, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("cluster log:\n%s", logs.String())
		}
	})
	require.Eventually(t, clusterHealthy, 2*time.Minute, pollEvery,
		"the cluster to start: every member answering /health")

	require.NoError(t, syscall.Kill(-group, syscall.SIGINT))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		left, _ := exec.Command("pgrep", "-a", "-g", strconv.Itoa(group)).Output()
		assert.Empty(c, string(bytes.TrimSpace(left)), "processes left in the group")
	}, 20*time.Second, pollEvery, "every process of the group (members, scripts/cluster.sh, make) to exit after SIGINT")
	require.Contains(t, logs.String(), "cluster stopped", "the script says that it stopped the cluster")
}

// requireClusterPortsFree fails if something already answers on make
// cluster's fixed addresses: it would answer in place of the cluster the
// test starts.
func requireClusterPortsFree(t *testing.T) {
	t.Helper()
	for _, port := range clientPorts {
		conn, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			conn.Close()
			t.Fatalf("something already listens on 127.0.0.1:%d; stop that cluster first", port)
		}
	}
}
