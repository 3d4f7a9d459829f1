// Package pbconv converts between package kv's types and etcd's protobuf
// messages (go.etcd.io/etcd/api/v3: etcdserverpb, mvccpb).
//
// kv's requests and responses mirror etcd's messages field for field and
// use etcd's enum numbers, so each conversion is a plain copy; byte slices
// are shared, never copied (the store never modifies them, and a decoded
// request is not reused). The gRPC services (server/v3rpc) convert every
// request and answer here; the JSON gateway uses it to measure a request
// as gRPC would (its encoded size, for etcd's size limits).
package pbconv
