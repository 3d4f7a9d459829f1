package compat

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// --auth-token jwt: a token is a JWT the members sign with their private
// key, holding etcd's claims (username, revision, exp); any member checks
// it with the public key alone, so nothing about it goes through the log.
// The auth revision in it is what limits an old one: after any change to
// users or roles it is refused as "revision of auth store is old", and
// clientv3 holding a password logs in again without its caller noticing.
func TestAuth_JWTTokens(t *testing.T) {
	pubPath, privPath, pub := writeRSAKeys(t, t.TempDir())
	c := startAuthCluster(t, 3, clusterOptions{flags: []string{
		"--auth-token", "jwt,pub-key=" + pubPath + ",priv-key=" + privPath + ",sign-method=RS256,ttl=5m",
	}})
	admin := c.client()
	status, err := admin.AuthStatus(callCtx(t))
	require.NoError(t, err)

	issued := time.Now()
	token := authToken(t, c, alice, c.members[0].clientURL)
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a JWT: header.claims.signature, %q", token)
	var header struct{ Alg, Typ string }
	decodeJWTPart(t, parts[0], &header)
	assert.Equal(t, "RS256", header.Alg)
	var claims struct {
		Username string
		Revision uint64
		Exp      int64
	}
	decodeJWTPart(t, parts[1], &claims)
	assert.Equal(t, alice.name, claims.Username)
	assert.Equal(t, status.AuthRevision, claims.Revision, "the auth revision it was issued at")
	assert.InDelta(t, issued.Add(5*time.Minute).Unix(), claims.Exp, 30, "ttl=5m")
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	assert.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], signature), "signed with the members' key")

	// Issued by m1, accepted by m3.
	withToken := c.clientWith(clientv3.Config{Token: token}, c.members[2].clientURL)
	_, err = withToken.Put(callCtx(t), "app/k", "jwt")
	require.NoError(t, err)
	_, err = withToken.Put(callCtx(t), "other", "jwt")
	assert.ErrorIs(t, err, rpctypes.ErrPermissionDenied, "a JWT's user has its user's permissions")
	withPassword := c.clientAs(alice)
	_, err = withPassword.Put(callCtx(t), "app/k", "password")
	require.NoError(t, err)

	// Any change to users or roles moves the auth revision past the
	// tokens'.
	_, err = admin.RoleAdd(callCtx(t), "newcomer")
	require.NoError(t, err)
	c.syncMembers(t)
	_, err = withToken.Put(callCtx(t), "app/k", "old token")
	assert.ErrorIs(t, err, rpctypes.ErrAuthOldRevision, "a JWT from before the change")
	_, err = withPassword.Put(callCtx(t), "app/k", "logged in again")
	assert.NoError(t, err, "clientv3 logs in again and repeats the put")
	got, err := admin.Get(callCtx(t), "app/k")
	require.NoError(t, err)
	assert.Equal(t, "logged in again", string(got.Kvs[0].Value))

	// A token signed with another key is no token.
	forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, len(signature)))
	_, err = c.clientWith(clientv3.Config{Token: forged}).Put(callCtx(t), "app/k", "forged")
	assert.ErrorIs(t, err, rpctypes.ErrInvalidAuthToken)
}

// writeRSAKeys writes a new RSA key pair into dir as PEM files (the
// private key PKCS #1, the public key PKIX) and returns their paths and
// the public key.
func writeRSAKeys(t *testing.T, dir string) (pubPath, privPath string, pub *rsa.PublicKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	pubPath, privPath = filepath.Join(dir, "jwt.pub.pem"), filepath.Join(dir, "jwt.pem")
	require.NoError(t, os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	require.NoError(t, os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644))
	return pubPath, privPath, &key.PublicKey
}

// decodeJWTPart decodes one base64url part of a JWT into v.
func decodeJWTPart(t *testing.T, part string, v any) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(part)
	require.NoError(t, err, "a JWT part is base64url without padding: %q", part)
	require.NoError(t, json.Unmarshal(raw, v), "%s", raw)
}
