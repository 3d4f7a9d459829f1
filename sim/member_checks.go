package sim

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/raftkv/raftkv/kv"
)

// The end-of-run checks judge what the clients saw against the committed
// history — every revision the cluster made, read back from the most
// advanced member with a watch from revision 1 (the workload never
// compacts, so the store keeps all of it). Revisions are the order in which
// writes took effect, so with them most of linearizability can be checked
// directly, beyond what porcupine's per-key model covers:
//
//   - no acknowledged write is lost: it is in the history, at the revision
//     it was acknowledged with, with the value it wrote (both keys of a
//     two-key txn at that one revision: atomicity);
//   - no write took effect twice (checkWrittenOnce), and none that was
//     refused took effect at all (checkRefusedWrites);
//   - every read (get or range, linearizable or serializable) returned
//     exactly the state of the history at its header revision;
//   - a linearizable read's revision is no older than any write
//     acknowledged before the read began, and no write that began after
//     the read was answered has a revision at or below it (real-time order);
//   - every watcher received exactly the history of its range: in order,
//     no gap, no repeat, the same events — across every reconnection;
//   - no lease expired early (checkLeases).

type truth struct {
	last int64
	revs [][]kv.Event // revs[r]: the events of revision r
	// versions[key]: the key's changes, oldest first.
	versions map[string][]keyVersion
	// putRev maps a value (unique per put) to the revision that wrote it.
	putRev map[string]int64
}

type keyVersion struct {
	rev    int64
	exists bool
	value  string
}

func (t *truth) stateAt(key string, rev int64) (keyVersion, bool) {
	vs := t.versions[key]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].rev > rev })
	if i == 0 || !vs[i-1].exists {
		return keyVersion{}, false
	}
	return vs[i-1], true
}

// readTruth reads the committed history from the member that has applied
// the most.
func (s *memberSim) readTruth() *truth {
	var best *slot
	for _, sl := range s.slots {
		if sl.m != nil && (best == nil || sl.m.Applied() > best.m.Applied()) {
			best = sl
		}
	}
	if best == nil {
		s.fail("no member is running at the end")
		return nil
	}
	t := &truth{versions: map[string][]keyVersion{}, putRev: map[string]int64{}}
	t.last = best.m.Store().Rev()
	t.revs = make([][]kv.Event, t.last+1)
	w, _ := best.m.Store().Watch(kv.WatchRequest{Key: []byte{0}, RangeEnd: []byte{0}, StartRevision: 1})
	defer w.Cancel()
	for {
		resp, ok := w.Next()
		if !ok {
			break
		}
		if resp.Canceled {
			s.fail("reading the history from %s: the watch was canceled (compacted at %d)", best.name, resp.CompactRevision)
			return nil
		}
		r := resp.Header.Revision
		if r > t.last {
			break
		}
		t.revs[r] = resp.Events
		for _, ev := range resp.Events {
			k := string(ev.Kv.Key)
			v := keyVersion{rev: r, exists: ev.Type == kv.EventPut, value: string(ev.Kv.Value)}
			t.versions[k] = append(t.versions[k], v)
			if v.exists {
				t.putRev[v.value] = r
			}
		}
	}
	for r := int64(2); r <= t.last; r++ {
		if len(t.revs[r]) == 0 {
			s.fail("the committed history on %s has no events at revision %d", best.name, r)
			return nil
		}
	}
	s.res.Stats.Revs = int(t.last)
	return t
}

func (s *memberSim) finalChecks() {
	// Writes still waiting for an answer when the run ends may or may
	// not have taken effect.
	for _, c := range s.clients {
		if r := c.cur; r != nil && r.outcome == pending && r.kind.writes() {
			r.outcome, r.err = outcomeUnknown, "still waiting at the end of the run"
			s.hist.add(r)
		}
	}
	s.sampleStates()
	if s.violation != "" {
		return
	}
	s.checkLiveness()
	if s.violation != "" {
		return
	}
	t := s.readTruth()
	if t == nil {
		return
	}
	s.checkAcked(t)
	s.checkWrittenOnce(t)
	s.checkRefusedWrites(t)
	s.checkReads(t)
	s.checkWatches(t)
	s.checkLeases(t)
	if s.violation == "" {
		s.checkLinearizable()
	}
}

