package server

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// SimpleTokens are etcd's "simple" tokens (--auth-token simple, the
// default): random strings that a member maps to a user. They are handed
// out through the log (kindAuthToken), so every member that has applied
// the entry knows the token — a client may use it with any member — and
// each member forgets a token that was not used for --auth-token-ttl, or
// whose user was deleted or changed password. They are not part of a
// snapshot: after a restart clients authenticate again (they do, on
// "invalid auth token").
type SimpleTokens struct {
	ttl time.Duration

	mu     sync.Mutex
	tokens map[string]*simpleToken
}

type simpleToken struct {
	user    string
	expires time.Time
}

func newSimpleTokens(ttl time.Duration) *SimpleTokens {
	return &SimpleTokens{ttl: ttl, tokens: map[string]*simpleToken{}}
}

func (t *SimpleTokens) add(token, user string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tokens[token] = &simpleToken{user: user, expires: now.Add(t.ttl)}
}

// User returns the user a token was handed to, and renews the token's
// lifetime (a token in use does not expire).
func (t *SimpleTokens) User(token string, now time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk, ok := t.tokens[token]
	if !ok {
		return "", false
	}
	if !now.Before(tk.expires) {
		delete(t.tokens, token)
		return "", false
	}
	tk.expires = now.Add(t.ttl)
	return tk.user, true
}

func (t *SimpleTokens) dropUser(user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for token, tk := range t.tokens {
		if tk.user == user {
			delete(t.tokens, token)
		}
	}
}

func (t *SimpleTokens) dropAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.tokens)
}

// expire forgets the tokens unused for the TTL (so a member does not keep
// every token ever handed out).
func (t *SimpleTokens) expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for token, tk := range t.tokens {
		if !now.Before(tk.expires) {
			delete(t.tokens, token)
		}
	}
}

// tokenIndex is the log index in a simple token ("<random>.<index>"): a
// member that has not applied it yet may not know the token yet.
func tokenIndex(token string) (uint64, bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(token[i+1:], 10, 64)
	return n, err == nil
}
