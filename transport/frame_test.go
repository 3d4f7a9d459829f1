package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/raftkv/raftkv/raft"
)

func TestFramesRoundTrip(t *testing.T) {
	msgs := []raft.Message{app(1, 2, 5, 300), heartbeat(1, 2, 7), app(1, 2, 6, 40<<10), {Type: raft.MsgVoteResp, From: 1, To: 2, Reject: true}}
	var b []byte
	for i := range msgs {
		var err error
		if b, err = appendMessageFrame(b, &msgs[i], 1<<20); err != nil {
			t.Fatal(err)
		}
		b = appendPingFrame(b, framePing, uint64(i))
	}
	fr := newFrameReader(bufio.NewReader(bytes.NewReader(b)), 1<<20)
	var got []raft.Message
	total := 0
	for {
		typ, payload, n, err := fr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total += n
		switch typ {
		case frameMsg:
			var m raft.Message
			if err := m.UnmarshalBinary(payload); err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
		case framePing:
			if stamp := binary.BigEndian.Uint64(payload); stamp != uint64(len(got)-1) {
				t.Fatalf("ping %d after message %d", stamp, len(got)-1)
			}
		default:
			t.Fatalf("frame type %d", typ)
		}
	}
	if total != len(b) {
		t.Fatalf("frames account for %d bytes of %d", total, len(b))
	}
	if diff := cmp.Diff(msgs, got, bytesEqual); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestOversizeMessageIsNotEncoded(t *testing.T) {
	m := app(1, 2, 1, 2000)
	prefix := []byte("keep")
	b, err := appendMessageFrame(prefix, &m, 1000)
	if err == nil || !bytes.Equal(b, prefix) {
		t.Fatalf("appendMessageFrame over the limit = %q, %v; want the input back and an error", b, err)
	}
}

// Decoded messages alias their payload, so payloads must never share
// memory: writing to one, or appending to it, must leave the others alone.
func TestSlabPayloadsDoNotOverlap(t *testing.T) {
	var s slab
	var bufs [][]byte
	for i := range 3000 { // several blocks' worth
		b := s.alloc(1 + i%100)
		for j := range b {
			b[j] = byte(i)
		}
		bufs = append(bufs, b)
	}
	_ = append(bufs[0], 0xee) // must reallocate, not overwrite bufs[1]
	for i, b := range bufs {
		for _, c := range b {
			if c != byte(i) {
				t.Fatalf("payload %d was overwritten", i)
			}
		}
	}
	if big := s.alloc(slabBlock); len(big) != slabBlock {
		t.Fatalf("large allocation of %d bytes", len(big))
	}
}

// FuzzFrameReader feeds arbitrary bytes to the receiving side of a stream:
// it must never panic, never hand out a payload over the limit, and every
// message it yields must decode or fail cleanly. The seeds run with plain
// go test.
func FuzzFrameReader(f *testing.F) {
	good, _ := appendMessageFrame(nil, ptr(app(1, 2, 3, 50)), 1<<20)
	good = appendPingFrame(good, framePing, 42)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, frameMsg})
	f.Add([]byte{0, 0, 0, 3, framePong, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 7})
	f.Add(frameBytes(frameMsg, []byte{1, 3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 15}))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 4096
		fr := newFrameReader(bufio.NewReader(bytes.NewReader(data)), limit)
		for {
			typ, payload, n, err := fr.next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, errFrame) {
					t.Fatalf("error neither EOF nor errFrame: %v", err)
				}
				return
			}
			if len(payload) > limit || n != frameHeaderLen+len(payload) {
				t.Fatalf("payload of %d bytes (%d on the wire) with limit %d", len(payload), n, limit)
			}
			if typ == frameMsg {
				var m raft.Message
				if m.UnmarshalBinary(payload) == nil {
					// What decoded must encode to the same bytes' meaning.
					again, err := appendMessageFrame(nil, &m, 1<<20)
					if err != nil {
						t.Fatal(err)
					}
					var m2 raft.Message
					if err := m2.UnmarshalBinary(again[frameHeaderLen:]); err != nil {
						t.Fatalf("re-encoded message does not decode: %v", err)
					}
				}
			}
		}
	})
}

// FuzzSnapshotBody feeds arbitrary bodies to the snapshot receiver.
func FuzzSnapshotBody(f *testing.F) {
	body := encodeSnapshotBody(f, snapshotMsg(1, 2, 300))
	f.Add(body)
	f.Add(body[:len(body)-1])
	f.Add(body[:20])
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := snapshotLimits{maxHeader: 1024, maxData: 4096, chunk: 100}
		m, err := readSnapshot(bytes.NewReader(data), lim, func() error { return nil })
		if err != nil {
			return
		}
		if m.Type != raft.MsgSnap || m.Snapshot == nil || len(m.Snapshot.Data) > 4096 {
			t.Fatalf("accepted %s with %v", m.Type, m.Snapshot)
		}
	})
}

func ptr[T any](v T) *T { return &v }
