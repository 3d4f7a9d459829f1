package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/authpb"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// testPKI is a throw-away CA and certificates signed by it, for 127.0.0.1.
type testPKI struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raftkv test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &testPKI{dir: t.TempDir(), ca: ca, caKey: key}
	p.caFile = filepath.Join(p.dir, "ca.pem")
	os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return p
}

// issue writes a certificate and key usable as server and client for 127.0.0.1.
func (p *testPKI) issue(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// A cluster with TLS on both sides and client certificates required
// everywhere: peers authenticate each other, clients must present a
// certificate from the trusted CA.
func TestTLS_MutualTLSForClientsAndPeers(t *testing.T) {
	pki := newTestPKI(t)
	cert, key := pki.issue(t, "member")
	c := startLiveCluster(t, 3, func(cfg *Config) {
		for _, urls := range []*[]string{&cfg.ListenClientURLs, &cfg.AdvertiseClientURLs, &cfg.ListenPeerURLs, &cfg.InitialAdvertisePeerURLs} {
			for i := range *urls {
				(*urls)[i] = strings.Replace((*urls)[i], "http://", "https://", 1)
			}
		}
		cfg.InitialCluster = strings.ReplaceAll(cfg.InitialCluster, "http://", "https://")
		cfg.ClientTLS = TLSFiles{CertFile: cert, KeyFile: key, TrustedCAFile: pki.caFile, ClientCertAuth: true}
		cfg.PeerTLS = TLSFiles{CertFile: cert, KeyFile: key, TrustedCAFile: pki.caFile, ClientCertAuth: true}
	})
	clientCert, clientKey := pki.issue(t, "client")
	pair, err := tls.LoadX509KeyPair(clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.ca)
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	resp, err := withCert.Post(c.url(1)+"/v3/kv/put", "application/json", strings.NewReader(`{"key":"Zm9v","value":"YmFy"}`))
	if err != nil {
		t.Fatalf("put over mutual TLS: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("put over mutual TLS: %d", resp.StatusCode)
	}
	resp, err = withCert.Post(c.url(2)+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"Zm9v"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"value":"YmFy"`) {
		t.Fatalf("the write did not replicate over TLS peers: %s", body)
	}
	if resp, err := noCert.Post(c.url(0)+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"Zm9v"}`)); err == nil {
		resp.Body.Close()
		t.Fatal("a client without a certificate was served")
	}
}

// With --client-cert-auth, the common name of a client's certificate is
// its user, as in etcd: no password, no token. Over gRPC (HTTP/2 on the
// TLS port) and over the JSON gateway alike.
func TestTLS_ClientCertificateCommonNameIsTheUser(t *testing.T) {
	pki := newTestPKI(t)
	cert, key := pki.issue(t, "member")
	c := startLiveCluster(t, 1, func(cfg *Config) {
		for _, urls := range []*[]string{&cfg.ListenClientURLs, &cfg.AdvertiseClientURLs} {
			for i := range *urls {
				(*urls)[i] = strings.Replace((*urls)[i], "http://", "https://", 1)
			}
		}
		cfg.ClientTLS = TLSFiles{CertFile: cert, KeyFile: key, TrustedCAFile: pki.caFile, ClientCertAuth: true}
	})
	c.waitLeader()
	roots := x509.NewCertPool()
	roots.AddCert(pki.ca)
	tlsFor := func(user string) *tls.Config {
		cf, kf := pki.issue(t, user)
		pair, err := tls.LoadX509KeyPair(cf, kf)
		require.NoError(t, err)
		return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}
	}
	dial := func(user string) *grpc.ClientConn {
		conn, err := grpc.NewClient(strings.TrimPrefix(c.url(0), "https://"), grpc.WithTransportCredentials(credentials.NewTLS(tlsFor(user))))
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	ctx := context.Background()
	root, alice := dial("root"), dial("alice")
	ac := pb.NewAuthClient(root)
	for _, step := range []func() error{
		func() error {
			_, err := ac.UserAdd(ctx, &pb.AuthUserAddRequest{Name: "root", Options: &authpb.UserAddOptions{NoPassword: true}})
			return err
		},
		func() error {
			_, err := ac.UserGrantRole(ctx, &pb.AuthUserGrantRoleRequest{User: "root", Role: "root"})
			return err
		},
		func() error {
			_, err := ac.UserAdd(ctx, &pb.AuthUserAddRequest{Name: "alice", Options: &authpb.UserAddOptions{NoPassword: true}})
			return err
		},
		func() error { _, err := ac.AuthEnable(ctx, &pb.AuthEnableRequest{}); return err },
	} {
		require.NoError(t, step())
	}
	_, err := pb.NewKVClient(root).Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err, "root, by its certificate")
	_, err = pb.NewKVClient(alice).Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	requireStatus(t, err, codes.PermissionDenied, "etcdserver: permission denied")

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsFor("alice")}}
	resp, err := hc.Post(c.url(0)+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"aw=="}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 403, resp.StatusCode, "%s", body)
	require.JSONEq(t, `{"code":7,"message":"etcdserver: permission denied"}`, string(body))

	// A user made without a password cannot log in with one: etcd's auth
	// store error, which etcd's gRPC layer passes on as code Unknown.
	_, err = pb.NewAuthClient(alice).Authenticate(ctx, &pb.AuthenticateRequest{Name: "alice", Password: ""})
	requireStatus(t, err, codes.Unknown, "auth: authentication failed, password was given for no password user")

	// A token, when there is one, says who calls, over any certificate
	// (etcd's AuthInfoFromCtx): a bad token over root's certificate is
	// refused, where the certificate alone would have been root. (raftkv
	// once looked at the certificate first.)
	bad := metadata.AppendToOutgoingContext(ctx, "token", "forged.1")
	_, err = pb.NewKVClient(root).Put(bad, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	requireStatus(t, err, codes.Unauthenticated, "etcdserver: invalid auth token")
}
