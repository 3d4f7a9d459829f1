// Command raftkv-dump prints what a member has on disk — every record of its
// write-ahead log and every snapshot file — in readable form. It only
// reads: it takes no lock and repairs nothing, so it is safe to point at
// the data directory of a running member (what it shows of the newest
// segment may then be a moment old).
//
// Usage:
//
//	raftkv-dump [-entries] [-data N] DIR
//
// DIR is a member's data directory (the --data-dir of raftkv, holding
// member/wal and member/snap) or a WAL directory itself.
package main
