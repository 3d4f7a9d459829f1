// Command raftkvctl is raftkv's command-line client, a look-alike of etcd's
// etcdctl (v3): the same verbs, flags, output formats, error texts and exit
// codes, so that etcd's tutorials and scripts work with the names changed.
//
//	raftkvctl put /testdir/testkey "Hello world"
//	raftkvctl get /testdir --prefix
//	raftkvctl watch key1
//	raftkvctl --endpoints=127.0.0.1:2379,127.0.0.1:22379 endpoint status -w table
//
// It is a thin layer over package client (see client/doc.go), which does the
// real work: the JSON API, failover between endpoints, watches that resume
// where they stopped, and, in client/concurrency, locks and elections. Read
// this command to see how each etcdctl verb maps to one or two calls.
//
// # The command groups, one file each
//
//   - kv.go: put (with the etcd v2 tutorials' --ttl, which grants a lease
//     and attaches the key), get (ranges, revisions, sorting, linearizable
//     or serializable), del, compaction.
//   - watch.go: watch a key or a prefix from a revision; run a command for
//     each event; -i reads watch requests from standard input.
//   - txn.go: a transaction — comparisons, then the requests for success
//     and for failure — read from standard input in etcdctl's format.
//   - lease.go: grant, revoke, timetolive, list, keep-alive.
//   - lock.go, elect.go: a distributed lock and a leader election, which
//     hold until interrupted (SIGINT or SIGTERM) and then release.
//   - member.go: list (which marks the leader), add, remove, promote,
//     update.
//   - endpoint.go: status, health and hashkv of each endpoint (or of every
//     member with --cluster), and defrag.
//   - snapshot.go: snapshot save, one member's state to a file.
//   - version.go: version.
//   - auth.go, user.go, role.go: turn authentication on and off; add users
//     and roles, grant roles to users and permissions on keys to roles.
//     Every command takes --user name[:password] (or --password, or
//     --auth-jwt-token); without a password it asks for one.
//
// And the machinery: app.go (run, the global flags, the RAFTKVCTL_*
// environment, building the client and logging it in), password.go and
// terminal_*.go (asking for a password without showing it), command.go and
// help.go (the command
// tree, etcdctl's help layout), flags.go (a flag parser with pflag's rules:
// flags after arguments, -w json, "--"), errors.go (exit codes and etcdctl's
// "Error: ..." lines), and printer*.go (the -w simple, json, fields and
// table formats).
//
// # Output formats
//
// -w simple (default) is for people and pipelines: a key then its value,
// one a line; IDs in hex. -w json is etcdctl's JSON, which is not the JSON
// on the wire: integers are numbers, and a few answers have etcdctl's own
// shapes. -w fields is one "Name" : value line per field. -w table draws
// the member list and the endpoint answers as boxes. The golden tests check
// each against the transcript of etcdctl 3.7.3 in testdata/etcdctl.md.
//
// # Exit codes
//
//	0    success
//	1    the request failed: the server's error, or nobody answered before
//	     --command-timeout ("Error: context deadline exceeded")
//	2    authentication failed (a wrong --user or password); lease
//	     timetolive, list or keep-alive failed
//	3    txn (or watch -i) input that cannot be read
//	4    a format that cannot show the answer (get -w table)
//	5    a watch canceled by the server; snapshot save failed
//	128  bad arguments (and a password typed twice differently)
//	130, 143  interrupted by SIGINT, SIGTERM (lock and elect release and exit 0)
//
// # Where raftkvctl differs from etcdctl, and why
//
//   - put --ttl N exists (the tutorials' etcd v2 option); put refuses more
//     than two arguments, where etcdctl ignores the extra ones (put k Hello
//     world would silently store "Hello").
//   - An unknown subcommand (lease foo) is an error, where etcdctl prints
//     the group's help and exits 0.
//   - There is no -w protobuf (raftkv speaks JSON), no DNS discovery, and
//     watch -i has no "progress" request.
//   - A password is read without echo only from a terminal; from a pipe it
//     is a line of input, and raftkvctl does not run stty around it, so the
//     "stty: 'standard input': Inappropriate ioctl for device" lines etcdctl
//     prints then are not printed.
//   - The "{"level":...}" log lines that etcdctl's client prints are
//     imitated only where they help: why a request timed out, an
//     unrecognized RAFTKVCTL_ variable, and a variable that conflicts with
//     its flag.
//   - lock and elect revoke their session's lease on the way out (etcdctl
//     lets it expire), and watch, lock and elect pass their commands the
//     event (ETCD_WATCH_*, ETCD_LOCK_*) under raftkv's names too
//     (RAFTKV_WATCH_*, RAFTKV_LOCK_*).
//
// What these commands make the cluster do — linearizable reads through
// ReadIndex, leases, watches over the MVCC history, locks built from a
// lease, a txn and a watch — is told in the book (docs/index.md) and in the
// doc.go of packages client, client/concurrency and kv.
package main
