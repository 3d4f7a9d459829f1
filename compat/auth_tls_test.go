package compat

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
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// With --client-cert-auth, a client certificate signed by the trusted CA
// is an identity: its common name is the user, and no password or token is
// needed. A user made with --no-password can log in only that way.
func TestAuth_TLSClientCertificateCommonNameIsTheUser(t *testing.T) {
	pki := newTestPKI(t, t.TempDir())
	c := startAuthCluster(t, 3, clusterOptions{
		clientTLS: pki.clientTLS(t, "root"),
		flags: []string{"--cert-file", pki.serverCert, "--key-file", pki.serverKey,
			"--trusted-ca-file", pki.caFile, "--client-cert-auth"},
	})
	admin := c.client()
	_, err := admin.UserAddWithOptions(callCtx(t), "dave", "", &clientv3.UserAddOptions{NoPassword: true})
	require.NoError(t, err)
	_, err = admin.UserGrantRole(callCtx(t), "dave", "app")
	require.NoError(t, err)
	c.syncMembers(t)
	certOnly := func(cn string) *clientv3.Client {
		return c.clientWith(clientv3.Config{TLS: pki.clientTLS(t, cn)})
	}

	asRoot := certOnly("root")
	_, err = asRoot.Put(callCtx(t), "other", "by root's certificate")
	assert.NoError(t, err, "CN=root holds role root")
	users, err := asRoot.UserList(callCtx(t))
	require.NoError(t, err, "and may administer")
	assert.Equal(t, []string{"alice", "bob", "carol", "dave", "root"}, users.Users)

	asAlice := certOnly("alice")
	_, err = asAlice.Put(callCtx(t), "app/k", "by alice's certificate")
	assert.NoError(t, err)
	_, err = asAlice.Put(callCtx(t), "other", "by alice's certificate")
	assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "CN=alice has alice's permissions")

	_, err = certOnly("nobody").Get(callCtx(t), "app/k")
	assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a common name that is no user")

	t.Run("a user without a password logs in only with a certificate", func(t *testing.T) {
		_, err := certOnly("dave").Put(callCtx(t), "app/d", "by dave's certificate")
		assert.NoError(t, err)
		// etcd answers with an error of its auth store that its gRPC
		// layer does not translate (authStore.CheckPassword returns
		// auth.ErrNoPasswordUser, which v3rpc's toGRPCErrorMap lacks):
		// code Unknown, and a text that no rpctypes error matches.
		_, err = c.clientWith(clientv3.Config{}).Authenticate(callCtx(t), "dave", "")
		assert.EqualError(t, err, "rpc error: code = Unknown desc = auth: authentication failed, password was given for no password user")
	})

	t.Run("etcdctl with a certificate and no user", func(t *testing.T) {
		e := etcdctl(t)
		tlsFlags := func(cn string) string {
			return "--cacert " + pki.caFile + " --cert " + pki.clientCert(cn) + " --key " + pki.clientKey(cn)
		}
		r := runQuiet(t, e, "etcdctl "+tlsFlags("root")+" get other --print-value-only", c.etcdctlEnv()...)
		assert.Equal(t, result{stdout: "by root's certificate\n"}, r)
		r = runQuiet(t, e, "etcdctl "+tlsFlags("alice")+" put other v", c.etcdctlEnv()...)
		assert.Equal(t, result{stderr: "Error: etcdserver: permission denied\n", code: 1}, r)
	})

	// A token, when there is one, says who the caller is; the certificate
	// only when there is none: etcd's EtcdServer.AuthInfoFromCtx
	// (server/etcdserver/v3_server.go) asks the auth store for the
	// token's user first and falls back to AuthInfoFromTLS only without a
	// token.
	t.Run("a token before the certificate", func(t *testing.T) {
		rootWithAlicesCert := c.clientWith(clientv3.Config{TLS: pki.clientTLS(t, "alice"), Username: root.name, Password: root.password})
		_, err := rootWithAlicesCert.Put(callCtx(t), "other", "root's token, alice's certificate")
		assert.NoError(t, err, "root's token over alice's certificate: root")
		forgedWithRootsCert := c.clientWith(clientv3.Config{TLS: pki.clientTLS(t, "root"), Token: "forged.1"})
		_, err = forgedWithRootsCert.Put(callCtx(t), "other", "a bad token, root's certificate")
		assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthToken, "a bad token is not made good by a certificate")
	})
}

// testPKI is a CA and the certificates it signed, as files in a
// directory: the members' (for 127.0.0.1) and a client's for each common
// name asked for.
type testPKI struct {
	dir                           string
	caFile, serverCert, serverKey string
	ca                            *x509.Certificate
	caKey                         *ecdsa.PrivateKey
}

func newTestPKI(t *testing.T, dir string) *testPKI {
	t.Helper()
	p := &testPKI{dir: dir, caFile: filepath.Join(dir, "ca.pem")}
	p.caKey = newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "raftkv compat test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	require.NoError(t, err)
	p.ca, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	writePEM(t, p.caFile, "CERTIFICATE", der)
	p.serverCert, p.serverKey = p.issue(t, "server", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "member"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	})
	return p
}

// issue signs tmpl with the CA and writes the certificate and its key as
// <name>.pem and <name>-key.pem.
func (p *testPKI) issue(t *testing.T, name string, tmpl *x509.Certificate) (certFile, keyFile string) {
	t.Helper()
	key := newECKey(t)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func (p *testPKI) clientCert(cn string) string { return filepath.Join(p.dir, "client-"+cn+".pem") }
func (p *testPKI) clientKey(cn string) string  { return filepath.Join(p.dir, "client-"+cn+"-key.pem") }

// clientTLS is what a client whose certificate says CN=cn presents (the
// certificate made on first use), trusting the CA.
func (p *testPKI) clientTLS(t *testing.T, cn string) *tls.Config {
	t.Helper()
	if _, err := os.Stat(p.clientCert(cn)); err != nil {
		p.issue(t, "client-"+cn, &x509.Certificate{
			Subject:     pkix.Name{CommonName: cn},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
	}
	cert, err := tls.LoadX509KeyPair(p.clientCert(cn), p.clientKey(cn))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return key
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
}
