package pbconv

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"github.com/raftkv/raftkv/kv"
)

// A client of etcd's services (the proxy) reads exactly the answer a member
// sent: every response converted to etcd's message and back — through the
// protobuf encoding, as it travels — is the response it was.
func TestResponsesSurviveTheWireBothWays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		txn := genTxnResponse(t, 2, rapid.Int64Range(0, 1<<40).Draw(t, "rev"))
		h := &pb.ResponseHeader{ClusterId: 1, MemberId: 2, Revision: txn.Header.Revision, RaftTerm: 3}
		wire, err := proto.Marshal(TxnResponse(txn, h))
		if err != nil {
			t.Fatal(err)
		}
		var decoded pb.TxnResponse
		if err := proto.Unmarshal(wire, &decoded); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(txn, ToTxnResponse(&decoded), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("the txn response changed on its way (-sent +received):\n%s", diff)
		}
		if got := FromHeader(decoded.Header); got.ClusterID != 1 || got.MemberID != 2 || got.RaftTerm != 3 {
			t.Fatalf("header = %+v", got)
		}
	})
}

func genKVs(t *rapid.T, label string) []kv.KeyValue {
	var out []kv.KeyValue
	for range rapid.IntRange(0, 3).Draw(t, label) {
		out = append(out, kv.KeyValue{
			Key: smallBytes(t, label+"Key"), Value: smallBytes(t, label+"Value"), CreateRevision: genInt(t, label+"Create"),
			ModRevision: genInt(t, label+"Mod"), Version: genInt(t, label+"Version"), Lease: genInt(t, label+"Lease"),
		})
	}
	return out
}

// genTxnResponse draws a transaction's answer as a member sends it: the
// responses inside carry only their revision, and a nested transaction's
// header is empty.
func genTxnResponse(t *rapid.T, depth int, rev int64) *kv.TxnResponse {
	out := &kv.TxnResponse{Header: kv.ResponseHeader{Revision: rev}, Succeeded: rapid.Bool().Draw(t, "succeeded")}
	for range rapid.IntRange(0, 3).Draw(t, "ops") {
		var op kv.ResponseOp
		h := kv.ResponseHeader{Revision: genInt(t, "opRev")}
		switch k := rapid.IntRange(0, 3).Draw(t, "kind"); {
		case k == 0:
			op.Range = &kv.RangeResponse{Header: h, Kvs: genKVs(t, "kvs"), More: rapid.Bool().Draw(t, "more"), Count: genInt(t, "count")}
		case k == 1:
			op.Put = &kv.PutResponse{Header: h}
			if prev := genKVs(t, "prev"); len(prev) > 0 {
				op.Put.PrevKv = &prev[0]
			}
		case k == 2:
			op.DeleteRange = &kv.DeleteRangeResponse{Header: h, Deleted: genInt(t, "deleted"), PrevKvs: genKVs(t, "prevs")}
		case depth > 0:
			op.Txn = genTxnResponse(t, depth-1, 0)
		default:
			op.Put = &kv.PutResponse{Header: h}
		}
		out.Responses = append(out.Responses, op)
	}
	return out
}

// smallBytes draws a short byte string: the sizes do not matter here, the
// bytes do.
func smallBytes(t *rapid.T, label string) []byte {
	return rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, label)
}
