package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/raftkv/raftkv/client/wire"
)

// snapshotChunkBytes is how much of the backup one message of the stream
// carries: etcd's 32 KiB. Each message is a JSON line the client must hold
// whole before it can use any of it, so small ones keep it streaming.
const snapshotChunkBytes = 32 << 10

// serveSnapshot streams a backup (backup.go) as etcd's gateway streams
// Maintenance.Snapshot: messages {"result":{"remaining_bytes":"N",
// "blob":...,"version":...}}, where remaining_bytes counts the payload
// bytes still to come after this message's blob and so reaches 0 on the
// last (and, a zero, is not written), then one more message whose blob is
// the SHA-256 of all the blobs before it. Like etcd's, the messages carry
// no header. A client that sees the stream end before the digest knows its
// copy is short.
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	src, werr := s.captureBackup(r.Context())
	if werr != nil {
		writeError(w, werr)
		return
	}
	total, err := src.size()
	if err != nil {
		writeError(w, wire.Errorf(wire.Internal, "snapshot: %v", err))
		return
	}
	s.log.Info("sending a backup to a client", "bytes", total, "remote", r.RemoteAddr)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(src.encode(pw)) }()
	// Closing the reader stops the encoder when the client goes away.
	defer pr.Close()

	hd := w.Header()
	hd["Content-Type"] = []string{"application/json"}
	hd["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
	rc := http.NewResponseController(w)
	send := func(m *wire.SnapshotResponse) error {
		if _, err := w.Write(wire.AppendStreamResult(nil, m)); err != nil {
			return err
		}
		return rc.Flush()
	}
	fail := func(err error) {
		s.log.Warn("backup stream failed", "err", err, "remote", r.RemoteAddr)
		w.Write(wire.AppendStreamError(nil, wire.Errorf(wire.Internal, "snapshot: %v", err)))
	}

	digest := sha256.New()
	buf := make([]byte, snapshotChunkBytes)
	for sent := int64(0); sent < total; {
		n, err := io.ReadFull(pr, buf[:min(int64(len(buf)), total-sent)])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			fail(fmt.Errorf("the state encoded to fewer bytes than the %d measured", total))
			return
		} else if err != nil {
			fail(err)
			return
		}
		sent += int64(n)
		digest.Write(buf[:n])
		if err := send(&wire.SnapshotResponse{RemainingBytes: uint64(total - sent), Blob: buf[:n], Version: Version}); err != nil {
			return // the client went away
		}
	}
	// The digest vouches for exactly the bytes sent: if the encoding went
	// on past the measured size, the client must not get a digest for the
	// part it received and take it for the whole.
	if n, err := pr.Read(buf[:1]); n > 0 {
		fail(fmt.Errorf("the state encoded to more bytes than the %d measured", total))
		return
	} else if !errors.Is(err, io.EOF) {
		fail(err)
		return
	}
	send(&wire.SnapshotResponse{Blob: digest.Sum(nil), Version: Version})
}

// captureBackup takes the state to back up on the member's goroutine,
// between two steps of the loop: the membership and the store it freezes
// are those of the same applied index. Freezing is cheap (kv.Store.Freeze);
// the encoding happens afterwards, on the handler's goroutine, while the
// member goes on.
func (s *Server) captureBackup(ctx context.Context) (*backupSource, *wire.Error) {
	ch := make(chan *backupSource, 1)
	if err := s.do(ctx, func(m *Member) { ch <- &backupSource{members: m.cluster.clone(), store: m.store.Freeze()} }); err != nil {
		return nil, contextError(err)
	}
	select {
	case src := <-ch:
		return src, nil
	case <-ctx.Done():
		return nil, contextError(ctx.Err())
	case <-s.done:
		return nil, contextError(ErrStopped)
	}
}
