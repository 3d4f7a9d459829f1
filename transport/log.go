package transport

import (
	"strconv"
	"sync"
	"time"
)

// hexID formats a member ID as etcd does (8e9e05c52164694d).
func hexID(id uint64) string { return strconv.FormatUint(id, 16) }

// warnEvery logs msg at warning level unless a line with the same key was
// logged less than the limiter's interval ago. Events that repeat for as
// long as a misconfiguration lasts (a member of another cluster redialling,
// a full queue) must not drown the log; transitions (unreachable, reachable
// again) are logged once each by their owners and need no limiter.
func (t *HTTPTransport) warnEvery(key, msg string, args ...any) {
	if t.limiter.allow(key, time.Now()) {
		t.log.Warn(msg, args...)
	}
}

// logLimiter remembers when each key was last logged.
type logLimiter struct {
	every time.Duration

	mu   sync.Mutex
	last map[string]time.Time
}

// maxLimiterKeys bounds the limiter's memory: keys include peer-supplied
// IDs, so a hostile peer could otherwise grow the map without end.
const maxLimiterKeys = 1024

func (l *logLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.last[key]; ok && now.Sub(last) < l.every {
		return false
	}
	if l.last == nil || len(l.last) >= maxLimiterKeys {
		l.last = make(map[string]time.Time)
	}
	l.last[key] = now
	return true
}
