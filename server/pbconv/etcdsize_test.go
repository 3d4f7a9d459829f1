package pbconv

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"github.com/raftkv/raftkv/kv"
)

// kv.Request.EtcdSize must be exactly the size of the log entry etcd would
// write for the request — the number etcd compares with --max-request-bytes
// — for any request.
func TestEtcdSizeIsTheSizeOfEtcdsEntry(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		req := genRequest(t, 3)
		id := rapid.Uint64().Draw(t, "id")
		user := rapid.StringN(0, 20, 40).Draw(t, "user")
		rev := rapid.Uint64Range(0, 1<<40).Draw(t, "authRevision")
		entry := &pb.InternalRaftRequest{Header: &pb.RequestHeader{ID: id, Username: user, AuthRevision: rev}}
		switch {
		case req.Put != nil:
			entry.Put = FromPutRequest(req.Put)
		case req.DeleteRange != nil:
			entry.DeleteRange = FromDeleteRangeRequest(req.DeleteRange)
		case req.Txn != nil:
			entry.Txn = FromTxnRequest(req.Txn)
		case req.Compaction != nil:
			entry.Compaction = &pb.CompactionRequest{Revision: req.Compaction.Revision, Physical: req.Compaction.Physical}
		case req.LeaseGrant != nil:
			entry.LeaseGrant = &pb.LeaseGrantRequest{TTL: req.LeaseGrant.TTL, ID: req.LeaseGrant.ID}
		case req.LeaseRevoke != nil:
			entry.LeaseRevoke = &pb.LeaseRevokeRequest{ID: req.LeaseRevoke.ID}
		}
		if got, want := req.EtcdSize(id, user, rev), proto.Size(entry); got != want {
			t.Fatalf("EtcdSize = %d, protobuf says %d for %+v", got, want, entry)
		}
	})
}

func genBytes(t *rapid.T, label string) []byte {
	// Lengths around the varint boundaries (127/128, 16383/16384).
	n := rapid.SampledFrom([]int{0, 1, 5, 127, 128, 300, 16383, 16384}).Draw(t, label+"Len")
	return make([]byte, n)
}

func genInt(t *rapid.T, label string) int64 {
	return rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(-5, 300), rapid.Int64()).Draw(t, label)
}

func genRange(t *rapid.T) *kv.RangeRequest {
	return &kv.RangeRequest{
		Key: genBytes(t, "key"), RangeEnd: genBytes(t, "end"), Limit: genInt(t, "limit"), Revision: genInt(t, "rev"),
		SortOrder: kv.SortOrder(rapid.Int32Range(0, 2).Draw(t, "order")), SortTarget: kv.SortTarget(rapid.Int32Range(0, 4).Draw(t, "target")),
		Serializable: rapid.Bool().Draw(t, "s"), KeysOnly: rapid.Bool().Draw(t, "ko"), CountOnly: rapid.Bool().Draw(t, "co"),
		MinModRevision: genInt(t, "minMod"), MaxModRevision: genInt(t, "maxMod"),
		MinCreateRevision: genInt(t, "minCreate"), MaxCreateRevision: genInt(t, "maxCreate"),
	}
}

func genPut(t *rapid.T) *kv.PutRequest {
	return &kv.PutRequest{Key: genBytes(t, "key"), Value: genBytes(t, "value"), Lease: genInt(t, "lease"),
		PrevKv: rapid.Bool().Draw(t, "prev"), IgnoreValue: rapid.Bool().Draw(t, "iv"), IgnoreLease: rapid.Bool().Draw(t, "il")}
}

func genDelete(t *rapid.T) *kv.DeleteRangeRequest {
	return &kv.DeleteRangeRequest{Key: genBytes(t, "key"), RangeEnd: genBytes(t, "end"), PrevKv: rapid.Bool().Draw(t, "prev")}
}

func genTxn(t *rapid.T, depth int) *kv.TxnRequest {
	txn := &kv.TxnRequest{}
	for range rapid.IntRange(0, 3).Draw(t, "compares") {
		txn.Compare = append(txn.Compare, kv.Compare{
			Result: kv.CompareResult(rapid.Int32Range(0, 3).Draw(t, "result")), Target: kv.CompareTarget(rapid.Int32Range(0, 4).Draw(t, "ctarget")),
			Key: genBytes(t, "ckey"), RangeEnd: genBytes(t, "cend"), Version: genInt(t, "cver"), CreateRevision: genInt(t, "ccreate"),
			ModRevision: genInt(t, "cmod"), Value: genBytes(t, "cvalue"), Lease: genInt(t, "clease"),
		})
	}
	ops := func(label string) []kv.RequestOp {
		var out []kv.RequestOp
		for range rapid.IntRange(0, 3).Draw(t, label) {
			var op kv.RequestOp
			switch k := rapid.IntRange(0, 3).Draw(t, label+"Kind"); {
			case k == 0:
				op.Range = genRange(t)
			case k == 1:
				op.Put = genPut(t)
			case k == 2:
				op.DeleteRange = genDelete(t)
			case depth > 0:
				op.Txn = genTxn(t, depth-1)
			default:
				op.Put = genPut(t)
			}
			out = append(out, op)
		}
		return out
	}
	txn.Success, txn.Failure = ops("success"), ops("failure")
	return txn
}

func genRequest(t *rapid.T, depth int) *kv.Request {
	switch rapid.IntRange(0, 5).Draw(t, "kind") {
	case 0:
		return &kv.Request{Put: genPut(t)}
	case 1:
		return &kv.Request{DeleteRange: genDelete(t)}
	case 2:
		return &kv.Request{Txn: genTxn(t, depth)}
	case 3:
		return &kv.Request{Compaction: &kv.CompactionRequest{Revision: genInt(t, "rev"), Physical: rapid.Bool().Draw(t, "phys")}}
	case 4:
		return &kv.Request{LeaseGrant: &kv.LeaseGrantRequest{TTL: genInt(t, "ttl"), ID: genInt(t, "id")}}
	}
	return &kv.Request{LeaseRevoke: &kv.LeaseRevokeRequest{ID: genInt(t, "id")}}
}
