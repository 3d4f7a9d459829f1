package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/server"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFlags_EtcdDefaults(t *testing.T) {
	cfg, _, err := parseFlags(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "default" || cfg.ListenClientURLs[0] != "http://localhost:2379" || cfg.ListenPeerURLs[0] != "http://localhost:2380" ||
		cfg.HeartbeatInterval != 100*time.Millisecond || cfg.ElectionTimeout != time.Second || cfg.SnapshotCount != 10000 ||
		cfg.MaxRequestBytes != 1536*1024 || cfg.InitialClusterState != "new" {
		t.Fatalf("defaults differ from etcd's: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil || cfg.DataDir != "default.raftkv" {
		t.Fatalf("validate: %v, data dir %q", err, cfg.DataDir)
	}
}

func TestFlags_EnvironmentFillsInAndFlagsWin(t *testing.T) {
	cfg, _, err := parseFlags([]string{"--name", "from-flag", "--heartbeat-interval=50"},
		env(map[string]string{"RAFTKV_NAME": "from-env", "RAFTKV_DATA_DIR": "/var/lib/raftkv", "RAFTKV_ELECTION_TIMEOUT": "700",
			"RAFTKV_LISTEN_CLIENT_URLS": "http://127.0.0.1:2379,http://10.0.0.1:2379"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "from-flag" || cfg.DataDir != "/var/lib/raftkv" || cfg.ElectionTimeout != 700*time.Millisecond ||
		cfg.HeartbeatInterval != 50*time.Millisecond || len(cfg.ListenClientURLs) != 2 {
		t.Fatalf("config %+v", cfg)
	}
	// A name of its own and no --initial-cluster: a one-member cluster of itself.
	if cfg.InitialCluster != "from-flag=http://localhost:2380" {
		t.Fatalf("initial cluster %q", cfg.InitialCluster)
	}
}

func TestFlags_BadInputIsRefusedWithAReason(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"--heartbeat-interval", "soon"},
		{"--initial-cluster-state", "maybe"},
		{"stray-argument"},
		{"--election-timeout", "200"}, // < 5 heartbeats
		{"--name", "m1", "--initial-cluster", "m2=http://127.0.0.1:2380"},
		{"--listen-client-urls", "localhost:2379"},
	} {
		var stderr bytes.Buffer
		code := run(args, env(nil), &bytes.Buffer{}, &stderr, nil)
		if code == 0 || stderr.Len() == 0 {
			t.Errorf("raftkv %v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

func TestFlags_Version(t *testing.T) {
	var stdout bytes.Buffer
	if code := run([]string{"--version"}, env(nil), &stdout, &bytes.Buffer{}, nil); code != 0 || !strings.Contains(stdout.String(), "raftkv Version: "+server.Version) || !strings.Contains(stdout.String(), "etcd API Version: 3.7.3") {
		t.Fatalf("--version: %d %q", code, stdout.String())
	}
}

// The corruption check's flags: etcd 3.7's names, etcd 3.6's deprecated
// ones, and etcd's defaults (off, 0).
func TestFlags_CorruptCheck(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		env     map[string]string
		initial bool
		every   time.Duration
		warn    string // in stderr
		err     string // parse error
	}{
		{args: nil},
		{args: []string{"--feature-gates=InitialCorruptCheck=true", "--corrupt-check-time=5m"}, initial: true, every: 5 * time.Minute},
		{env: map[string]string{"RAFTKV_FEATURE_GATES": "InitialCorruptCheck=true", "RAFTKV_CORRUPT_CHECK_TIME": "30s"}, initial: true, every: 30 * time.Second},
		{args: []string{"--experimental-initial-corrupt-check", "--experimental-corrupt-check-time=1h"}, initial: true, every: time.Hour,
			warn: "--experimental-corrupt-check-time is deprecated"},
		{args: []string{"--feature-gates", "AllAlpha=true"}, initial: true},
		{args: []string{"--feature-gates", "AllAlpha=true,InitialCorruptCheck=false"}},
		{args: []string{"--feature-gates", "StopGRPCServiceOnDefrag=true"}, warn: "StopGRPCServiceOnDefrag has no effect in raftkv"},
		{args: []string{"--feature-gates", "NoSuchGate=true"}, err: "unrecognized feature gate: NoSuchGate"},
		{args: []string{"--feature-gates", "InitialCorruptCheck"}, err: "missing bool value for InitialCorruptCheck"},
		{args: []string{"--feature-gates", "InitialCorruptCheck=yes"}, err: "invalid value of InitialCorruptCheck=yes"},
		{args: []string{"--experimental-initial-corrupt-check", "--feature-gates=InitialCorruptCheck=false"},
			err: "cannot specify both flags: --experimental-initial-corrupt-check=true and --feature-gates=InitialCorruptCheck=false at the same time"},
		{args: []string{"--experimental-corrupt-check-time=1m", "--corrupt-check-time=2m"},
			err: "cannot set --experimental-corrupt-check-time and --corrupt-check-time at the same time"},
	} {
		var stderr bytes.Buffer
		cfg, _, err := parseFlags(tc.args, env(tc.env), &stderr)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		case err != nil:
			t.Errorf("%v %v: %v", tc.args, tc.env, err)
			continue
		}
		if cfg.InitialCorruptCheck != tc.initial || cfg.CorruptCheckTime != tc.every {
			t.Errorf("%v %v: initial check %v, every %v; want %v, %v", tc.args, tc.env, cfg.InitialCorruptCheck, cfg.CorruptCheckTime, tc.initial, tc.every)
		}
		if !strings.Contains(stderr.String(), tc.warn) {
			t.Errorf("%v: stderr %q, want %q in it", tc.args, stderr.String(), tc.warn)
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"--corrupt-check-time=-1s"}, env(nil), &bytes.Buffer{}, &stderr, nil); code == 0 ||
		!strings.Contains(stderr.String(), "--corrupt-check-time must not be negative") {
		t.Errorf("a negative --corrupt-check-time: exit %d, %q", code, stderr.String())
	}
}
