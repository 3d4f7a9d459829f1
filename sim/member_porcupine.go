package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// Linearizability of the single-key operations, checked with porcupine
// (Herlihy & Wing's definition, searched with the P-compositionality
// partitioning of Horn & Kroening): every operation must appear to take
// effect at one instant between its call and its answer, in an order that
// a single copy of the store would allow.
//
// The model is one register per key — exists, and its value — with put,
// linearizable get, delete and compare-and-swap (a txn comparing the
// value, putting on success and reading on failure). Linearizability is
// local (a history is linearizable if and only if each object's is), so
// checking key by key is complete for these operations. A two-key txn is
// checked here as two puts with the same interval (each key sees its
// write), and its atomicity by the revision checks of member_checks.go,
// which also check range scans over many keys: those are outside this
// model, by design.
//
// An operation whose outcome is unknown (timed out, member died) is given
// no answer and an end time after every other operation: porcupine may
// then place it anywhere after its call, or in effect never (after
// everything else). Serializable reads are not linearizable by contract
// and are left out; the revision checks hold them to what was committed.

type regInput struct {
	op     opKind
	key    string
	value  string
	expect string
}

type regOutput struct {
	unknown   bool
	found     bool   // get
	value     string // get: the value read; cas failed: the current value
	deleted   int64  // del
	succeeded bool   // cas
}

type register struct {
	exists bool
	value  string
}

var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(regInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		slices.Sort(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return register{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(register), input.(regInput), output.(regOutput)
		switch in.op {
		case opPut:
			return true, register{exists: true, value: in.value}
		case opGet:
			return out.found == st.exists && out.value == st.value, st
		case opDelete:
			if out.unknown {
				return true, register{}
			}
			want := int64(0)
			if st.exists {
				want = 1
			}
			return out.deleted == want, register{}
		case opCAS:
			holds := st.exists && st.value == in.expect
			if out.unknown {
				if holds {
					return true, register{exists: true, value: in.value}
				}
				return true, st
			}
			if out.succeeded != holds {
				return false, st
			}
			if holds {
				return true, register{exists: true, value: in.value}
			}
			return out.found == st.exists && out.value == st.value, st
		}
		return false, st
	},
	Hash: func(state any) uint64 {
		st := state.(register)
		h := fnv.New64a()
		fmt.Fprintf(h, "%v%s", st.exists, st.value)
		return h.Sum64()
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		var call string
		switch in.op {
		case opPut:
			call = fmt.Sprintf("put(%s, %s)", in.key, in.value)
		case opGet:
			call = fmt.Sprintf("get(%s)", in.key)
		case opDelete:
			call = fmt.Sprintf("del(%s)", in.key)
		case opCAS:
			call = fmt.Sprintf("cas(%s, %q -> %s)", in.key, in.expect, in.value)
		}
		switch {
		case out.unknown:
			return call + " -> ?"
		case in.op == opGet && !out.found:
			return call + " -> (none)"
		case in.op == opGet:
			return call + " -> " + out.value
		case in.op == opDelete:
			return fmt.Sprintf("%s -> %d deleted", call, out.deleted)
		case in.op == opCAS && out.succeeded:
			return call + " -> ok"
		case in.op == opCAS:
			return fmt.Sprintf("%s -> failed, is %q", call, out.value)
		}
		return call + " -> ok"
	},
	DescribeState: func(state any) string {
		st := state.(register)
		if !st.exists {
			return "(none)"
		}
		return st.value
	},
}

// PorcupineReport is what a linearizability failure leaves for its
// visualisation (porcupine.VisualizePath).
type PorcupineReport struct {
	model porcupine.Model
	info  porcupine.LinearizationInfo
}

// Visualize writes porcupine's HTML view of the failing history to path.
func (p *PorcupineReport) Visualize(path string) error {
	return porcupine.VisualizePath(p.model, p.info, path)
}

// porcupineOps turns the history's single-key operations into porcupine's.
func porcupineOps(h *history, keyPrefix string) []porcupine.Operation {
	var ops []porcupine.Operation
	// Unknown operations end after everything that did end.
	open := int64(math.MaxInt64 / 2)
	add := func(r *opRecord, in regInput, out regOutput) {
		end := int64(r.ret)
		if r.outcome == outcomeUnknown {
			out = regOutput{unknown: true}
			end = open
		}
		ops = append(ops, porcupine.Operation{ClientId: r.client, Input: in, Call: int64(r.call), Output: out, Return: end})
	}
	for _, r := range h.ops {
		switch r.kind {
		case opPut:
			add(r, regInput{op: opPut, key: r.key, value: r.value}, regOutput{})
		case opPutPair:
			add(r, regInput{op: opPut, key: r.key, value: r.value}, regOutput{})
			add(r, regInput{op: opPut, key: r.key2, value: r.value2}, regOutput{})
		case opGet:
			add(r, regInput{op: opGet, key: r.key}, regOutput{found: r.found, value: r.got.value})
		case opDelete:
			add(r, regInput{op: opDelete, key: r.key}, regOutput{deleted: r.deleted})
		case opCAS:
			out := regOutput{succeeded: r.succeeded}
			if !r.succeeded && len(r.kvs) == 1 {
				out.found, out.value = true, r.kvs[0].value
			}
			add(r, regInput{op: opCAS, key: r.key, value: r.value, expect: r.expect}, out)
		}
	}
	return ops
}

// checkLinearizable runs porcupine over the history. Porcupine answers Ok,
// Illegal, or Unknown when its search runs out of time. Unknown fails the
// seed like Illegal does: the search is exponential in the worst case, and
// a history too tangled to check in time is exactly where a bug would hide
// unseen if giving up counted as passing. Replaying the seed reproduces
// the history; whether the search then finishes depends on the machine.
func (s *memberSim) checkLinearizable() {
	ops := porcupineOps(s.hist, "k")
	s.res.Stats.CheckedOps = len(ops)
	limit := s.cfg.LinearizabilityTimeout
	if limit == 0 {
		limit = 20 * time.Second
	}
	began := time.Now()
	result := porcupine.CheckOperationsTimeout(kvModel, ops, limit)
	s.res.Stats.LinearizabilityMicros = time.Since(began).Microseconds()
	s.res.Linearizability = string(result)
	switch result {
	case porcupine.Illegal:
		// Run again, verbosely, for the visualisation.
		_, info := porcupine.CheckOperationsVerbose(kvModel, ops, limit)
		s.res.Porcupine = &PorcupineReport{model: kvModel, info: info}
		s.fail("linearizability: the history of %d single-key operations is not linearizable (porcupine)", len(ops))
	case porcupine.Unknown:
		s.fail("linearizability: porcupine found no linearization of the %d single-key operations within %s and gave up; "+
			"an unchecked history fails the seed (MemberConfig.LinearizabilityTimeout sets the limit)", len(ops), limit)
	}
}
