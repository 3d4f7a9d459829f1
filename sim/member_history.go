package sim

import (
	"fmt"
	"strings"
)

// The history is everything the clients did and saw: each operation with
// the virtual times it was called and answered, and its outcome. The
// checks at the end of a run (member_checks.go, member_porcupine.go) judge it
// against the committed history read from the members.

type opKind uint8

const (
	opPut opKind = iota
	opGet
	opGetSerializable
	opDelete
	opCAS     // txn: if value(key) == expect then put(key, value) else get(key)
	opPutPair // txn: put(key, value) and put(key2, value2), atomically
	opRange
	opRangeSerializable
	opLeaseGrant
	opLeasePut
	opKeepAlive
	opLeaseRevoke
)

var opNames = [...]string{
	opPut: "put", opGet: "get", opGetSerializable: "get -s", opDelete: "del", opCAS: "cas",
	opPutPair: "txn put2", opRange: "range", opRangeSerializable: "range -s",
	opLeaseGrant: "lease grant", opLeasePut: "put --lease", opKeepAlive: "keep-alive", opLeaseRevoke: "lease revoke",
}

func (k opKind) String() string { return opNames[k] }

// writes reports whether the operation may change the store.
func (k opKind) writes() bool {
	switch k {
	case opGet, opGetSerializable, opRange, opRangeSerializable:
		return false
	}
	return true
}

type outcome uint8

const (
	pending outcome = iota
	outcomeOK
	// outcomeFailed: the operation certainly had no effect (refused
	// before it was proposed, or applied as an error).
	outcomeFailed
	// outcomeUnknown: it may or may not have taken effect (timed out, the
	// member died, the leader changed under it). Porcupine lets it take
	// effect at any point after its call, or never.
	outcomeUnknown
)

type kvPair struct {
	key, value string
	mod        int64
}

// opRecord is one operation of one client.
type opRecord struct {
	client  int
	kind    opKind
	key     string
	key2    string
	value   string // put, cas: the value written
	value2  string
	expect  string // cas: the value compared against
	lease   int64
	member  string
	call    Time
	ret     Time
	outcome outcome
	err     string

	rev       int64    // a write's revision, a read's header revision
	found     bool     // get: the key exists
	got       kvPair   // get: what was read
	deleted   int64    // del: keys deleted
	succeeded bool     // cas: the compare held
	kvs       []kvPair // range: what was read (cas: the current value when it failed)
}

func (r *opRecord) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "c%d %s", r.client, r.kind)
	switch r.kind {
	case opPut, opLeasePut:
		fmt.Fprintf(&b, " %s=%s", r.key, r.value)
	case opPutPair:
		fmt.Fprintf(&b, " %s=%s %s=%s", r.key, r.value, r.key2, r.value2)
	case opCAS:
		fmt.Fprintf(&b, " %s %s->%s", r.key, r.expect, r.value)
	case opGet, opGetSerializable, opDelete:
		fmt.Fprintf(&b, " %s", r.key)
	case opKeepAlive, opLeaseRevoke:
		fmt.Fprintf(&b, " %x", r.lease)
	}
	fmt.Fprintf(&b, " via %s at %s: ", r.member, r.call)
	switch r.outcome {
	case outcomeOK:
		b.WriteString("ok")
		switch r.kind {
		case opGet, opGetSerializable:
			if r.found {
				fmt.Fprintf(&b, " %s (mod %d)", r.got.value, r.got.mod)
			} else {
				b.WriteString(" (none)")
			}
		case opCAS:
			fmt.Fprintf(&b, " succeeded=%v", r.succeeded)
		case opRange, opRangeSerializable:
			fmt.Fprintf(&b, " %d keys", len(r.kvs))
		}
		fmt.Fprintf(&b, " rev %d at %s", r.rev, r.ret)
	case outcomeFailed:
		fmt.Fprintf(&b, "failed (%s)", r.err)
	case outcomeUnknown:
		fmt.Fprintf(&b, "unknown (%s)", r.err)
	default:
		b.WriteString("pending")
	}
	return b.String()
}

// history collects finished operations in the order they finished:
// those that were acknowledged or may have taken effect in ops, and the
// writes that certainly did not (every attempt refused) in refused.
type history struct {
	ops     []*opRecord
	refused []*opRecord
}

func newHistory() *history { return &history{} }

func (h *history) add(r *opRecord) { h.ops = append(h.ops, r) }

func (h *history) refuse(r *opRecord) { h.refused = append(h.refused, r) }
