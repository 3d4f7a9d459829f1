package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// snapshotChunkBytes is how much of the backup one message of the stream
// carries: etcd's 32 KiB. Each message is one the client must hold whole
// before it can use any of it (a JSON line, a gRPC message), so small ones
// keep it streaming.
const snapshotChunkBytes = 32 << 10

// Snapshot streams a backup (backup.go) as etcd streams
// Maintenance.Snapshot: chunks whose remaining_bytes count the payload
// bytes still to come after them, and so reach 0 on the last, then one
// more chunk holding the SHA-256 of all the chunks before it. Like etcd's,
// the chunks carry no header. A client that sees the stream end before the
// digest knows its copy is short.
func (s *Server) Snapshot(ctx context.Context) (api.SnapshotStream, error) {
	if _, err := s.admin(ctx); err != nil {
		return nil, err
	}
	src, err := s.captureBackup(ctx)
	if err != nil {
		return nil, err
	}
	total, err := src.size()
	if err != nil {
		return nil, wire.Errorf(wire.Internal, "snapshot: %v", err)
	}
	s.log.Info("sending a backup to a client", "bytes", total)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(src.encode(pw)) }()
	return &snapshotStream{s: s, r: pr, total: total, digest: sha256.New(), buf: make([]byte, snapshotChunkBytes), started: time.Now()}, nil
}

type snapshotStream struct {
	s      *Server
	r      *io.PipeReader
	total  int64
	sent   int64
	digest hash.Hash
	buf    []byte
	done   bool
	// started is when the backup began, for its duration's metric.
	started time.Time
}

func (st *snapshotStream) Next() ([]byte, int64, error) {
	switch {
	case st.done:
		return nil, 0, io.EOF
	case st.sent < st.total:
		n, err := io.ReadFull(st.r, st.buf[:min(int64(len(st.buf)), st.total-st.sent)])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, st.fail(fmt.Errorf("the state encoded to fewer bytes than the %d measured", st.total))
		} else if err != nil {
			return nil, 0, st.fail(err)
		}
		st.sent += int64(n)
		st.digest.Write(st.buf[:n])
		return st.buf[:n], st.total - st.sent, nil
	}
	// The digest vouches for exactly the bytes sent: if the encoding went
	// on past the measured size, the client must not get a digest for the
	// part it received and take it for the whole.
	if n, err := st.r.Read(st.buf[:1]); n > 0 {
		return nil, 0, st.fail(fmt.Errorf("the state encoded to more bytes than the %d measured", st.total))
	} else if !errors.Is(err, io.EOF) {
		return nil, 0, st.fail(err)
	}
	st.done = true
	return st.digest.Sum(nil), 0, nil
}

func (st *snapshotStream) fail(err error) error {
	st.s.log.Warn("backup stream failed", "err", err)
	st.done = true
	return wire.Errorf(wire.Internal, "snapshot: %v", err)
}

func (st *snapshotStream) Version() string { return StorageVersion }

// Close stops the encoder (when the client went away early), and counts
// the backup's duration, as etcd times a backend snapshot, whether it got
// through or not.
func (st *snapshotStream) Close() {
	st.r.Close()
	st.s.metrics.observeBackendSnapshot(st.started)
}

// captureBackup takes the state to back up on the member's goroutine,
// between two steps of the loop: the membership and the store it freezes
// are those of the same applied index. Freezing is cheap (kv.Store.Freeze);
// the encoding happens afterwards, on the caller's goroutine, while the
// member goes on.
func (s *Server) captureBackup(ctx context.Context) (*backupSource, error) {
	var src *backupSource
	if err := s.onMember(ctx, func(m *Member) {
		src = &backupSource{members: m.cluster.withAuth(m.auth.State()), store: m.store.Freeze()}
	}); err != nil {
		return nil, err
	}
	return src, nil
}
