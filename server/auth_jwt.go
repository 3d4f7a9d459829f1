package server

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/raftkv/raftkv/auth"
)

// JWT tokens (--auth-token jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…),
// as etcd offers them: a token is a signed claim {username, revision,
// exp}. No member needs to have handed it out — any member with the key
// can check it — so, unlike simple tokens, they do not go through the log;
// and since the revision is in the claim, any change of users or roles
// makes older tokens "old" (clients authenticate again).

// jwtTokens signs and checks JWTs.
type jwtTokens struct {
	method jwt.SigningMethod
	// key signs (a private key, or an HMAC secret); verifyKey checks.
	// With only a public key given, the member can check tokens but not
	// hand out any.
	key, verifyKey any
	ttl            time.Duration
}

// defaultJWTTTL is etcd's default lifetime of a JWT.
const defaultJWTTTL = 5 * time.Minute

// parseAuthToken reads --auth-token: "simple" (nil: simple tokens) or
// "jwt,opt=value,...".
func parseAuthToken(spec string) (*jwtTokens, error) {
	parts := strings.Split(spec, ",")
	switch parts[0] {
	case "", "simple":
		if len(parts) > 1 {
			return nil, fmt.Errorf("--auth-token: simple tokens take no options: %q", spec)
		}
		return nil, nil
	case "jwt":
	default:
		return nil, fmt.Errorf("--auth-token: unknown token type %q (simple or jwt)", parts[0])
	}
	opts := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || opts[k] != "" {
			return nil, fmt.Errorf("--auth-token: invalid option %q", p)
		}
		switch k {
		case "pub-key", "priv-key", "sign-method", "ttl":
		default:
			return nil, fmt.Errorf("--auth-token: unknown option %q (pub-key, priv-key, sign-method, ttl)", k)
		}
		opts[k] = v
	}
	t := &jwtTokens{ttl: defaultJWTTTL, method: jwt.GetSigningMethod(opts["sign-method"])}
	if t.method == nil {
		return nil, fmt.Errorf("--auth-token: unknown sign-method %q", opts["sign-method"])
	}
	if ttl := opts["ttl"]; ttl != "" {
		d, err := time.ParseDuration(ttl)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--auth-token: bad ttl %q", ttl)
		}
		t.ttl = d
	}
	read := func(opt string) ([]byte, error) {
		if opts[opt] == "" {
			return nil, nil
		}
		b, err := os.ReadFile(opts[opt])
		if err != nil {
			return nil, fmt.Errorf("--auth-token %s: %w", opt, err)
		}
		return b, nil
	}
	pubPEM, err := read("pub-key")
	if err != nil {
		return nil, err
	}
	privPEM, err := read("priv-key")
	if err != nil {
		return nil, err
	}
	if err := t.loadKeys(pubPEM, privPEM); err != nil {
		return nil, fmt.Errorf("--auth-token: %w", err)
	}
	return t, nil
}

func (t *jwtTokens) loadKeys(pubPEM, privPEM []byte) error {
	var priv crypto.Signer
	var pub crypto.PublicKey
	var err error
	switch t.method.(type) {
	case *jwt.SigningMethodHMAC:
		if len(privPEM) == 0 {
			return errors.New("an HMAC sign-method needs priv-key (the secret)")
		}
		t.key, t.verifyKey = privPEM, privPEM
		return nil
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		if len(privPEM) > 0 {
			priv, err = jwt.ParseRSAPrivateKeyFromPEM(privPEM)
		}
		if err == nil && len(pubPEM) > 0 {
			pub, err = jwt.ParseRSAPublicKeyFromPEM(pubPEM)
		}
	case *jwt.SigningMethodECDSA:
		if len(privPEM) > 0 {
			priv, err = jwt.ParseECPrivateKeyFromPEM(privPEM)
		}
		if err == nil && len(pubPEM) > 0 {
			pub, err = jwt.ParseECPublicKeyFromPEM(pubPEM)
		}
	case *jwt.SigningMethodEd25519:
		var k crypto.PrivateKey
		if len(privPEM) > 0 {
			if k, err = jwt.ParseEdPrivateKeyFromPEM(privPEM); err == nil {
				priv, _ = k.(crypto.Signer)
			}
		}
		if err == nil && len(pubPEM) > 0 {
			pub, err = jwt.ParseEdPublicKeyFromPEM(pubPEM)
		}
	default:
		return fmt.Errorf("unsupported sign-method %s", t.method.Alg())
	}
	if err != nil {
		return err
	}
	switch {
	case priv == nil && pub == nil:
		return errors.New("pub-key or priv-key is needed")
	case priv != nil && pub != nil && !publicKeysEqual(priv.Public(), pub):
		return errors.New("pub-key and priv-key do not match")
	case priv != nil:
		t.key, t.verifyKey = priv, priv.Public()
	default:
		t.verifyKey = pub // verify only
	}
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// sign hands out a token for user at auth revision rev.
func (t *jwtTokens) sign(user string, rev uint64) (string, error) {
	if t.key == nil {
		return "", errors.New("server: this member can check JWTs but not sign them (no priv-key)")
	}
	tk := jwt.NewWithClaims(t.method, jwt.MapClaims{
		"username": user,
		"revision": rev,
		"exp":      time.Now().Add(t.ttl).Unix(),
	})
	return tk.SignedString(t.key)
}

// verify checks a token's signature and lifetime and returns its claims.
func (t *jwtTokens) verify(token string) (auth.Caller, error) {
	parsed, err := jwt.Parse(token, func(tk *jwt.Token) (any, error) {
		if tk.Method.Alg() != t.method.Alg() {
			return nil, errors.New("unexpected signing method")
		}
		return t.verifyKey, nil
	}, jwt.WithValidMethods([]string{t.method.Alg()}))
	if err != nil || !parsed.Valid {
		return auth.Caller{}, ErrInvalidAuthToken
	}
	claims, ok := parsed.Claims.(jwt.MapClaims)
	if !ok {
		return auth.Caller{}, ErrInvalidAuthToken
	}
	user, ok1 := claims["username"].(string)
	rev, ok2 := claims["revision"].(float64)
	if !ok1 || !ok2 {
		return auth.Caller{}, ErrInvalidAuthToken
	}
	return auth.Caller{User: user, Revision: uint64(rev)}, nil
}