func hasEvent(evs []kv.Event, typ kv.EventType, key, value string) bool {
	return slices.ContainsFunc(evs, func(e kv.Event) bool {
		return e.Type == typ && string(e.Kv.Key) == key && (typ == kv.EventDelete || string(e.Kv.Value) == value)
	})
}

// checkAcked: no acknowledged write is lost.
func (s *memberSim) checkAcked(t *truth) {
	for _, r := range s.hist.ops {
		if r.outcome != outcomeOK || !r.kind.writes() {
			continue
		}
		if r.rev > t.last {
			s.fail("lost write: %s — acknowledged at revision %d, but the history ends at %d", r, r.rev, t.last)
			return
		}
		evs := t.revs[r.rev]
		ok := true
		switch r.kind {
		case opPut, opLeasePut:
			ok = hasEvent(evs, kv.EventPut, r.key, r.value)
		case opPutPair:
			ok = hasEvent(evs, kv.EventPut, r.key, r.value) && hasEvent(evs, kv.EventPut, r.key2, r.value2)
		case opCAS:
			ok = !r.succeeded || hasEvent(evs, kv.EventPut, r.key, r.value)
		case opDelete:
			ok = r.deleted == 0 || hasEvent(evs, kv.EventDelete, r.key, "")
		}
		if !ok {
			s.fail("lost write: %s — revision %d of the committed history does not hold it", r, r.rev)
			return
		}
	}
}

// checkWrittenOnce: no write took effect twice. Every value a client
// writes is its own (client and operation number: c2.17), and a client
// sends a request again only after an answer saying it certainly did not
// happen; so a value in two revisions is one request applied twice.
func (s *memberSim) checkWrittenOnce(t *truth) {
	first := map[string]int64{}
	for r := int64(2); r <= t.last; r++ {
		for _, ev := range t.revs[r] {
			if ev.Type != kv.EventPut || !strings.HasPrefix(string(ev.Kv.Key), "k") {
				continue // lease keys all hold "held"
			}
			v := string(ev.Kv.Value)
			if at, ok := first[v]; ok {
				s.fail("a write took effect twice: %s=%s at revisions %d and %d", ev.Kv.Key, v, at, r)
				return
			}
			first[v] = r
		}
	}
}

// checkRefusedWrites: a write whose every attempt was certainly refused
// — before it was proposed, or when it was applied, for want of a
// permission among other reasons — took no effect: its value is nowhere
// in the history. (Porcupine is not told of such writes at all, which is
// right only if this holds.)
func (s *memberSim) checkRefusedWrites(t *truth) {
	for _, r := range s.hist.refused {
		var values []string
		switch r.kind {
		case opPut, opCAS:
			values = []string{r.value}
		case opPutPair:
			values = []string{r.value, r.value2}
		}
		for _, v := range values {
			if rev, ok := t.putRev[v]; ok {
				s.fail("a refused write took effect: %s — its value %s is at revision %d", r, v, rev)
				return
			}
		}
	}
}

