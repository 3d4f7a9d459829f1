module github.com/raftkv/raftkv/bench

go 1.26.0

replace github.com/raftkv/raftkv => ../

require (
	github.com/google/btree v1.1.3
	github.com/raftkv/raftkv v0.0.0-00010101000000-000000000000
	go.etcd.io/raft/v3 v3.7.0
	google.golang.org/protobuf v1.36.11
)
