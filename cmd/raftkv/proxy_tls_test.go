package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testCA is a throw-away CA for 127.0.0.1.
type testCA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raftkv test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	ca := &testCA{dir: t.TempDir(), cert: cert, key: key}
	ca.file = filepath.Join(ca.dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca.file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return ca
}

// issue writes a certificate and key for 127.0.0.1, good as server and client.
func (ca *testCA) issue(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

// TLS on both sides of the proxy: a member that requires client
// certificates, a proxy that presents one (--cert, --key, --cacert) and
// serves TLS itself (--cert-file, --key-file) — gRPC and the JSON gateway on
// one port — and etcdctl through it.
func TestProcess_ProxyWithTLSOnBothSides(t *testing.T) {
	c := &procCluster{t: t, used: map[string]bool{}}
	ca := newTestCA(t)
	memberCert, memberKey := ca.issue(t, "member")
	proxyCert, proxyKey := ca.issue(t, "proxy")
	clientURL, peerURL := "https://"+c.freeAddr(), "http://"+c.freeAddr()
	log := &lockedBuffer{}
	member := exec.Command(raftkvBinary, "--name", "m1", "--data-dir", filepath.Join(t.TempDir(), "m1"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "m1="+peerURL,
		"--cert-file", memberCert, "--key-file", memberKey, "--trusted-ca-file", ca.file, "--client-cert-auth")
	member.Stdout, member.Stderr = log, log
	require.NoError(t, member.Start())
	t.Cleanup(func() {
		member.Process.Kill()
		member.Wait()
		if t.Failed() {
			t.Logf("--- log of the member ---\n%s", log.String())
		}
	})

	p := &procProxy{addr: c.freeAddr(), log: &lockedBuffer{}}
	p.args = []string{"grpc-proxy", "start", "--endpoints=" + clientURL, "--listen-addr=" + p.addr, "--advertise-client-url=" + p.addr,
		"--cacert=" + ca.file, "--cert=" + proxyCert, "--key=" + proxyKey, "--cert-file=" + proxyCert, "--key-file=" + proxyKey}
	p.cmd = exec.Command(raftkvBinary, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(t, p.cmd.Start())
	p.exited = make(chan struct{})
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		c.stopProxy(p)
		if t.Failed() {
			t.Logf("--- log of the proxy ---\n%s", p.log.String())
		}
	})

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	https := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	require.Eventually(t, func() bool {
		resp, err := https.Get("https://" + p.addr + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, pollEvery, "the proxy to answer /health over TLS")

	ctl := func(args ...string) string {
		out, err := exec.Command(etcdctlBinary(t), append([]string{"--endpoints=https://" + p.addr, "--cacert=" + ca.file}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	require.Equal(t, "OK\n", ctl("put", "/secure", "yes"))
	require.Equal(t, "/secure\nyes\n", ctl("get", "/secure"))
	resp, err := https.Post("https://"+p.addr+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"L3NlY3VyZQ=="}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the JSON gateway on the same TLS port")
}
