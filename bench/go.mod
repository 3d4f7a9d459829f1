module github.com/raftkv/raftkv/bench

go 1.26

replace github.com/raftkv/raftkv => ../

require (
	github.com/raftkv/raftkv v0.0.0-00010101000000-000000000000
	go.etcd.io/raft/v3 v3.7.0
)

require google.golang.org/protobuf v1.36.11
