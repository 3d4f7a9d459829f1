package main

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// grpc-proxy start takes etcd's flags with etcd's defaults.
func TestGRPCProxyFlags_EtcdDefaults(t *testing.T) {
	f, err := parseGRPCProxyFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:23790", f.listenAddr)
	require.Equal(t, []string{"127.0.0.1:2379"}, f.cfg.Endpoints)
	require.Equal(t, "127.0.0.1:23790", f.cfg.AdvertiseClientURL)
	require.Equal(t, 1536*1024, f.cfg.MaxSendBytes)
	require.Equal(t, 20*time.Second, f.cfg.DialKeepAliveTimeout)
	require.Equal(t, uint32(math.MaxUint32), f.cfg.MaxConcurrentStreams)
	require.Zero(t, f.cfg.AutoSyncInterval)

	f, err = parseGRPCProxyFlags([]string{"--endpoints=127.0.0.1:2379,127.0.0.1:22379", "--namespace=/app/",
		"--resolver-prefix=___grpc_proxy_endpoint", "--resolver-ttl=60", "--endpoints-auto-sync-interval=30s"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1:2379", "127.0.0.1:22379"}, f.cfg.Endpoints)
	require.Equal(t, "/app/", f.cfg.Namespace)
	require.Equal(t, int64(60), f.cfg.ResolverTTL)
	require.Equal(t, 30*time.Second, f.cfg.AutoSyncInterval)
}

// Bad or unsupported flags are refused with a reason, in etcd's words
// where etcd has them.
func TestGRPCProxyFlags_BadInputIsRefusedWithAReason(t *testing.T) {
	for args, want := range map[string][]string{
		"no start":        {"grpc-proxy"},
		"unknown":         {"grpc-proxy", "start", "--no-such-flag"},
		"stray":           {"grpc-proxy", "start", "stray"},
		"ttl needed":      {"grpc-proxy", "start", "--resolver-prefix=/p"},
		"prefix needed":   {"grpc-proxy", "start", "--resolver-ttl=10"},
		"not implemented": {"grpc-proxy", "start", "--discovery-srv=example.com"},
		"half a pair":     {"grpc-proxy", "start", "--cert=/tmp/c.pem"},
		"bad tls version": {"grpc-proxy", "start", "--cert-file=x", "--key-file=y", "--tls-min-version=TLS1.0"},
		"gateway":         {"gateway"},
		"gateway flag":    {"gateway", "start", "--namespace=/x"},
	} {
		var stderr bytes.Buffer
		code := run(want, env(nil), &bytes.Buffer{}, &stderr, nil)
		if code == 0 || stderr.Len() == 0 {
			t.Errorf("%s: raftkv %v: exit %d, stderr %q", args, want, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	run([]string{"grpc-proxy", "start", "--resolver-prefix=/p", "--endpoints=127.0.0.1:1"}, env(nil), &bytes.Buffer{}, &stderr, nil)
	require.Contains(t, stderr.String(), "invalid resolver-ttl 0", "etcd's words")
	stderr.Reset()
	run([]string{"grpc-proxy", "start", "--auto-tls"}, env(nil), &bytes.Buffer{}, &stderr, nil)
	require.Contains(t, stderr.String(), "--auto-tls is one of etcd's grpc-proxy flags that raftkv does not implement")
}
