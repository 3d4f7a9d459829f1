// Package snapshot stores a member's state machine snapshots, one file per
// snapshot, in <data-dir>/member/snap.
//
// A snapshot replaces the prefix of the log it covers (Raft paper §7,
// thesis §5.1): once the state machine's image up to index i is durable,
// the WAL segments holding entries up to i can go. That makes the snapshot
// file as precious as the log it replaces, so it is written the careful
// way — temporary file, fsync, rename, fsync of the directory — and
// checksummed, so that a damaged one is noticed instead of restored:
//
//	| magic | version | meta len | payload len | payload crc32c | header crc32c | meta | payload ... |
//
// The metadata is raft.SnapshotMeta (index, term, configuration) in raft's
// codec. Files are named "%016x-%016x.snap" after term and index, as in
// etcd.
//
// Entry points: New; Snapshotter.Save streams a payload to disk without
// holding it in memory; Snapshotter.LoadNewest finds the newest valid
// snapshot the WAL knows about (wal.ValidSnapshots), verifying it first and
// setting aside a corrupt one as ".broken" to fall back to the one before;
// Snapshotter.Purge keeps the newest few (DefaultKeep); Snapshotter.List
// shows them all.
//
// The order that keeps a crash harmless: Save the snapshot file, then
// record its marker in the WAL (wal.WAL.SaveSnapshot), then release WAL
// segments and purge old snapshots. A crash between any two steps leaves
// either an unused file or a WAL that still has everything.
package snapshot
