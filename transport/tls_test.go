package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/raftkv/raftkv/raft"
	"github.com/stretchr/testify/require"
)

// testCA is a certificate authority made up for one test, as an operator's
// --peer-trusted-ca-file would hold.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a peer certificate for 127.0.0.1, good for both ends of a
// connection, as etcd's peer certificates usually are
// (--peer-cert-file, --peer-key-file).
func (ca *testCA) issue(t testing.TB, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsMember is testConfig with TLS as the server would build it from the
// --peer-* flags: serve with cert and trust ca; with clientAuth, demand
// and verify client certificates (--peer-client-cert-auth) and present
// cert when dialling.
func tlsMember(cluster, id uint64, ca *testCA, cert tls.Certificate, clientAuth bool) Config {
	cfg := testConfig(cluster, id)
	cfg.ServerTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	cfg.ClientTLS = &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
	if clientAuth {
		cfg.ServerTLS.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ServerTLS.ClientCAs = ca.pool
		cfg.ClientTLS.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// exchange checks that messages and a snapshot travel both ways.
func exchange(t *testing.T, a, b *member) {
	t.Helper()
	a.tr.Send([]raft.Message{app(a.id, b.id, 1, 300), snapshotMsg(a.id, b.id, 3<<20)})
	b.tr.Send([]raft.Message{heartbeat(b.id, a.id, 1)})
	require.Eventually(t, func() bool { return b.rec.count() == 2 }, waitLimit, pollEvery, "the append and the snapshot")
	require.Eventually(t, func() bool { return a.rec.count() == 1 }, waitLimit, pollEvery, "the heartbeat")
	require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 1 }, waitLimit, pollEvery, "the snapshot report")
	if r := a.rec.snapshotReports()[0]; !r.delivered {
		t.Fatalf("snapshot over TLS not delivered")
	}
}

// TestTLS runs members over https:// peer URLs, first with server
// certificates only, then with mutual TLS (--peer-client-cert-auth).
func TestTLS(t *testing.T) {
	ca := newCA(t, "raftkv test CA")
	for _, mutual := range []bool{false, true} {
		t.Run(map[bool]string{false: "server certificates", true: "mutual"}[mutual], func(t *testing.T) {
			checkNoLeaks(t)
			a := startMember(t, tlsMember(7, 1, ca, ca.issue(t, "m1"), mutual), "127.0.0.1:0")
			b := startMember(t, tlsMember(7, 2, ca, ca.issue(t, "m2"), mutual), "127.0.0.1:0")
			connect(a, b)
			exchange(t, a, b)
		})
	}
}

func TestMutualTLSRefusesPeersWithoutAValidCertificate(t *testing.T) {
	ca := newCA(t, "raftkv test CA")
	rogue := newCA(t, "someone else's CA")
	for _, tc := range []struct {
		name   string
		client func(*tls.Config)
		logA   string // what the dialler logs
		logB   string // what the server logs
	}{
		{"no client certificate", func(c *tls.Config) { c.Certificates = nil },
			"certificate required", "TLS handshake error"},
		// Go's client presents only a certificate the server says it
		// accepts; this one insists, as a hand-made client could.
		{"certificate from another CA", func(c *tls.Config) {
			cert := rogue.issue(t, "m1")
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		},
			"unknown certificate authority", "TLS handshake error"},
		{"server from another CA", func(c *tls.Config) { c.RootCAs = rogue.pool },
			"certificate signed by unknown authority", "TLS handshake error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkNoLeaks(t)
			b := startMember(t, tlsMember(7, 2, ca, ca.issue(t, "m2"), true), "127.0.0.1:0")
			cfgA := tlsMember(7, 1, ca, ca.issue(t, "m1"), true)
			tc.client(cfgA.ClientTLS)
			a := startMember(t, cfgA, "127.0.0.1:0")
			a.tr.AddPeer(2, []string{b.url})
			require.Eventually(t, func() bool {
				a.tr.Send([]raft.Message{heartbeat(1, 2, 1)})
				return a.rec.unreachableCount(2) > 0 && a.logs.contains("peer 2 unreachable")
			}, waitLimit, pollEvery, "a to give up on b")
			t.Cleanup(func() {
				if t.Failed() {
					t.Log(a.logs.String())
				}
			})
			require.Eventually(t, func() bool { return a.logs.contains(tc.logA) }, waitLimit, pollEvery, "a to say why")
			require.Eventually(t, func() bool { return b.logs.contains(tc.logB) }, waitLimit, pollEvery, "b to log the failed handshake")
			a.tr.Send([]raft.Message{snapshotMsg(1, 2, 1000)})
			require.Eventually(t, func() bool { return len(a.rec.snapshotReports()) == 1 }, waitLimit, pollEvery, "the snapshot to fail")
			if a.rec.snapshotReports()[0].delivered || b.rec.count() != 0 {
				t.Fatalf("a peer without a valid certificate got through")
			}
		})
	}
}
