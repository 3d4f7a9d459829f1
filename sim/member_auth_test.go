package sim

import (
	"errors"
	"testing"

	"github.com/raftkv/raftkv/auth"
)

// Issue 14: with authentication on and a revoker taking permissions away
// while writes are in flight, under every fault, no member applies a
// write that another refused. The seeds must pass, and the test checks
// that they were not passing for want of trying: writes were refused at
// apply because the auth state moved under them — some of them because
// their permission was revoked in flight — and those refusals were
// compared across members.
func TestMemberSim_AuthWithConcurrentRevoker(t *testing.T) {
	var total MemberStats
	refused := 0
	for seed := uint64(1); seed <= 4; seed++ {
		cfg := DefaultMemberConfig(seed)
		cfg.Auth = true
		s := newMemberSim(cfg)
		res := s.run()
		if !res.Passed() {
			t.Fatalf("seed %d failed at %s: %s\nreplay: go run ./cmd/raftsim -mode member -auth -seed %d", seed, res.At, res.Violation, seed)
		}
		a := res.Stats.Auth
		if a.Stale == 0 || res.Stats.RefusalsCompared == 0 {
			t.Errorf("seed %d: %d writes refused at apply because the auth state moved, %d refusals compared across members: nothing was in flight across a change",
				seed, a.Stale, res.Stats.RefusalsCompared)
		}
		total.OutcomesCompared += res.Stats.OutcomesCompared
		total.RefusalsCompared += res.Stats.RefusalsCompared
		total.Auth.Allowed += a.Allowed
		total.Auth.Denied += a.Denied
		total.Auth.Stale += a.Stale
		total.Auth.RevokedInFlight += a.RevokedInFlight
		total.Auth.Retries += a.Retries
		total.Auth.Changes += a.Changes
		for _, r := range s.hist.refused {
			if r.err == auth.ErrPermissionDenied.Error() {
				refused++
			}
		}
	}
	t.Logf("4 seeds: %+v; %d write outcomes compared across members, %d of them refusals; %d denied writes checked absent from the history",
		total.Auth, total.OutcomesCompared, total.RefusalsCompared, refused)
	for name, n := range map[string]int{
		"writes allowed": total.Auth.Allowed, "writes denied": total.Auth.Denied,
		"writes whose permission was revoked in flight": total.Auth.RevokedInFlight,
		"retries with a fresh revision":                 total.Auth.Retries, "changes by the revoker": total.Auth.Changes,
		"denied writes checked absent from the history": refused,
	} {
		if n == 0 {
			t.Errorf("no %s in 4 seeds", name)
		}
	}
}

// Same seed, same run, with authentication too.
func TestMemberSim_AuthSameSeedSameRun(t *testing.T) {
	cfg := DefaultMemberConfig(2)
	cfg.Auth = true
	if a, b := RunMember(cfg), RunMember(cfg); a.Digest != b.Digest {
		t.Fatalf("seed 2 with auth ran differently twice (digests %x and %x)", a.Digest, b.Digest)
	}
}

// The two checks the auth runs rely on catch what they are there for: a
// member deciding a write entry differently from another (a write applied
// on one member and refused on another, or refused for another reason),
// and a write the clients were told was refused showing up in the
// history.
func TestMemberChecksCatchWritesDecidedDifferently(t *testing.T) {
	run := func() *memberSim {
		cfg := DefaultMemberConfig(4)
		cfg.Auth = true
		s := newMemberSim(cfg)
		if res := s.run(); !res.Passed() {
			t.Fatal(res.Violation)
		}
		return s
	}
	refusedEntry := func(s *memberSim) (uint64, writeOutcome) {
		for i := uint64(1); ; i++ {
			if o, ok := s.obs.writeOutcomes[i]; ok && o.refusal == auth.ErrPermissionDenied.Error() {
				return i, o
			}
		}
	}
	other := func(s *memberSim, name string) *slot {
		for _, sl := range s.slots {
			if sl.name != name {
				return sl
			}
		}
		return nil
	}
	for _, c := range []struct {
		name   string
		doctor func(s *memberSim)
	}{
		{"a write one member refused and another applied", func(s *memberSim) {
			i, o := refusedEntry(s)
			s.checkWriteOutcome(other(s, o.member), i, o.caller, nil)
		}},
		{"a write refused for another reason", func(s *memberSim) {
			i, o := refusedEntry(s)
			s.checkWriteOutcome(other(s, o.member), i, o.caller, auth.ErrAuthOldRevision)
		}},
		{"a write read with another caller", func(s *memberSim) {
			i, o := refusedEntry(s)
			c := o.caller
			c.Revision++
			s.checkWriteOutcome(other(s, o.member), i, c, errors.New(o.refusal))
		}},
		{"a denied write that took effect", func(s *memberSim) {
			var written string
			for _, r := range s.hist.ops {
				if r.kind == opPut && r.outcome == outcomeOK {
					written = r.value
					break
				}
			}
			for _, r := range s.hist.refused {
				if r.kind == opPut {
					r.value = written
					s.checkRefusedWrites(s.readTruth())
					return
				}
			}
			t.Fatal("no refused put in the history")
		}},
	} {
		s := run()
		s.violation = ""
		c.doctor(s)
		if s.violation == "" {
			t.Errorf("%s went unnoticed", c.name)
		} else {
			t.Logf("%s: %s", c.name, s.violation)
		}
	}
}
