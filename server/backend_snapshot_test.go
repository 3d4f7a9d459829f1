package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/kv"
)

// The snapshot stream, as a client of etcd's gateway reads it: chunks of
// at most 32 KiB whose remaining_bytes (a string, as 64-bit integers are)
// count down to 0 on the last, and then one more message with the SHA-256
// of all of them. The data is the member's whole state at one revision. It
// used to be one 1 MiB chunk with nothing remaining, whatever the size.
func TestLive_SnapshotStreamCountsDownAndEndsWithItsDigest(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	value := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("0123456789abcdef"), 900<<10/16))
	for i := range 3 {
		key := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "big/%d", i))
		if code, body := c.post(0, "/v3/kv/put", `{"key":"`+key+`","value":"`+value+`"}`); code != http.StatusOK {
			t.Fatalf("put: %d %s", code, body)
		}
	}

	resp, err := http.Post(c.url(0)+"/v3/maintenance/snapshot", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	type chunk struct {
		Remaining *string `json:"remaining_bytes"`
		Blob      []byte  `json:"blob"`
		Version   string  `json:"version"`
	}
	var chunks []chunk
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20) // room for a chunk far larger than 32 KiB, to say what is wrong with it
	for sc.Scan() {
		var msg struct{ Result map[string]json.RawMessage }
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.Result == nil {
			t.Fatalf("message %d is not a result: %.200s (%v)", len(chunks), sc.Text(), err)
		}
		if _, ok := msg.Result["header"]; ok {
			t.Fatalf("message %d has a header; etcd's have none", len(chunks))
		}
		var ch chunk
		if err := json.Unmarshal(sc.Bytes(), &struct{ Result *chunk }{&ch}); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, ch)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 {
		t.Fatalf("%d messages", len(chunks))
	}

	data, last := chunks[:len(chunks)-1], chunks[len(chunks)-1]
	var payload []byte
	remaining := -1
	for i, ch := range data {
		left := 0
		if ch.Remaining != nil {
			if left, err = strconv.Atoi(*ch.Remaining); err != nil || left == 0 {
				t.Fatalf("chunk %d: remaining_bytes %q (a zero is left out)", i, *ch.Remaining)
			}
		}
		if i > 0 && left != remaining-len(ch.Blob) {
			t.Fatalf("chunk %d: %d bytes, remaining %d after %d", i, len(ch.Blob), left, remaining)
		}
		if len(ch.Blob) == 0 || len(ch.Blob) > 32<<10 || ch.Version != StorageVersion {
			t.Fatalf("chunk %d: %d bytes, version %q", i, len(ch.Blob), ch.Version)
		}
		if (left == 0) != (i == len(data)-1) {
			t.Fatalf("chunk %d of %d says %d remain", i, len(data), left)
		}
		remaining = left
		payload = append(payload, ch.Blob...)
	}
	if len(payload) < 2<<20 {
		t.Fatalf("the stream carried %d bytes of a store of more than 2.5 MiB", len(payload))
	}
	if sum := sha256.Sum256(payload); last.Remaining != nil || !bytes.Equal(last.Blob, sum[:]) {
		t.Fatalf("the last message is not the digest of the data: %+v", last)
	}

	store := kv.New(kv.Config{})
	if _, err := readSnapshotPayload(bytes.NewReader(payload), store); err != nil {
		t.Fatal(err)
	}
	if got, want := store.Hash(), c.servers[0].member.Store().Hash(); got != want {
		t.Fatalf("the backup's store %+v, the member's %+v", got, want)
	}
}
