package server

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Member and cluster IDs are derived the way etcd derives them, so that an
// operator's habits (and etcdctl's hex IDs) carry over:
//
//   - a member's ID is the first 8 bytes of SHA-1 over its sorted peer URLs,
//     the cluster token, and — for a member added at runtime — the time it
//     was added (so re-adding the same URLs yields a new identity);
//   - the cluster's ID is the first 8 bytes of SHA-1 over its initial
//     members' IDs, sorted.
//
// Every initial member computes the same IDs from the same flags, without
// talking to anyone: that is what lets a static --initial-cluster bootstrap.

// MemberID computes a member's ID. addedAt is zero for initial members and
// the Unix time of the addition for members added later.
func MemberID(peerURLs []string, token string, addedAt int64) uint64 {
	urls := slices.Clone(peerURLs)
	slices.Sort(urls)
	b := []byte(strings.Join(urls, "") + token)
	if addedAt != 0 {
		b = fmt.Appendf(b, "%d", addedAt)
	}
	sum := sha1.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// ClusterID computes a cluster's ID from its initial members' IDs.
func ClusterID(memberIDs []uint64) uint64 {
	ids := slices.Clone(memberIDs)
	slices.Sort(ids)
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.BigEndian.PutUint64(b[8*i:], id)
	}
	sum := sha1.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// requestIDs hands out IDs for proposals that are unique across the
// cluster and across restarts: the top 16 bits are the low bits of the
// member ID, the next 40 bits a timestamp (ms) taken at start, the low bits
// a counter. Two members, or two lives of one member, never collide, so an
// applied entry's ID can be matched to the request waiting for it.
type requestIDs struct {
	prefix uint64
	next   uint64
}

func newRequestIDs(memberID uint64, startMillis int64) *requestIDs {
	prefix := (memberID & 0xffff) << 48
	ts := (uint64(startMillis) & (1<<40 - 1)) << 8
	return &requestIDs{prefix: prefix, next: ts}
}

// Peek returns the ID that Next will return, without taking it.
func (g *requestIDs) Peek() uint64 { return g.prefix | ((g.next + 1) & (1<<48 - 1)) }

func (g *requestIDs) Next() uint64 {
	g.next++
	return g.prefix | (g.next & (1<<48 - 1))
}
