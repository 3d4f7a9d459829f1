// Package btree compares raftkv's hand-written B-tree (kv/btree) with
// github.com/google/btree on the operations the key-value store leans on:
// insert, point lookup and a short ascending range scan, at one million keys.
//
// It lives in its own module (bench/) so that the main module never depends on
// google/btree. Run it with:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 5 ./btree
//
// Both trees hold the same keys (16-byte random hex strings, like typical
// etcd keys in length) with an int value, and both use nodes of the same
// capacity unless the benchmark name says otherwise.
package btree
