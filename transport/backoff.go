package transport

import (
	"math/rand/v2"
	"time"
)

// backoff spaces out reconnection attempts to a peer that cannot be reached.
//
// Retrying at once, in a loop, would burn CPU and flood the peer's log the
// moment it comes back; waiting a fixed long time would leave a cluster
// degraded long after a restarted member is up again. So the wait starts
// small and doubles after each failure, up to a cap, and goes back to the
// minimum after a success.
//
// Each wait is jittered: half of it is fixed and half is random ("equal
// jitter"). When a member restarts, all its peers lose it at the same
// instant; without jitter they would all redial in lockstep, forever.
type backoff struct {
	min, max time.Duration
	rng      *rand.Rand
	step     time.Duration // 0 until the first failure
}

func newBackoff(min, max time.Duration, rng *rand.Rand) backoff {
	return backoff{min: min, max: max, rng: rng}
}

// next returns how long to wait before the next attempt, and grows the step.
func (b *backoff) next() time.Duration {
	if b.step == 0 {
		b.step = b.min
	}
	half := b.step / 2
	d := half + time.Duration(b.rng.Int64N(int64(b.step-half)+1))
	b.step = min(2*b.step, b.max)
	return d
}

// reset is called after a successful connection.
func (b *backoff) reset() { b.step = 0 }
