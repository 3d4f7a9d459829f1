package kv

import (
	"testing"
	"time"
)

func TestLeaseExpiry(t *testing.T) {
	s := New(Config{MinLeaseTTL: 5})
	t0 := time.Unix(1_000_000, 0)
	want(t, "TTL raised to the minimum", apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{ID: 1, TTL: 1}}).LeaseGrant.TTL, int64(5))
	apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{ID: 2, TTL: 10}})

	// The countdowns start at the first look after the grant.
	if got := s.ExpiredLeases(t0); len(got) != 0 {
		t.Fatalf("expired at grant: %v", got)
	}
	if got := s.ExpiredLeases(t0.Add(4999 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("expired early: %v", got)
	}
	want(t, "lease 1 expired", s.ExpiredLeases(t0.Add(5*time.Second)), []int64{1})
	// An expired lease cannot be renewed: its revoke is on its way.
	if _, err := s.LeaseRenew(1, t0.Add(6*time.Second)); err != ErrLeaseNotFound {
		t.Fatalf("renew of an expired lease: %v", err)
	}
	// Renewing lease 2 restarts its countdown.
	if resp, err := s.LeaseRenew(2, t0.Add(9*time.Second)); err != nil || resp.TTL != 10 {
		t.Fatalf("renew: %+v %v", resp, err)
	}
	want(t, "after renewal", s.ExpiredLeases(t0.Add(12*time.Second)), []int64{1})
	want(t, "remaining TTL, rounded down", s.LeaseTimeToLive(&LeaseTimeToLiveRequest{ID: 2}, t0.Add(12500*time.Millisecond)).TTL, int64(6))
	want(t, "both expired, oldest first", s.ExpiredLeases(t0.Add(19*time.Second)), []int64{1, 2})
	want(t, "remaining TTL never negative", s.LeaseTimeToLive(&LeaseTimeToLiveRequest{ID: 2}, t0.Add(30*time.Second)).TTL, int64(0))

	// A new leader resets every countdown: nothing expires early because of
	// the election.
	s.ResetLeaseExpiries(t0.Add(100 * time.Second))
	if got := s.ExpiredLeases(t0.Add(104 * time.Second)); len(got) != 0 {
		t.Fatalf("expired right after reset: %v", got)
	}
	want(t, "after reset", s.ExpiredLeases(t0.Add(105*time.Second)), []int64{1})

	// The leader's revoke goes through Apply; the lease is then gone everywhere.
	apply(t, s, &Request{LeaseRevoke: &LeaseRevokeRequest{ID: 1}})
	want(t, "after revoke", s.ExpiredLeases(t0.Add(200*time.Second)), []int64{2})
	if _, err := s.LeaseRenew(1, t0); err != ErrLeaseNotFound {
		t.Fatalf("renew of a revoked lease: %v", err)
	}
}

// TestLeaseTimeIsNotReplicatedState: two members whose clocks and renewals
// differ still have the same Hash and the same snapshot.
func TestLeaseTimeIsNotReplicatedState(t *testing.T) {
	a, b := New(Config{}), New(Config{})
	for _, s := range []*Store{a, b} {
		apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{ID: 7, TTL: 30}})
	}
	a.ResetLeaseExpiries(time.Unix(5, 0))
	if _, err := a.LeaseRenew(7, time.Unix(9, 0)); err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Fatal("lease expiry leaked into the replicated state")
	}
}

// TestLeaseRevokeDeletesKeysInOneRevision: the keys go in one revision, in
// key order, and keys moved to another lease or detached stay.
func TestLeaseRevokeDeletesKeysInOneRevision(t *testing.T) {
	s := New(Config{})
	apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{ID: 1, TTL: 30}})
	apply(t, s, &Request{LeaseGrant: &LeaseGrantRequest{ID: 2, TTL: 30}})
	for _, k := range []string{"c", "a", "b", "moved", "detached", "ignored"} {
		apply(t, s, &Request{Put: &PutRequest{Key: b(k), Value: b("v"), Lease: 1}})
	}
	apply(t, s, &Request{Put: &PutRequest{Key: b("moved"), Value: b("v"), Lease: 2}})
	apply(t, s, &Request{Put: &PutRequest{Key: b("detached"), Value: b("v")}})
	apply(t, s, &Request{Put: &PutRequest{Key: b("ignored"), Value: b("w"), IgnoreLease: true}}) // keeps lease 1
	want(t, "keys of lease 1", s.LeaseTimeToLive(&LeaseTimeToLiveRequest{ID: 1, Keys: true}, time.Unix(0, 0)).Keys,
		[][]byte{b("a"), b("b"), b("c"), b("ignored")})
	w, _ := s.Watch(WatchRequest{Key: b("\x00"), RangeEnd: b("\x00")})
	rev := apply(t, s, &Request{LeaseRevoke: &LeaseRevokeRequest{ID: 1}}).LeaseRevoke.Header.Revision
	var keys []string
	for _, r := range drain(w) {
		if r.Header.Revision != rev {
			t.Fatalf("event at revision %d, revoke at %d", r.Header.Revision, rev)
		}
		for _, ev := range r.Events {
			keys = append(keys, string(ev.Kv.Key))
		}
	}
	want(t, "deleted keys, in order", keys, []string{"a", "b", "c", "ignored"})
	want(t, "left", rangeReq(t, s, &RangeRequest{Key: b("\x00"), RangeEnd: b("\x00"), KeysOnly: true}).Count, int64(2))
}
