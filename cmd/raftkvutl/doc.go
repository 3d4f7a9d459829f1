// Command raftkvutl works on a member's files offline, as etcdutl does for
// etcd: it needs no running cluster.
//
//	raftkvutl snapshot restore backup.db --name m1 --data-dir data/m1 \
//	    --initial-cluster m1=http://127.0.0.1:12380,... --initial-advertise-peer-urls http://127.0.0.1:12380
//	raftkvutl snapshot status backup.db -w table
//
// A backup (raftkvctl snapshot save) is a key-value store and the membership
// of the cluster it came from. restore keeps the store and starts a new
// cluster from it (server.RestoreSnapshot): run it once per member, with the
// same backup and the same --initial-cluster and --initial-cluster-token,
// then start every member with those flags. status checks a backup whole
// (the SHA-256 at its end too) and says what is in it; restore refuses a
// backup whose digest does not match, unless --skip-hash-check.
package main
