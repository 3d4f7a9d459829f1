module github.com/raftkv/raftkv/bench

go 1.26

require (
	github.com/google/btree v1.1.3
	github.com/raftkv/raftkv v0.0.0
)

replace github.com/raftkv/raftkv => ../
