package proxy

import (
	"bytes"

	"github.com/raftkv/raftkv/kv"
)

// namespace is --namespace: every key a client names through the proxy is
// stored under a prefix, and every key it reads back has the prefix taken
// off, so that the client sees a keyspace of its own and nothing outside
// it — etcd's client/v3/namespace, applied in the proxy.
//
// Ranges keep their meaning inside the namespace: a range end of "\x00"
// ("every key from here on") becomes the end of the prefix, so that
// "everything" means everything in the namespace; leases and revisions are
// the cluster's, shared with every namespace.
type namespace struct {
	prefix []byte
}

// key returns the cluster's name for a client's key. An empty key stays
// empty, so that the member refuses it ("key is not provided") as it would
// refuse it from the client: prefixed, it would name the prefix itself.
func (n namespace) key(k []byte) []byte {
	if len(n.prefix) == 0 || len(k) == 0 {
		return k
	}
	out := make([]byte, 0, len(n.prefix)+len(k))
	return append(append(out, n.prefix...), k...)
}

// interval returns the cluster's names for a client's [key, end).
func (n namespace) interval(key, end []byte) ([]byte, []byte) {
	if len(n.prefix) == 0 {
		return key, end
	}
	switch {
	case len(end) == 1 && end[0] == 0:
		return n.key(key), prefixEnd(n.prefix)
	case len(end) > 0:
		return n.key(key), n.key(end)
	}
	return n.key(key), nil
}

// strip returns the client's name for a key of the cluster's.
func (n namespace) strip(k []byte) []byte { return k[len(n.prefix):] }

// contains reports whether a cluster key lies in the namespace.
func (n namespace) contains(k []byte) bool { return bytes.HasPrefix(k, n.prefix) }

// prefixEnd is the first key after every key that starts with prefix
// ("\x00", every key, if there is none: the prefix is all 0xff bytes).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0}
}

// The requests, on their way in. Each returns a copy: a request may be
// retried, and the client's own is left as it came.

func (n namespace) rangeRequest(r *kv.RangeRequest) *kv.RangeRequest {
	out := *r
	out.Key, out.RangeEnd = n.interval(r.Key, r.RangeEnd)
	return &out
}

func (n namespace) putRequest(r *kv.PutRequest) *kv.PutRequest {
	out := *r
	out.Key = n.key(r.Key)
	return &out
}

func (n namespace) deleteRequest(r *kv.DeleteRangeRequest) *kv.DeleteRangeRequest {
	out := *r
	out.Key, out.RangeEnd = n.interval(r.Key, r.RangeEnd)
	return &out
}

func (n namespace) txnRequest(r *kv.TxnRequest) *kv.TxnRequest {
	if len(n.prefix) == 0 {
		return r
	}
	out := &kv.TxnRequest{Compare: make([]kv.Compare, len(r.Compare)), Success: n.ops(r.Success), Failure: n.ops(r.Failure)}
	for i, c := range r.Compare {
		c.Key, c.RangeEnd = n.interval(c.Key, c.RangeEnd)
		out.Compare[i] = c
	}
	return out
}

func (n namespace) ops(ops []kv.RequestOp) []kv.RequestOp {
	out := make([]kv.RequestOp, len(ops))
	for i, op := range ops {
		switch {
		case op.Range != nil:
			out[i].Range = n.rangeRequest(op.Range)
		case op.Put != nil:
			out[i].Put = n.putRequest(op.Put)
		case op.DeleteRange != nil:
			out[i].DeleteRange = n.deleteRequest(op.DeleteRange)
		case op.Txn != nil:
			out[i].Txn = n.txnRequest(op.Txn)
		}
	}
	return out
}

// The answers, on their way out: the prefix comes off every key. The
// answers are the proxy's own copies, decoded from the member's message.

func (n namespace) keyValues(kvs []kv.KeyValue) {
	for i := range kvs {
		kvs[i].Key = n.strip(kvs[i].Key)
	}
}

func (n namespace) keyValue(k *kv.KeyValue) {
	if k != nil {
		k.Key = n.strip(k.Key)
	}
}

func (n namespace) rangeResponse(r *kv.RangeResponse) {
	if len(n.prefix) > 0 {
		n.keyValues(r.Kvs)
	}
}

func (n namespace) txnResponse(r *kv.TxnResponse) {
	if len(n.prefix) == 0 {
		return
	}
	for _, op := range r.Responses {
		switch {
		case op.Range != nil:
			n.keyValues(op.Range.Kvs)
		case op.Put != nil:
			n.keyValue(op.Put.PrevKv)
		case op.DeleteRange != nil:
			n.keyValues(op.DeleteRange.PrevKvs)
		case op.Txn != nil:
			n.txnResponse(op.Txn)
		}
	}
}

func (n namespace) events(evs []kv.Event) {
	if len(n.prefix) == 0 {
		return
	}
	for i := range evs {
		evs[i].Kv.Key = n.strip(evs[i].Kv.Key)
		n.keyValue(evs[i].PrevKv)
	}
}

// leaseKeys keeps the keys of a lease that lie in the namespace, without
// the prefix: a lease may hold keys of other namespaces, which are none of
// this client's business.
func (n namespace) leaseKeys(keys [][]byte) [][]byte {
	if len(n.prefix) == 0 {
		return keys
	}
	var out [][]byte
	for _, k := range keys {
		if n.contains(k) {
			out = append(out, n.strip(k))
		}
	}
	return out
}
