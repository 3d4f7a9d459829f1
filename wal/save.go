package wal

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/raft"
)

// ErrEntryTooLarge is returned by Save for an entry that cannot fit in one record.
var ErrEntryTooLarge = errors.New("wal: entry larger than the record size limit")

// Save appends the entries, then the hard state, and syncs them when sync is
// set — one write and at most one fsync for the whole batch, which is what
// makes group commit cheap: a member calls Save once per raft Ready, however
// many proposals the Ready holds.
//
// Without sync, nothing is written yet: the records wait in memory and go
// to the file with the next write, which is synced (a Save with sync,
// SaveSnapshot, Sync, ReleaseBefore, Close, or the tail filling up). So the
// WAL never starts a write while an earlier one is unsynced, and a crash
// can damage only the last write — the rule that lets ReadAll tell a torn
// write from corruption (scanner.tornUnlessFollowed). Unsynced records
// were never promised to survive a crash; in practice they are raft's
// commit-index updates, which are recomputed anyway.
//
// ents must be consecutive. If the first index is at or below the last one
// written, the log's suffix from that index is replaced (a follower
// overwriting entries that conflict with its leader's, §5.3); ReadAll
// returns the log as it stands after the overwrite. An empty hs, or one
// equal to the last saved, is not written again.
//
// The hard state goes after the entries so that any prefix of the batch that
// survives a crash is consistent: a commit index is never durable without
// the entries it covers.
//
// Raft requires the caller to wait for a sync before it answers a vote or
// acknowledges entries (Figure 2: persistent state is "updated on stable
// storage before responding to RPCs").
func (w *WAL) Save(hs raft.HardState, ents []raft.Entry, sync bool) error {
	if err := w.writable(); err != nil {
		return err
	}
	if err := w.checkEntries(ents); err != nil {
		return err
	}
	b, crc := w.pending, w.crc
	for i := 0; i < len(ents); {
		var err error
		if b, crc, i, err = appendEntriesRecord(b, crc, ents, i); err != nil {
			w.pending = b[:len(w.pending)] // drop what this call encoded
			return err
		}
	}
	newHS := !hs.IsEmpty() && hs != w.hs
	if newHS {
		b, crc = appendRecord(b, crc, RecordHardState, func(b []byte) []byte { return appendHardState(b, &hs) })
	}
	w.pending, w.crc = b, crc
	if len(ents) > 0 {
		w.lastIndex = ents[len(ents)-1].Index
	}
	if newHS {
		w.hs = hs
	}
	if sync || w.off+int64(len(w.pending)) >= w.opts.segmentSize {
		return w.commit()
	}
	return nil
}

// checkEntries refuses a batch that would leave a hole in the log: replay
// could not tell it from lost records.
func (w *WAL) checkEntries(ents []raft.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	if first := ents[0].Index; first == 0 || first > w.lastIndex+1 {
		return fmt.Errorf("wal: entries start at index %d but the log ends at %d", first, w.lastIndex)
	}
	for i := 1; i < len(ents); i++ {
		if ents[i].Index != ents[i-1].Index+1 {
			return fmt.Errorf("wal: entry index %d follows %d", ents[i].Index, ents[i-1].Index)
		}
	}
	return nil
}

// appendEntriesRecord encodes as many entries from ents[i:] as fit in one
// record and returns the position of the first entry left over.
func appendEntriesRecord(b []byte, crc uint32, ents []raft.Entry, i int) ([]byte, uint32, int, error) {
	b, start := beginRecord(b)
	for ; i < len(ents); i++ {
		mark := len(b)
		b = appendEntry(b, &ents[i])
		if len(b)-start-headerSize > maxPayload {
			if mark == start+headerSize {
				return b[:start], crc, i, fmt.Errorf("%w: index %d has %d bytes", ErrEntryTooLarge, ents[i].Index, len(ents[i].Data))
			}
			b = b[:mark] // this entry opens the next record
			break
		}
	}
	b, crc = sealRecord(b, start, RecordEntries, crc)
	return b, crc, i, nil
}

// appendRecord appends one record whose payload fill appends.
func appendRecord(b []byte, crc uint32, t RecordType, fill func([]byte) []byte) ([]byte, uint32) {
	b, start := beginRecord(b)
	return sealRecord(fill(b), start, t, crc)
}

