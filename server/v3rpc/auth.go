package v3rpc

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// authServer is etcd's Auth service. Every method answers Unimplemented,
// saying so, until raftkv has authentication.
type authServer struct {
	pb.UnimplementedAuthServer
}
