package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

// TestTLS: --cacert, --cert and --key against a server that checks client
// certificates (as raftkv with --client-cert-auth does). The server is a
// stand-in that answers any range with one key.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, dir, "ca", nil, nil)
	serverCert, _ := newCert(t, dir, "server", ca, caKey)
	newCert(t, dir, "client", ca, caKey)

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(wire.Marshal(&wire.RangeResponse{Header: &wire.ResponseHeader{Revision: 1},
			Kvs: []wire.KeyValue{{Key: []byte("foo"), Value: []byte("over TLS")}}, Count: 1}))
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{serverCert.Raw}, PrivateKey: loadKey(t, dir, "server")}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below are expected
	srv.StartTLS()
	defer srv.Close()
	ep := strings.TrimPrefix(srv.URL, "https://")
	file := func(name string) string { return filepath.Join(dir, name) }

	for _, args := range [][]string{
		// host:port means https once a TLS option is given.
		{"--endpoints=" + ep, "--cacert=" + file("ca.pem"), "--cert=" + file("client.pem"), "--key=" + file("client-key.pem")},
		{"--endpoints=" + srv.URL, "--insecure-skip-tls-verify", "--cert=" + file("client.pem"), "--key=" + file("client-key.pem")},
	} {
		r := runCtl(t, nil, "", append(args, "get", "foo")...)
		if r.code != 0 || r.stdout != "foo\nover TLS\n" {
			t.Errorf("get over TLS with %q: %+v", args, r)
		}
	}
	// No client certificate: refused; an unknown CA: refused.
	for _, args := range [][]string{
		{"--endpoints=" + ep, "--cacert=" + file("ca.pem")},
		{"--endpoints=" + srv.URL, "--cert=" + file("client.pem"), "--key=" + file("client-key.pem")},
	} {
		r := runCtl(t, nil, "", append(args, "--command-timeout=300ms", "get", "foo")...)
		if r.code != 1 || r.stdout != "" {
			t.Errorf("get over TLS with %q: %+v, want a failure", args, r)
		}
	}
	r := runCtl(t, nil, "", "--endpoints="+ep, "--cacert="+file("nonexistent.pem"), "get", "foo")
	if r.code != 128 || !strings.Contains(r.stderr, "nonexistent.pem") {
		t.Errorf("a missing --cacert: %+v", r)
	}
	r = runCtl(t, nil, "", "--endpoints="+ep, "--cacert="+file("client-key.pem"), "get", "foo")
	if r.code != 128 || !strings.Contains(r.stderr, "no PEM certificate found") {
		t.Errorf("a --cacert that is not a certificate: %+v", r)
	}
}

// newCert writes name.pem and name-key.pem: a CA if parent is nil, else a
// certificate for 127.0.0.1 signed by parent.
func newCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(dir, name+"-key.pem"), "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func loadKey(t *testing.T, dir, name string) *ecdsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+"-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
