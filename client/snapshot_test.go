package client

import (
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/client/wire"
)

// The snapshot reader gives back the backup only when the stream is whole:
// every byte its first message announced, then the SHA-256 of them. A
// stream cut short used to read as a whole backup of its first chunk.
func TestSnapshotReader(t *testing.T) {
	data := chunk(6, "hello ") + chunk(0, "world!")
	sum := sha256.Sum256([]byte("hello world!"))
	digest := chunk(0, string(sum[:]))
	for _, tc := range []struct {
		name   string
		stream string
		want   string // the error Read ends with; "" for a clean EOF
	}{
		{"Whole", data + digest, ""},
		{"CutAfterTheFirstChunk", chunk(6, "hello "), "snapshot stream ended early: 6 bytes came, 6 more were announced"},
		{"Empty", "", "snapshot stream ended early: no data came"},
		{"NoDigest", data, "snapshot stream ended early: 12 bytes came, but not their sha256 digest"},
		{"WrongDigest", data + chunk(0, strings.Repeat("x", 32)), "snapshot sha256 mismatch"},
		{"ShortDigest", data + chunk(0, string(sum[:31])), "snapshot sha256 mismatch"},
		{"ChunkDisagreesWithTheCount", chunk(7, "hello ") + chunk(0, "world!") + digest, "snapshot stream inconsistent"},
		{"ChunkLongerThanAnnounced", chunk(2, "hello ") + chunk(0, "world!") + digest, "snapshot stream inconsistent"},
		// A member that never said what remains: its first chunk reads as
		// the last, and the second is no digest.
		{"NoRemainingBytes", chunk(0, "hello ") + chunk(0, "world!") + digest, "snapshot sha256 mismatch"},
		{"MoreAfterTheDigest", data + digest + chunk(0, "!"), "snapshot stream goes on after its sha256 digest"},
		{"ServerError", chunk(6, "hello ") + string(wire.AppendStreamError(nil, wire.Errorf(wire.Internal, "snapshot: disk on fire"))), "disk on fire"},
		{"CutInsideAMessage", data + digest[:len(digest)/2], "snapshot stream broken after 12 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tc.stream)
			}))
			defer srv.Close()
			rc, err := newClient(t, srv.URL).Snapshot(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := readInSmallPieces(rc)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("read error %v", err)
			case tc.want == "" && got != "hello world!"+string(sum[:]):
				t.Fatalf("read %q, want the data and its digest", got)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("read %q, then error %v; want an error saying %q", got, err, tc.want)
			}
		})
	}
}

func chunk(remaining uint64, blob string) string {
	return string(wire.AppendStreamResult(nil, &wire.SnapshotResponse{RemainingBytes: remaining, Blob: []byte(blob), Version: "0.1.0"}))
}

// readInSmallPieces reads r to its end, 5 bytes at a time, and returns
// what it read and the error that ended it (nil for io.EOF).
func readInSmallPieces(r io.Reader) (string, error) {
	var sb strings.Builder
	buf := make([]byte, 5)
	for {
		n, err := r.Read(buf)
		sb.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			return sb.String(), nil
		}
		if err != nil {
			return sb.String(), err
		}
	}
}
