// Command raftkv runs one member of a raftkv cluster.
//
//	raftkv                                   a one-member cluster in ./default.raftkv
//	raftkv --name m1 --initial-cluster ...   a member of a static cluster
//	raftkv grpc-proxy start --endpoints=...  a proxy in front of a cluster (package proxy)
//	raftkv gateway start --endpoints=...     a TCP gateway to a cluster (package proxy/gateway)
//
// Its flags are etcd's, with etcd's names, meanings and defaults; each can
// also come from an environment variable named after it (RAFTKV_NAME,
// RAFTKV_DATA_DIR, RAFTKV_INITIAL_CLUSTER, ...), so a systemd unit with an
// EnvironmentFile= works as in etcd's tutorials. A flag on the command line
// wins over the environment.
package main
