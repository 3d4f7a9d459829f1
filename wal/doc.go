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
//     and at most one fsync (group commit); without sync it keeps them in
//     memory until the next write, which syncs. SaveSnapshot records a
//     snapshot marker. ReleaseBefore deletes segments a snapshot has made
//     useless.
//   - ValidSnapshots lists the markers a restarting member may trust; Walk
//     shows every record (cmd/raftkv-dump is built on it).
//
// # Torn tails and corruption
//
// A crash can damage only the last write. Every segment but the newest was
// trimmed and synced before the next was created, so a damaged record in an
// older segment is corruption, always. And the WAL never starts a write
// while an earlier one is unsynced: a Save without sync only encodes its
// records, which go to the file with the next write, and that one is
// synced. A disk that loses power in the middle of a write keeps whole
// sectors of a prefix of it; the rest reads as before — zeros, in
// preallocated space — or, rarely, as garbage; never as a valid record.
//
// So in the newest segment, whatever follows the last valid record with no
// valid record after it — garbage, a partial record, bytes written over the
// last record's padding — is the last write, torn before its sync
// returned, never acknowledged. ReadAll cuts it off: the bytes are kept in
// a ".broken" file, zeroed in place, and reported (WAL.CutTail). Damage that
// a valid record follows hit a write that was synced: ReadAll reports it as
// a *CorruptError with the file and offset; the WAL never guesses. A
// record after damage is valid when its CRC checks out chained from a seed
// the log vouches for (scanner.validRecordAfter). The rule's limit: a synced
// last record that the disk itself damaged looks exactly like a torn write,
// and is cut as one; docs/persistence.md says what that costs.
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
