package compat

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// countUnder is how many keys are under prefix now.
func countUnder(t *testing.T, cli *clientv3.Client, prefix string) int64 {
	t.Helper()
	resp, err := cli.Get(callCtx(t), prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	return resp.Count
}

// concurrency.Mutex between processes: one holds the lock, the next waits
// in line until it is released, and a holder that crashes loses the lock
// when its session's lease expires.
func TestConcurrency_MutexAcrossProcesses(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()

	first := startContender(t, c, "mutex", "/locks/job", "")
	firstKey := first.waitSay(electionLimit, "locked ")
	firstLease := first.saying("waiting ")[len("waiting "):]
	assert.Equal(t, "/locks/job/"+firstLease, firstKey, "a lock's key is its prefix and its session's lease, in hex")

	second := startContender(t, c, "mutex", "/locks/job", "")
	second.waitSay(electionLimit, "waiting ")
	require.Eventually(t, func() bool { return countUnder(t, cli, "/locks/job/") == 2 }, waitLimit, pollEvery, "the second contender to queue")
	// Its key's create revision is after the holder's, which still exists:
	// it cannot hold the lock.
	assert.Empty(t, second.saying("locked "), "the second contender locked while the first held the lock")

	// A third party, in this process, finds it taken.
	session, err := concurrency.NewSession(cli, concurrency.WithTTL(2))
	require.NoError(t, err)
	defer session.Close()
	mine := concurrency.NewMutex(session, "/locks/job")
	assert.ErrorIs(t, mine.TryLock(callCtx(t)), concurrency.ErrLocked)

	first.order("unlock")
	first.waitSay(waitLimit, "unlocked")
	secondKey := second.waitSay(waitLimit, "locked ")
	assert.NotEqual(t, firstKey, secondKey)

	// The holder crashes; its lease expires, and the lock is free.
	second.crash()
	require.NoError(t, mine.Lock(callCtx(t)), "the lock, once the crashed holder's lease has expired")
	owner, err := cli.Get(callCtx(t), "/locks/job/", clientv3.WithFirstCreate()...)
	require.NoError(t, err)
	require.Len(t, owner.Kvs, 1)
	assert.Equal(t, mine.Key(), string(owner.Kvs[0].Key), "the oldest key under the prefix is the holder's")
	require.NoError(t, mine.Unlock(callCtx(t)))
}

// concurrency.Election between processes: a leader campaigns, proclaims a
// new value, resigns; the next candidate in line takes over; an observer
// sees every value in turn; a leader that crashes is replaced when its
// lease expires.
func TestConcurrency_ElectionAcrossProcesses(t *testing.T) {
	c := startCluster(t, 3)
	cli := c.client()
	session, err := concurrency.NewSession(cli, concurrency.WithTTL(2))
	require.NoError(t, err)
	defer session.Close()
	mine := concurrency.NewElection(session, "/election/svc")

	observeCtx, stopObserving := context.WithCancel(context.Background())
	defer stopObserving()
	observed := make(chan string, 16)
	go func() {
		for resp := range concurrency.NewElection(session, "/election/svc").Observe(observeCtx) {
			observed <- string(resp.Kvs[0].Value)
		}
	}()
	var seen []string
	waitObserved := func(value string) {
		t.Helper()
		require.Eventually(t, func() bool {
			for {
				select {
				case v := <-observed:
					seen = append(seen, v)
				default:
					return len(seen) > 0 && seen[len(seen)-1] == value
				}
			}
		}, electionLimit, pollEvery, "the observer to see %q (it saw %q)", value, seen)
	}

	a := startContender(t, c, "election", "/election/svc", "a")
	aKey := a.waitSay(electionLimit, "leader ")
	assert.Equal(t, fmt.Sprintf("/election/svc/%s", a.saying("campaigning ")[len("campaigning "):]), aKey)
	waitObserved("a")

	b := startContender(t, c, "election", "/election/svc", "b")
	b.waitSay(electionLimit, "campaigning ")
	require.Eventually(t, func() bool { return countUnder(t, cli, "/election/svc/") == 2 }, waitLimit, pollEvery, "b to stand")
	assert.Empty(t, b.saying("leader "), "b leads while a does")
	leader, err := mine.Leader(callCtx(t))
	require.NoError(t, err)
	assert.Equal(t, "a", string(leader.Kvs[0].Value))

	a.order("proclaim a2")
	a.waitSay(waitLimit, "proclaimed a2")
	waitObserved("a2")

	a.order("resign")
	a.waitSay(waitLimit, "resigned")
	b.waitSay(waitLimit, "leader ")
	waitObserved("b")

	b.crash()
	require.NoError(t, mine.Campaign(callCtx(t), "mine"), "the campaign, once the crashed leader's lease has expired")
	waitObserved("mine")
	assert.Equal(t, []string{"a", "a2", "b", "mine"}, compactRepeats(seen), "what the observer saw")
	require.NoError(t, mine.Resign(callCtx(t)))
}

// compactRepeats drops consecutive repeats (an observer may see a value
// again when it reconnects).
func compactRepeats(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}
