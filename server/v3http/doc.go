// Package v3http serves etcd's v3 JSON gateway — the paths and JSON shapes
// of etcd's grpc-gateway (POST /v3/kv/put, /v3/watch, ...) plus /version,
// /health, /livez and /readyz — over an api.Backend.
//
// In etcd the gateway is generated from the gRPC services' HTTP
// annotations and proxies every call, in process, to the gRPC server.
// raftkv serves the same JSON natively: each handler decodes the body with
// package client/wire (which writes and reads etcd's JSON byte for byte),
// converts it to the backend's protocol-neutral request, calls the backend,
// and encodes the answer. The request's logic lives behind the backend,
// shared with the gRPC services (server/v3rpc): nothing here knows of raft,
// the log or the store.
//
// Unary calls are POSTs of one JSON object answered with one; /v3/watch and
// /v3/lease/keepalive stream newline-delimited {"result":...} objects.
// Limits are etcd's: a request larger than --max-request-bytes is "request
// is too large"; one larger than the gRPC receive limit etcd puts on top of
// it (limits.go) is refused as gRPC would refuse it, on every line of a
// stream too.
package v3http
