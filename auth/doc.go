// Package auth is who may do what: the users, roles and permissions of
// etcd's role-based access control, as replicated state.
//
// # The model
//
// A user holds roles; a role holds permissions; a permission lets its
// holder READ, WRITE, or READWRITE the keys of one interval: a single key
// (an empty range end), the keys in [key, range_end), or every key from
// key on (range end "\x00"). A user may do what the union of its roles'
// intervals allows: a request for one key needs an interval holding the
// key, a request for a range needs the range covered, without a gap, by
// the union of the user's intervals of the right kind (perm.go). The role
// named "root" may do everything, and only a user holding it may change
// users, roles, membership or the cluster itself.
//
// # Why it is replicated state
//
// Whether a write is allowed is decided when the write is applied, from
// the user and the auth revision the entry carries, against the auth
// state of that moment in the log — not only when the request arrives. The
// auth state is changed only by entries of the same log (Store.Apply), so
// every member decides every write the same way. Checking only at the
// door is what etcd once did, and it let a permission revoked between a
// write's proposal and its apply be honoured by some members and not by
// others (etcd issue #14571): the members' stores diverged. It is the
// State Machine Safety property of Raft (§5.4.3) — same commands, same
// order, same results — which holds only if the result depends on nothing
// but the log.
//
// Every change bumps the auth revision. A request carries the revision its
// user's permissions were read at; at apply time an older revision than
// the store's means the permissions may have changed since, and the write
// is refused with "revision of auth store is old" (clients authenticate
// again and retry).
//
// Reads are checked where they are served, once the read barrier has made
// the member's state current.
//
// # What is not here
//
// Passwords are hashed with bcrypt by the member that receives them, and
// only the hash enters the log (server/auth*.go); tokens are the member's
// concern too. This package is standard library only: it is the lesson.
package auth
