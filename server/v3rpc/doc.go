// Package v3rpc serves etcd's v3 gRPC services — KV, Watch, Lease,
// Cluster, Maintenance (and Auth) — over an api.Backend, with etcd's own
// message types (go.etcd.io/etcd/api/v3/etcdserverpb) and error values, so
// that the real etcdctl, Go's clientv3, and every program built on them
// (Kubernetes' apiserver among them) talk to raftkv as they talk to etcd.
//
// It is an adapter and nothing more, as etcd's api/v3rpc is to its
// etcdserver: each handler converts the request to the backend's
// protocol-neutral one (server/pbconv), calls the backend, and converts the
// answer back; a failure, which the backend reports as etcd's code and
// words, becomes the gRPC status etcd would have sent (clientv3 recognises
// errors by their text). The same backend serves the JSON gateway
// (server/v3http), so the two APIs cannot disagree.
//
// What belongs to gRPC is here: etcd's limits on message sizes and
// streams, the "hasleader" metadata (a client that requires a leader is
// refused, and its streams are canceled, while the member has none), the
// gRPC health service, and the split of one client port between gRPC and
// HTTP/1.1 (mux.go).
package v3rpc
