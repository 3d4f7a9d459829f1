package raft

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

func genBytes() *rapid.Generator[[]byte] {
	return rapid.OneOf(rapid.Just[[]byte](nil), rapid.SliceOfN(rapid.Byte(), 1, 64))
}

func genEntry() *rapid.Generator[Entry] {
	return rapid.Custom(func(t *rapid.T) Entry {
		return Entry{
			Term:  rapid.Uint64().Draw(t, "term"),
			Index: rapid.Uint64().Draw(t, "index"),
			Type:  EntryType(rapid.IntRange(0, 1).Draw(t, "type")),
			Data:  genBytes().Draw(t, "data"),
		}
	})
}

func genIDs() *rapid.Generator[[]uint64] {
	return rapid.OneOf(rapid.Just[[]uint64](nil), rapid.SliceOfN(rapid.Uint64(), 1, 7))
}

func genMessage() *rapid.Generator[Message] {
	return rapid.Custom(func(t *rapid.T) Message {
		m := Message{
			Type:       MessageType(rapid.IntRange(0, int(numMessageTypes)-1).Draw(t, "type")),
			From:       rapid.Uint64().Draw(t, "from"),
			To:         rapid.Uint64().Draw(t, "to"),
			Term:       rapid.Uint64().Draw(t, "term"),
			LogTerm:    rapid.Uint64().Draw(t, "logterm"),
			Index:      rapid.Uint64().Draw(t, "index"),
			Commit:     rapid.Uint64().Draw(t, "commit"),
			Reject:     rapid.Bool().Draw(t, "reject"),
			RejectHint: rapid.Uint64().Draw(t, "hint"),
			ReadRound:  rapid.Uint64().Draw(t, "round"),
			Context:    genBytes().Draw(t, "ctx"),
		}
		if n := rapid.IntRange(0, 5).Draw(t, "n"); n > 0 {
			m.Entries = rapid.SliceOfN(genEntry(), n, n).Draw(t, "entries")
		}
		if rapid.Bool().Draw(t, "hasSnap") {
			m.Snapshot = &Snapshot{
				Meta: SnapshotMeta{
					Index:     rapid.Uint64().Draw(t, "si"),
					Term:      rapid.Uint64().Draw(t, "st"),
					ConfState: ConfState{Voters: genIDs().Draw(t, "voters"), Learners: genIDs().Draw(t, "learners")},
				},
				Data: genBytes().Draw(t, "sdata"),
			}
		}
		return m
	})
}

func TestCodec_MessageRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage().Draw(t, "msg")
		b, _ := m.AppendBinary(nil)
		var got Message
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

func TestCodec_EntryHardStateConfChangeRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genEntry().Draw(t, "entry")
		b, _ := e.AppendBinary(nil)
		var e2 Entry
		if err := e2.UnmarshalBinary(b); err != nil || !cmp.Equal(e, e2) {
			t.Fatalf("entry round trip: %v %v %v", err, e, e2)
		}
		h := HardState{Term: rapid.Uint64().Draw(t, "t"), Vote: rapid.Uint64().Draw(t, "v"), Commit: rapid.Uint64().Draw(t, "c")}
		b, _ = h.AppendBinary(nil)
		var h2 HardState
		if err := h2.UnmarshalBinary(b); err != nil || h != h2 {
			t.Fatalf("hard state round trip: %v %v %v", err, h, h2)
		}
		cc := ConfChange{Type: ConfChangeType(rapid.IntRange(0, 2).Draw(t, "cct")), NodeID: rapid.Uint64().Draw(t, "id"), Context: genBytes().Draw(t, "cctx")}
		b, _ = cc.AppendBinary(nil)
		var cc2 ConfChange
		if err := cc2.UnmarshalBinary(b); err != nil || !cmp.Equal(cc, cc2) {
			t.Fatalf("conf change round trip: %v %v %v", err, cc, cc2)
		}
		sm := SnapshotMeta{Index: rapid.Uint64().Draw(t, "si"), Term: rapid.Uint64().Draw(t, "st"),
			ConfState: ConfState{Voters: genIDs().Draw(t, "v"), Learners: genIDs().Draw(t, "l")}}
		b, _ = sm.AppendBinary(nil)
		var sm2 SnapshotMeta
		if err := sm2.UnmarshalBinary(b); err != nil || !cmp.Equal(sm, sm2, cmpopts.EquateEmpty()) {
			t.Fatalf("snapshot meta round trip: %v %v %v", err, sm, sm2)
		}
	})
}

func TestCodec_RejectsDamage(t *testing.T) {
	m := Message{Type: MsgApp, From: 1, To: 2, Term: 3, Entries: []Entry{{Term: 3, Index: 4, Data: []byte("hello")}}}
	b, _ := m.AppendBinary(nil)
	cases := map[string][]byte{
		"empty":           nil,
		"unknown version": append([]byte{99}, b[1:]...),
		"truncated":       b[:len(b)-2],
		"trailing bytes":  append(bytes.Clone(b), 0),
		"unknown type":    append([]byte{codecVersion, byte(numMessageTypes)}, b[2:]...),
		"huge count":      {codecVersion, byte(MsgApp), 1, 2, 3, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, in := range cases {
		var got Message
		if err := got.UnmarshalBinary(in); !errors.Is(err, ErrCodec) {
			t.Errorf("%s: got err %v, want ErrCodec", name, err)
		}
	}
}

// FuzzMessageDecode proves the message decoder never panics on arbitrary bytes
// and that whatever it accepts re-encodes to the same bytes.
func FuzzMessageDecode(f *testing.F) {
	seeds := []Message{
		{Type: MsgApp, From: 1, To: 2, Term: 3, Index: 4, LogTerm: 2, Commit: 4, Entries: []Entry{{Term: 3, Index: 5, Data: []byte("x")}}},
		{Type: MsgVoteResp, From: 2, To: 1, Term: 9, Reject: true},
		{Type: MsgSnap, From: 1, To: 3, Term: 2, Snapshot: &Snapshot{Meta: SnapshotMeta{Index: 10, Term: 2, ConfState: ConfState{Voters: []uint64{1, 2, 3}}}, Data: []byte("state")}},
		{Type: MsgHeartbeat, From: 1, To: 2, Term: 5, Commit: 7, ReadRound: 3},
	}
	for _, m := range seeds {
		b, _ := m.AppendBinary(nil)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		again, _ := m.AppendBinary(nil)
		var m2 Message
		if err := m2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-decode failed: %v", err)
		}
		if !cmp.Equal(m, m2) {
			t.Fatalf("decode(encode(m)) != m:\n%v\n%v", m, m2)
		}
	})
}

// FuzzEntryDecode does the same for the entry encoding the WAL stores.
func FuzzEntryDecode(f *testing.F) {
	e := Entry{Term: 1, Index: 2, Type: EntryConfChange, Data: []byte("cc")}
	b, _ := e.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entry
		if err := e.UnmarshalBinary(b); err != nil {
			return
		}
		again, _ := e.AppendBinary(nil)
		var e2 Entry
		if err := e2.UnmarshalBinary(again); err != nil || !cmp.Equal(e, e2) {
			t.Fatalf("entry re-decode: %v", err)
		}
	})
}
