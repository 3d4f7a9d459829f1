package raft

// SoftState is volatile state worth showing (who leads, what role we play).
// It is never persisted.
type SoftState struct {
	Lead  uint64
	State StateType
}

// Ready is everything raft needs the caller to do, handed out in one value.
// The caller processes it in this order, then calls Advance:
//
//  1. Send Messages. They are safe to send before anything is durable; a
//     leader's appends in particular may travel while its own disk writes
//     (thesis §10.2.1).
//  2. Persist HardState, Entries and Snapshot, with one fsync if MustSync
//     (group commit: however many proposals this Ready holds, one sync).
//     Then append Entries to Storage (and apply Snapshot to it).
//  3. Send MessagesAfterPersist: vote requests, vote grants and append
//     acknowledgements, which promise durability (thesis §3.8).
//  4. Apply CommittedEntries to the state machine, in order; answer the
//     ReadIndexResults whose index has been applied.
//  5. Call Advance(rd).
//
// Steps 1 and 2 may run concurrently. Ready and Advance alternate: after
// Ready, HasReady reports false until Advance.
type Ready struct {
	// SoftState is non-nil when the leader or role changed.
	*SoftState
	// HardState is non-empty when it changed and must be persisted.
	HardState HardState
	// Entries must be made durable (and then appended to Storage). An entry
	// whose index is already stored replaces it and every entry after it.
	Entries []Entry
	// Snapshot, if not empty, was received from the leader: persist it and
	// restore the state machine from it before applying CommittedEntries.
	Snapshot Snapshot
	// CommittedEntries are committed and ready to apply. They may include
	// entries from Entries: persist first, then apply.
	CommittedEntries []Entry
	// Messages may be sent at once.
	Messages []Message
	// MessagesAfterPersist may be sent only after this Ready's HardState,
	// Entries and Snapshot are durable.
	MessagesAfterPersist []Message
	// ReadIndexResults answer ReadIndex requests.
	ReadIndexResults []ReadIndexResult
	// MustSync says whether step 2 needs an fsync: new entries or a new
	// term or vote. (A commit index change alone does not: it can always be
	// recomputed.)
	MustSync bool
}
