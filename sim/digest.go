package sim

import (
	"encoding/binary"
	"hash/fnv"
)

// mixDigest folds bytes into a run's digest (FNV-1a over the digest so far
// and the bytes). Two runs of one seed must fold the same bytes in the
// same order: comparing digests compares whole runs without storing them.
func mixDigest(digest uint64, b []byte) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], digest)
	h.Write(buf[:])
	h.Write(b)
	return h.Sum64()
}

// digestSeed is the FNV-1a offset basis, where every digest starts.
const digestSeed = 14695981039346656037
