package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A simple token lives --auth-token-ttl after its last use: using it
// renews it; an unused one is forgotten, by the sweep or when next used.
func TestSimpleTokens_LiveTheirTTLAfterTheirLastUse(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tk := newSimpleTokens(10 * time.Second)
	tk.add("a.5", "alice", now)
	tk.add("b.6", "bob", now)
	now = now.Add(8 * time.Second)
	user, ok := tk.User("a.5", now)
	require.True(t, ok)
	require.Equal(t, "alice", user)
	now = now.Add(8 * time.Second) // 16 s after both were handed out
	_, ok = tk.User("a.5", now)
	require.True(t, ok, "alice's token was used 8 s ago: still alive")
	tk.expire(now)
	_, ok = tk.User("b.6", now)
	require.False(t, ok, "bob's token was unused for 16 s")
	tk.dropUser("alice")
	_, ok = tk.User("a.5", now)
	require.False(t, ok, "alice's tokens go with her (deleted, or a new password)")

	idx, ok := tokenIndex("abcdefghijklmnop.42")
	require.True(t, ok)
	require.EqualValues(t, 42, idx)
	_, ok = tokenIndex("no-index")
	require.False(t, ok)
}
