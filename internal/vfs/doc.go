// Package vfs is the filesystem seam between raftkv's storage (the WAL and
// the snapshotter) and the disk.
//
// Raft's safety rests on a promise about disks: a server must have its
// "persistent state" (Figure 2 of the Raft paper: currentTerm, votedFor and
// the log) on stable storage before it answers an RPC (§5.2, §5.3). Whether
// the storage code keeps that promise depends on exactly when it calls
// fsync, in which order, and on which files and directories — and a wrong
// order only shows when the power fails at the wrong moment. So every file
// operation goes through the small FS interface, which has two
// implementations:
//
//   - OS() is the real disk: fdatasync(2) for File.Sync, fallocate(2) for
//     File.Preallocate, an fsync of the directory for FS.SyncDir, and
//     flock(2) on a LOCK file for FS.Lock so that two processes cannot
//     append to one WAL.
//   - NewSimDisk is an in-memory disk that remembers, for every file and
//     directory, what was synced apart from what was only written. Its
//     SimDisk.Crash keeps the former and replays a random selection of the
//     latter — a write lost, kept, or torn at a sector boundary; a create,
//     rename or remove lost if its directory was not synced. Its
//     SimDisk.FlipBit plants corruption and SimDisk.FailAfter makes the disk
//     start failing midway. It is deterministic for a given seed and cheap,
//     so tests and the simulator can crash a member thousands of times.
//
// The durability contract is spelled out on FS: nothing is durable until it
// is synced, and a new name is not durable until its directory is synced.
// Both implementations do exactly what they are asked, so a missing SyncDir
// in the WAL is a bug the simulated disk will find.
package vfs
