// Package wal is raftkv's write-ahead log: the durable home of the
// "persistent state on all servers" of Figure 2 in the Raft paper —
// currentTerm, votedFor and log[] — which a server must have on stable
// storage before it responds to any RPC (§5.2 for votes, §5.3 for entries).
// If a server forgot a vote after a crash it could vote twice in one term
// and two leaders could be elected; if it forgot an acknowledged entry, a
// committed entry could vanish. The WAL exists so that neither happens.
//
// # Shape
//
// The log is a directory of segment files named "%016x-%016x.wal" after a
// sequence number and the first raft index they may hold. Each segment is
// preallocated (DefaultSegmentSize, 64 MiB) so that appending does not
// grow the file and an fdatasync has only data to flush. Each is a run of
// records:
//
//	| len u32 | type u8 | 0 0 0 | crc32c u32 | payload ... | pad to 8 |
//
// The CRC (Castagnoli) of each record is seeded with the CRC of the record
// before it — across segments too, through the RecordCRC record that opens
// each segment — so a record is valid only in the place it was written.
// Payloads are raft's own binary encodings (raft.Entry, raft.HardState,
// raft.SnapshotMeta). docs/persistence.md draws the picture.
//
// # Entry points
//
//   - Create makes a new WAL (atomically: in a temporary directory, renamed
//     into place); Exist tells whether one is there.
//   - Open + ReadAll replay it from a snapshot marker, returning the
//     metadata, the last hard state and the entries after the marker, and
//     repair a torn tail.
//   - Save appends one raft Ready's entries and hard state with one write
//     and at most one fsync (group commit). SaveSnapshot records a snapshot
//     marker. ReleaseBefore deletes segments a snapshot has made useless.
//   - ValidSnapshots lists the markers a restarting member may trust; Walk
//     shows every record (cmd/raftkv-dump is built on it).
//
// # Torn tails and corruption
//
// Only the newest segment can end in a write that a crash interrupted:
// every older one was trimmed and synced before the next was created. So a
// damaged record in an older segment is corruption, always. In the newest
// segment a damaged record is a torn write when it looks like one — it
// runs past the end of the file, or a sector it spans reads as zeros (disks
// write whole sectors; a sector the crash did not reach still holds the
// zeros of preallocation) — and no valid record follows it: a torn write
// is the last write, so two chained records after the damage prove a
// flipped bit instead (a damaged length can look like a record running
// past the end). ReadAll cuts a torn tail off: it was never
// synced, so never acknowledged. Anything else is reported as a
// *CorruptError with the file and offset; the WAL never guesses, and never
// drops data silently (even cut bytes are kept in a ".broken" file).
//
// A WAL whose write or fsync failed refuses further writes: after a failed
// fsync the kernel may have dropped the data, so the only safe way forward
// is to restart and replay what the disk really holds.
//
// # Order of operations for snapshots (thesis §5.1)
//
// Save the snapshot file (package snapshot), then SaveSnapshot the marker,
// then ReleaseBefore the snapshot's index. On restart, load the newest
// snapshot file among ValidSnapshots, then Open from it.
//
// The API follows etcd's wal package; differences: entries are batched per
// record rather than one record per entry, every frame's CRC covers its
// type and length, and the directory lock is one flock on the directory.
package wal
