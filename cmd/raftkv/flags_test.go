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
