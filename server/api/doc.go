// Package api is a member's client API as its protocol adapters see it: one
// interface, Backend, in protocol-neutral types.
//
// etcd's client API is defined once, as gRPC services (rpc.proto), and
// reached two ways: natively over gRPC, and through the JSON gateway that
// grpc-gateway generates from the services' HTTP annotations. raftkv keeps
// that shape but not its cost: the request logic (read barriers, proposals,
// forwarding to the leader, watch streams) is written once, behind Backend,
// and two thin adapters translate —
//
//	server/v3rpc   etcd's gRPC services (etcdserverpb messages) → Backend
//	server/v3http  etcd's JSON gateway (client/wire messages)   → Backend
//
// so neither adapter knows anything of raft, the log or the store, and no
// request's logic exists twice. *server.Server implements Backend for a
// member; a proxy can implement it over a connection to a cluster and reuse
// both adapters unchanged.
//
// # The types
//
// Requests and responses of the key-value and lease services are package
// kv's, which mirror etcd's messages field for field; what kv does not
// know — which cluster and member answered, at what raft term — travels
// beside them in a Header. Membership, status and alarms have small types
// here. Failures are *wire.Error values: etcd's gRPC status code and etcd's
// exact words (wire.ErrCompacted, wire.ErrNoLeader, ...), which v3rpc turns
// into gRPC statuses and v3http into HTTP statuses and JSON bodies.
package api