// checkReads: each read saw the committed state at its revision, and a
// linearizable one a revision inside its interval.
func (s *memberSim) checkReads(t *truth) {
	// Writes that took effect, with their revisions, for the real-time
	// bounds: byEnd (acknowledged ones, by answer time) and byCall (every
	// one that took effect, acknowledged or not, by call time).
	type timed struct {
		at  Time
		rev int64
	}
	var byEnd, byCall []timed
	for _, r := range s.hist.ops {
		if !r.kind.writes() {
			continue
		}
		rev := r.rev
		if r.outcome == outcomeUnknown {
			rev = t.putRev[r.value] // a put or cas that did happen shows by its value
			if rev == 0 {
				continue
			}
		}
		if rev == 0 || (r.kind == opCAS && r.outcome == outcomeOK && !r.succeeded) || (r.kind == opDelete && r.deleted == 0) {
			continue // changed nothing, made no revision
		}
		if r.outcome == outcomeOK {
			byEnd = append(byEnd, timed{r.ret, rev})
		}
		byCall = append(byCall, timed{r.call, rev})
	}
	slices.SortStableFunc(byEnd, func(a, b timed) int { return int(a.at - b.at) })
	slices.SortStableFunc(byCall, func(a, b timed) int { return int(a.at - b.at) })
	// maxBefore[i]: the highest revision acknowledged among byEnd[:i].
	maxBefore := make([]int64, len(byEnd)+1)
	for i, w := range byEnd {
		maxBefore[i+1] = max(maxBefore[i], w.rev)
	}
	// minFrom[i]: the lowest revision among byCall[i:].
	minFrom := make([]int64, len(byCall)+1)
	minFrom[len(byCall)] = 1 << 62
	for i := len(byCall) - 1; i >= 0; i-- {
		minFrom[i] = min(minFrom[i+1], byCall[i].rev)
	}
	for _, r := range s.hist.ops {
		if r.outcome != outcomeOK || r.kind.writes() && r.kind != opCAS {
			continue
		}
		if r.kind == opCAS && r.succeeded {
			continue
		}
		if r.rev > t.last {
			s.fail("read from the future: %s — revision %d, but the history ends at %d", r, r.rev, t.last)
			return
		}
		switch r.kind {
		case opGet, opGetSerializable, opCAS:
			want, found := t.stateAt(r.key, r.rev)
			got, gotFound := r.got, r.found
			if r.kind == opCAS {
				gotFound = len(r.kvs) == 1
				if gotFound {
					got = r.kvs[0]
				}
			}
			if found != gotFound || found && (want.value != got.value || want.rev != got.mod) {
				s.fail("stale or phantom read: %s — at revision %d the history has %s", r, r.rev, describeVersion(want, found))
				return
			}
		case opRange, opRangeSerializable:
			var want []kvPair
			keys := make([]string, 0, len(t.versions))
			for k := range t.versions {
				if strings.HasPrefix(k, "k") {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				if v, ok := t.stateAt(k, r.rev); ok {
					want = append(want, kvPair{key: k, value: v.value, mod: v.rev})
				}
			}
			if !slices.Equal(want, r.kvs) {
				s.fail("range scan: %s — read %v, but at revision %d the history has %v", r, r.kvs, r.rev, want)
				return
			}
			s.res.Stats.CheckedRanges++
		}
		if r.kind != opGet && r.kind != opRange {
			continue // serializable reads may be stale; a cas is placed by its revision
		}
		// Writes acknowledged before the read was called.
		i := sort.Search(len(byEnd), func(i int) bool { return byEnd[i].at >= r.call })
		if lo := maxBefore[i]; r.rev < lo {
			s.fail("stale read: %s — revision %d, but revision %d was acknowledged before the read began", r, r.rev, lo)
			return
		}
		// Writes called after the read was answered.
		j := sort.Search(len(byCall), func(j int) bool { return byCall[j].at > r.ret })
		if hi := minFrom[j]; r.rev >= hi {
			s.fail("read from the future: %s — it saw revision %d, made by a write that began after the read ended", r, hi)
			return
		}
	}
}

func describeVersion(v keyVersion, found bool) string {
	if !found {
		return "no value"
	}
	return fmt.Sprintf("%s (mod %d)", v.value, v.rev)
}

// checkWatches: each watcher got exactly its range's history.
func (s *memberSim) checkWatches(t *truth) {
	for _, wc := range s.watchers {
		last := wc.next - 1
		if last > t.last {
			s.fail("watch %d received revision %d, beyond the committed history (%d)", wc.id, last, t.last)
			return
		}
		var want []int64
		for r := int64(2); r <= last; r++ {
			for _, ev := range t.revs[r] {
				if inRange(ev.Kv.Key, wc.key, wc.end) {
					want = append(want, r)
					break
				}
			}
		}
		got := make([]int64, len(wc.got))
		for i, resp := range wc.got {
			got[i] = resp.Header.Revision
		}
		if !slices.Equal(want, got) {
			s.fail("watch %d: received revisions %s, the history of its range up to %d is %s",
				wc.id, diffRevs(got, want), last, diffRevs(want, got))
			return
		}
		for _, resp := range wc.got {
			var wantEvs []kv.Event
			for _, ev := range t.revs[resp.Header.Revision] {
				if inRange(ev.Kv.Key, wc.key, wc.end) {
					wantEvs = append(wantEvs, ev)
				}
			}
			if !sameEvents(resp.Events, wantEvs) {
				s.fail("watch %d: the events of revision %d differ from the committed history", wc.id, resp.Header.Revision)
				return
			}
		}
		s.res.Stats.CheckedWatchRevs += len(got)
	}
}

func inRange(key, start, end []byte) bool {
	if len(end) == 1 && end[0] == 0 {
		return bytes.Compare(key, start) >= 0
	}
	return bytes.Compare(key, start) >= 0 && bytes.Compare(key, end) < 0
}

func sameEvents(a, b []kv.Event) bool {
	return slices.EqualFunc(a, b, func(x, y kv.Event) bool {
		return x.Type == y.Type && bytes.Equal(x.Kv.Key, y.Kv.Key) && bytes.Equal(x.Kv.Value, y.Kv.Value) &&
			x.Kv.ModRevision == y.Kv.ModRevision && x.Kv.CreateRevision == y.Kv.CreateRevision &&
			x.Kv.Version == y.Kv.Version && x.Kv.Lease == y.Kv.Lease
	})
}

// diffRevs shows the first place where a differs from b.
func diffRevs(a, b []int64) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	end := min(len(a), i+5)
	return fmt.Sprintf("%d revisions, ... %v ... (first difference at position %d)", len(a), a[max(i-2, 0):end], i)
}

