package compat

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// programs are the binaries the tests run, found or built once by
// TestMain before any test starts, and never changed after.
type programs struct {
	// repo is the repository's root (this module's parent).
	repo string
	// bin holds raftkv, raftkvctl and raftkvutl, built from the
	// repository by TestMain (`make build` into a temporary directory).
	bin string
	// server is the member binary the tests start: bin/raftkv, or what
	// $COMPAT_SERVER names — etcd's own etcd, to check that a test expects
	// what etcd does (it takes the same flags).
	server string
	// etcdctl is etcd's etcdctl (`make etcdctl`), "" if it is missing;
	// bin/etcdctl links to it.
	etcdctl string
	// restorer restores a backup of server's into a data directory:
	// bin/raftkvutl, or what $COMPAT_RESTORER names for another server
	// (etcd's etcdutl for etcd; it takes the same flags).
	restorer string
}

var progs programs

// The environment variable that, set to a role, makes this test binary a
// contender of concurrency_test.go rather than a test run.
const contenderEnv = "COMPAT_CONTENDER"

func TestMain(m *testing.M) {
	if role := os.Getenv(contenderEnv); role != "" {
		os.Exit(runContender(role))
	}
	dir, err := os.MkdirTemp("", "raftkv-compat-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := findPrograms(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	progs = p
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// findPrograms builds raftkv's binaries into bin, so that the tests run
// the code beside them and never a stale build, and finds etcdctl.
func findPrograms(bin string) (programs, error) {
	repo, err := filepath.Abs("..")
	if err != nil {
		return programs{}, err
	}
	build := exec.Command("make", "-s", "build", "BIN="+bin)
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return programs{}, fmt.Errorf("make build: %v\n%s", err, out)
	}
	p := programs{repo: repo, bin: bin, server: filepath.Join(bin, "raftkv"), restorer: filepath.Join(bin, "raftkvutl")}
	if s := os.Getenv("COMPAT_SERVER"); s != "" {
		p.server = s
		p.restorer = os.Getenv("COMPAT_RESTORER")
	}
	p.etcdctl = os.Getenv("COMPAT_ETCDCTL")
	if p.etcdctl == "" {
		p.etcdctl = filepath.Join(repo, "bin", "etcdctl")
	}
	if _, err := os.Stat(p.etcdctl); err != nil {
		p.etcdctl = ""
		return p, nil
	}
	// Beside raftkv's programs, under its own name, so that one PATH
	// finds it and them (and no stale raftkvutl of bin/).
	if err := os.Symlink(p.etcdctl, filepath.Join(bin, "etcdctl")); err != nil {
		return programs{}, err
	}
	return p, nil
}

// etcdctlPath is etcd's etcdctl; a test that needs it fails without it
// (it is never skipped: `make compat` builds it first).
func etcdctlPath(t testing.TB) string {
	t.Helper()
	if progs.etcdctl == "" {
		t.Fatalf("etcd's etcdctl is not in %s (nor named by $COMPAT_ETCDCTL): `make etcdctl` builds it", filepath.Join(progs.repo, "bin"))
	}
	return progs.etcdctl
}

// restorerPath is the program that restores the server's backups; a test
// that needs it fails without it.
func restorerPath(t testing.TB) string {
	t.Helper()
	if progs.restorer == "" {
		t.Fatalf("$COMPAT_SERVER is %s: $COMPAT_RESTORER must name the program that restores its backups (etcd's etcdutl)", progs.server)
	}
	return progs.restorer
}
