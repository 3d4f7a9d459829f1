package server

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Every normal raft entry a member proposes is an envelope:
//
//	version (1 byte) | kind (1 byte) | request ID (uvarint) | payload
//
// The request ID is what lets the member that proposed an entry find the
// client request waiting for it when the entry is applied — on that member
// only; every other member applies it without answering anyone. An empty
// entry (a new leader's no-op) has no envelope.

const envelopeVersion = 1

type entryKind uint8

const (
	// kindKV carries a kv.Request: put, delete, txn, compaction, lease grant
	// or revoke.
	kindKV entryKind = 1
	// kindLeaseRenew carries a lease ID: a keep-alive. Renewal is local
	// state (each member restarts its own countdown when it applies one),
	// but sending it through the log makes it reach the leader from any
	// member and keeps every member's view of the lease close.
	kindLeaseRenew entryKind = 2
	// kindMemberAttributes carries a member's name and client URLs, which a
	// member publishes after it starts (etcd does the same).
	kindMemberAttributes entryKind = 3
	// kindMemberPeerURLs carries a member's new peer URLs (member update).
	kindMemberPeerURLs entryKind = 4
	// kindAlarm raises or clears an alarm (alarms.go).
	kindAlarm entryKind = 5
	// kindKVAs is kindKV with who asked for it: a user and the auth
	// revision its permissions were read at, checked when the entry is
	// applied (auth_entries.go).
	kindKVAs entryKind = 6
	// kindKVSystem is a write the members make themselves (a lease the
	// leader found expired, an auto compaction): no user's permissions
	// apply to it.
	kindKVSystem entryKind = 7
	// kindAuth changes users, roles or permissions (auth.Request).
	kindAuth entryKind = 8
	// kindAuthToken hands a simple token to a user who authenticated.
	kindAuthToken entryKind = 9
)

var errBadEnvelope = errors.New("server: malformed entry")

func appendEnvelope(b []byte, kind entryKind, id uint64) []byte {
	b = append(b, envelopeVersion, byte(kind))
	return binary.AppendUvarint(b, id)
}

// decodeEnvelope splits an entry's data. The payload aliases data.
func decodeEnvelope(data []byte) (kind entryKind, id uint64, payload []byte, err error) {
	if len(data) < 3 {
		return 0, 0, nil, fmt.Errorf("%w: %d bytes", errBadEnvelope, len(data))
	}
	if data[0] != envelopeVersion {
		return 0, 0, nil, fmt.Errorf("%w: unknown version %d", errBadEnvelope, data[0])
	}
	kind = entryKind(data[1])
	id, n := binary.Uvarint(data[2:])
	if n <= 0 {
		return 0, 0, nil, fmt.Errorf("%w: bad request ID", errBadEnvelope)
	}
	return kind, id, data[2+n:], nil
}