// checkLeases: no lease expired before its TTL had run from the start of
// its last acknowledged grant or keep-alive.
func (s *memberSim) checkLeases(t *truth) {
	for _, lc := range s.leasers {
		for _, l := range lc.leases {
			vs := t.versions[l.key]
			for _, v := range vs {
				if v.exists {
					continue
				}
				s.res.Stats.LeasesExpired++
				gone := s.obs.revSeen[v.rev]
				bound := l.lastAck + Time(l.ttl)*Second
				if !l.revoked && gone < bound {
					s.fail("lease %x (TTL %ds) expired early: its key %s was deleted at %s, %s before the TTL ran out from the acknowledged renewal started at %s",
						l.id, l.ttl, l.key, gone, bound-gone, l.lastAck)
					return
				}
				break
			}
		}
	}
}

// checkLiveness: once the faults stopped, the cluster elected a leader,
// answered writes, brought every member up to date, and the operator
// finished any replacement it had started.
func (s *memberSim) checkLiveness() {
	lead := s.leader()
	if lead == nil {
		s.fail("liveness: no leader %s after all faults healed", s.cfg.HealBefore)
		return
	}
	calm := s.healAt + 3*Second
	writes := 0
	for _, r := range s.hist.ops {
		if r.kind.writes() && r.outcome == outcomeOK && r.call >= calm {
			writes++
		}
	}
	if writes == 0 && s.cfg.Clients > 0 {
		s.fail("liveness: no write started after %s (3s after healing) was acknowledged", calm)
		return
	}
	if s.op.phase != opIdle {
		s.fail("liveness: the replacement of %s had not finished %s after healing", s.op.sl.name, s.cfg.HealBefore)
		return
	}
	applied := lead.m.Applied()
	for _, sl := range s.slots {
		switch {
		case sl.m == nil:
			s.fail("liveness: %s is not running %s after healing", sl.name, s.cfg.HealBefore)
			return
		case sl.m.Applied()+200 < applied:
			s.fail("liveness: %s applied only %d, leader %s applied %d, %s after healing",
				sl.name, sl.m.Applied(), lead.name, applied, s.cfg.HealBefore)
			return
		}
	}
}
