package kv

// compact drops the history before revision rev. Reads at rev or later see
// exactly what they saw before; reads and watches from an earlier revision
// get ErrCompacted. It does not change the revision.
//
// Only keys written since the previous compaction can have versions to drop
// (every other key was already reduced to its one version at that point), and
// the revision log lists exactly those keys, so the work is proportional to
// the writes since the last compaction, not to the size of the store.
func (s *Store) compact(rev int64) (*CompactionResponse, error) {
	if rev <= s.compactRev {
		return nil, ErrCompacted
	}
	if rev > s.rev {
		return nil, ErrFutureRev
	}
	for r := s.log.first; r <= rev; r++ {
		for _, k := range s.log.changes(r) {
			ki, ok := s.index.Get(k)
			if !ok {
				continue // seen earlier in this loop, and removed
			}
			ki = s.mutableKey(ki)
			s.bytes -= ki.compact(rev)
			if len(ki.versions) == 0 {
				// Deleted before rev and not written since: forget the key.
				s.index.Delete(k)
				s.bytes -= keyCost(ki.key)
			}
		}
	}
	s.log.trim(rev)
	s.compactRev = rev
	s.hub.compacted(rev)
	return &CompactionResponse{Header: ResponseHeader{Revision: s.rev}}, nil
}