// SaveSnapshot records that a snapshot up to s was saved, and syncs. The
// snapshot file must be durable before this is called: on restart the
// member trusts only snapshot files that the WAL knows (ValidSnapshots), so
// a marker must never point at a file that a crash could have lost.
func (w *WAL) SaveSnapshot(s Snapshot) error {
	if err := w.writable(); err != nil {
		return err
	}
	w.pending, w.crc = appendRecord(w.pending, w.crc, RecordSnapshot, func(b []byte) []byte { return appendSnapshot(b, s) })
	// After a snapshot sent by the leader, the log restarts at s.Index+1.
	// Naming the next segment from there keeps this marker in a segment
	// that ReleaseBefore(s.Index) keeps.
	w.lastIndex = max(w.lastIndex, s.Index)
	return w.commit()
}

// commit makes every record saved so far durable: the pending ones are
// written with one pwrite, then synced with one fsync — or, if they filled
// the tail, by starting the next segment, which syncs the old one.
func (w *WAL) commit() error {
	if err := w.flush(); err != nil {
		return err
	}
	if w.off >= w.opts.segmentSize {
		return w.cut()
	}
	return w.sync()
}

// flush writes the pending records to the tail. Only commit calls it, and
// syncs right after (itself, or by cutting): see Save for why nothing may
// be written and left unsynced while more is written after it.
func (w *WAL) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	if _, err := w.tail.WriteAt(w.pending, w.off); err != nil {
		return w.fail(err)
	}
	w.off += int64(len(w.pending))
	w.written += uint64(len(w.pending))
	w.dirty = true
	if cap(w.pending) > 4<<20 {
		w.pending = nil // do not pin the memory of one huge batch forever
	} else {
		w.pending = w.pending[:0]
	}
	return nil
}

// BytesWritten returns how many bytes of records have been written to the
// segments since the WAL was opened (etcd exports the same count as
// etcd_disk_wal_write_bytes_total). Records saved without sync count once
// they are written, with the next synced write.
func (w *WAL) BytesWritten() uint64 { return w.written }

// cut closes the full tail segment and starts the next.
//
// The old segment is trimmed to its last record and synced first, so that
// every segment but the newest ends exactly at a record boundary and is
// durable in full: only the newest can have a torn tail, and the reader
// treats anything odd in an older one as corruption.
func (w *WAL) cut() error {
	if err := w.tail.Truncate(w.off); err != nil {
		return w.fail(err)
	}
	w.dirty = true
	if err := w.sync(); err != nil {
		return err
	}
	old := w.tail
	next := segment{seq: w.segs[len(w.segs)-1].seq + 1, index: w.lastIndex + 1}
	if err := w.startSegment(next); err != nil {
		return w.fail(err)
	}
	old.Close()
	return nil
}

// startSegment creates segment s holding its header records — the CRC seed
// (continuing the chain), the metadata and the current hard state, so that
// the hard state survives when older segments are released — and makes it
// the tail. The file is written under a temporary name, preallocated,
// synced, renamed, and its directory synced: the segment exists completely
// or not at all.
func (w *WAL) startSegment(s segment) error {
	path := filepath.Join(w.dir, s.name())
	f, tmp, err := w.segmentFile(path)
	if err != nil {
		return err
	}
	// Nothing is pending when a segment starts: its buffer serves.
	b, crc := appendRecord(w.pending[:0], 0, RecordCRC, func(b []byte) []byte { return appendSeed(b, w.crc) })
	b, crc = appendRecord(b, crc, RecordMetadata, func(b []byte) []byte { return appendMetadata(b, w.md) })
	if !w.hs.IsEmpty() {
		b, crc = appendRecord(b, crc, RecordHardState, func(b []byte) []byte { return appendHardState(b, &w.hs) })
	}
	w.pending = b[:0]
	_, err = f.WriteAt(b, 0)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = w.fs.Rename(tmp, path)
	}
	if err == nil {
		err = w.fs.SyncDir(w.dir)
	}
	if err != nil {
		f.Close()
		return err
	}
	w.tail, w.off, w.crc, w.dirty = f, int64(len(b)), crc, false
	w.segs = append(w.segs, s)
	return nil
}

// segmentFile returns a preallocated file for a new segment and its
// temporary name: the pipeline's, or a new one.
func (w *WAL) segmentFile(path string) (vfs.File, string, error) {
	if w.pipe != nil {
		return w.pipe.next()
	}
	tmp := path + ".tmp"
	if w.opts.pipeline {
		// Create, before the pipeline runs: prepare this one in place.
		f, err := prepareFile(w.fs, tmp, w.opts.segmentSize, make([]byte, min(w.opts.segmentSize, 1<<20)))
		return f, tmp, err
	}
	f, err := w.fs.Create(tmp)
	if err != nil {
		return nil, "", err
	}
	if err := f.Preallocate(w.opts.segmentSize); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, tmp, nil
}
