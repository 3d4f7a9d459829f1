package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/raftkv/raftkv/kv"
)

// A backup (raftkvctl snapshot save) is the member's snapshot payload
// (disk.go: membership and key-value store) followed by the SHA-256 of that
// payload, the layout of etcd's backups (a bolt database followed by its
// SHA-256):
//
//	snapshot payload | SHA-256 of the payload (32 bytes)
//
// The digest makes a backup check itself. The store part carries a CRC of
// its own, but nothing else tells a whole backup from one cut short at the
// end of a chunk, or from one whose membership part was damaged; and a
// backup is read long after it was written, on another machine, when
// nobody remembers how big it should be. The member computes the digest as
// it streams (gateway_snapshot.go), the client checks it before keeping
// the file, and status and restore check it again before trusting the file.

// backupSource is the state a backup copies: the membership and a frozen
// store, taken together on the member's goroutine so that they are the
// state at one applied index (one revision). Frozen, the store can be
// encoded any number of times, always to the same bytes (kv encodes keys
// in order and leases sorted), while writes go on.
type backupSource struct {
	members *cluster
	store   *kv.Frozen
	// pad is how many spaces follow the membership's JSON (see size).
	pad int
}

func (b *backupSource) encode(w io.Writer) error {
	return writeSnapshotPayloadPadded(w, b.members, b.store.Encode, b.pad)
}

// backupAlignment is what a backup's length (before its digest) is a
// multiple of. etcd's backups are bolt databases, made of pages, and the
// real etcdctl checks a backup it received by that: its length must be
// 32 bytes (the digest) more than a multiple of 512, or it refuses it as
// having no checksum. raftkv pads its payload to match, with white space
// after the membership's JSON (which any JSON reader skips), so that its
// backups can be saved with etcdctl too, and read back unchanged.
const backupAlignment = 512

// size is the length of the payload, found by encoding it once into a
// counter, and sets the padding that makes it a multiple of
// backupAlignment. The stream needs the size before the first chunk (each
// chunk says how many bytes remain, as etcd's do; etcd has a database file
// and knows its size). Encoding twice costs a second pass of CPU but no
// memory beyond the encoder's own buffer (about the largest value);
// keeping the encoding to send it afterwards would hold the whole payload,
// and a temporary file would write it to disk and need cleaning up.
// Measured on a 9 MiB store (3000 keys of 2 KiB, three of 1 MiB): the
// counting pass took 5 ms and 1 MiB of heap; encoding into a bytes.Buffer
// instead took 150 ms and grew the heap by 25 MiB.
func (b *backupSource) size() (int64, error) {
	b.pad = 0
	var n countingWriter
	if err := b.encode(&n); err != nil {
		return 0, err
	}
	js, err := json.Marshal(b.members)
	if err != nil {
		return 0, err
	}
	// The membership's length is a varint before it: padding may lengthen
	// the varint too, so look for the smallest padding that aligns both.
	lenSize := func(pad int) int64 { return int64(len(binary.AppendUvarint(nil, uint64(len(js)+pad)))) }
	base := int64(n) - lenSize(0)
	for pad := 0; ; pad++ {
		if total := base + lenSize(pad) + int64(pad); total%backupAlignment == 0 {
			b.pad = pad
			return total, nil
		}
	}
}

// digestMismatchError says that a backup's content does not hash to the
// SHA-256 stored after it: the file was damaged, or cut, or was saved
// without a digest.
type digestMismatchError struct{ Want, Got []byte }

// Error has etcdutl's words.
func (e *digestMismatchError) Error() string {
	return fmt.Sprintf("expected sha256 %v, got %v", e.Want, e.Got)
}

// readBackup restores store from a backup, checking its digest, and returns
// the membership the backup holds and the size of its payload. The store
// should be a new one, thrown away on error: a payload that decodes is
// restored into it before its digest can be compared.
//
// The check and the decoding share one pass over the file: the digest is
// compared after the payload has been read, and its verdict comes before
// any decoding error, since "damaged" is the one that tells an operator
// what happened. Only a file that is not a backup at all (no magic) is
// named as such first.
func readBackup(r io.Reader, store *kv.Store) (*cluster, int64, error) {
	br := newBackupReader(r)
	c, err := readSnapshotPayload(br, store)
	if errors.Is(err, errNotSnapshot) {
		return nil, 0, err
	}
	size, verr := br.verify()
	if verr != nil {
		return nil, 0, verr
	}
	return c, size, err
}

// readUncheckedBackup restores store from a backup without checking its
// digest, or one that has none (etcdutl's --skip-hash-check). Nothing in
// the file says whether its last 32 bytes are a digest, and the store's
// decoder refuses bytes after its own checksum; so it reads the file as a
// payload and a digest first, and if that fails, as a payload alone.
func readUncheckedBackup(r io.ReadSeeker, store *kv.Store) (*cluster, error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	var withDigest error
	if size >= sha256.Size {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		c, err := readSnapshotPayload(io.LimitReader(r, size-sha256.Size), store)
		if err == nil || errors.Is(err, errNotSnapshot) {
			return c, err
		}
		withDigest = err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	c, err := readSnapshotPayload(r, store)
	if err != nil && withDigest != nil {
		return nil, withDigest // the file is damaged: say so as for the usual layout
	}
	return c, err
}

// backupReader reads a backup and yields its payload: everything but the
// last sha256.Size bytes, which it keeps as the digest. It cannot know
// where the payload ends until the file does, so it always holds back the
// last 32 bytes read.
type backupReader struct {
	r      io.Reader
	buf    []byte // read but not yet passed on; the last 32 are held back
	sum    hash.Hash
	passed int64
	eof    bool
	err    error // a read error other than the end of the file
}

func newBackupReader(r io.Reader) *backupReader {
	return &backupReader{r: r, buf: make([]byte, 0, 64<<10), sum: sha256.New()}
}

func (b *backupReader) Read(p []byte) (int, error) {
	for len(b.buf) <= sha256.Size {
		if b.err != nil {
			return 0, b.err
		}
		if b.eof {
			return 0, io.EOF
		}
		n, err := b.r.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		if errors.Is(err, io.EOF) {
			b.eof = true
		} else if err != nil {
			b.err = err
		}
	}
	n := copy(p, b.buf[:len(b.buf)-sha256.Size])
	b.sum.Write(p[:n])
	b.passed += int64(n)
	b.buf = b.buf[:copy(b.buf, b.buf[n:])]
	return n, nil
}

// verify reads what is left of the payload (after a decoder that stopped
// early, or that read all of it) and checks it against the digest. It
// returns the payload's size.
func (b *backupReader) verify() (int64, error) {
	if _, err := io.Copy(io.Discard, b); err != nil {
		return 0, err
	}
	if len(b.buf) < sha256.Size {
		return 0, errors.New("snapshot missing hash but --skip-hash-check=false")
	}
	if got := b.sum.Sum(nil); !bytes.Equal(got, b.buf) {
		return 0, &digestMismatchError{Want: bytes.Clone(b.buf), Got: got}
	}
	return b.passed, nil
}
