package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

func (s *Server) rpcStatus(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.Empty
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	v := s.view.Load()
	size := s.dbSize()
	return &wire.StatusResponse{
		Header:           s.header(s.member.Store().Rev()),
		Version:          Version,
		DbSize:           size,
		Leader:           v.Lead,
		RaftIndex:        v.LastIndex,
		RaftTerm:         v.Term,
		RaftAppliedIndex: v.Applied,
		DbSizeInUse:      size,
		IsLearner:        v.IsLearner,
		Errors:           alarmStrings(v.Alarms),
		StorageVersion:   Version,
		DowngradeInfo:    &wire.DowngradeInfo{},
	}, nil
}

// dbSize is the size of the state as a snapshot would write it: raftkv
// keeps its state in memory, and this is what it would take on disk.
// Measuring it means encoding the whole store, so a measure is reused while
// the store has not changed, or for sizeMaxAge under writes: endpoint
// status (and member list, which asks it who leads) must not cost a pass
// over a large store each time.
func (s *Server) dbSize() int64 {
	store := s.member.Store()
	// A compaction shrinks the store without a new revision.
	rev, now := [2]int64{store.Rev(), store.CompactRevision()}, time.Now()
	s.size.mu.Lock()
	defer s.size.mu.Unlock()
	c := &s.size
	if c.measured.IsZero() || (rev != c.rev && now.Sub(c.measured) >= sizeMaxAge) {
		var n countingWriter
		_ = store.Snapshot(&n)
		c.bytes, c.rev, c.measured = int64(n), rev, now
	}
	return c.bytes
}

// sizeMaxAge bounds how stale a reported size may be while writes go on.
const sizeMaxAge = 5 * time.Second

type sizeCache struct {
	mu       sync.Mutex
	bytes    int64
	rev      [2]int64 // revision and compaction revision measured at
	measured time.Time
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// alarmStrings are etcd's words for alarms in a status response.
func alarmStrings(as []wire.AlarmMember) []string {
	var out []string
	for _, a := range as {
		out = append(out, fmt.Sprintf("memberID:%d alarm:%s ", a.MemberID, a.Alarm))
	}
	return out
}

func (s *Server) rpcAlarm(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.AlarmRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Action == wire.AlarmGet {
		return &wire.AlarmResponse{Header: s.header(s.member.Store().Rev()), Alarms: s.view.Load().Alarms}, nil
	}
	if req.Action != wire.AlarmActivate && req.Action != wire.AlarmDeactivate {
		return nil, wire.Errorf(wire.InvalidArgument, "etcdserver: unknown alarm action %d", req.Action)
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) {
		m.Alarm(req.Action, req.MemberID, req.Alarm, deadline, done)
	})
	if err != nil {
		return nil, err
	}
	return &wire.AlarmResponse{Header: toWireHeader(r.Header, 0), Alarms: r.Alarms}, nil
}

func (s *Server) rpcHash(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.Empty
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	h := s.member.Store().Hash()
	return &wire.HashResponse{Header: s.header(h.Revision), Hash: h.Hash}, nil
}

func (s *Server) rpcHashKV(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.HashKVRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	resp, werr := s.hashKV(req.Revision)
	if werr != nil {
		return nil, werr
	}
	return resp, nil
}

// hashKV is HashKV for clients and, on the peer URL, for the corruption
// check (corrupt.go): the hash of the key history as of rev (0: now), with
// etcd's errors for a compacted or future revision.
func (s *Server) hashKV(rev int64) (*wire.HashKVResponse, *wire.Error) {
	h, cur, err := s.member.Store().HashKV(rev)
	if err != nil {
		return nil, toError(err)
	}
	return &wire.HashKVResponse{Header: s.header(cur), Hash: h.Hash, CompactRevision: h.CompactRevision, HashRevision: h.Revision}, nil
}

func (s *Server) rpcDefragment(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.Empty
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	// Nothing to defragment: the state lives in memory.
	return &wire.HeaderOnly{Header: s.header(s.member.Store().Rev())}, nil
}

// rpcMoveLeader hands leadership to another voting member and answers once
// it leads. Only the leader takes it, as in etcd (etcdctl move-leader finds
// the leader among its endpoints).
func (s *Server) rpcMoveLeader(ctx context.Context, body []byte) (wire.Message, *wire.Error) {
	var req wire.MoveLeaderRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	ch := make(chan error, 1)
	deadline := time.Now().Add(s.requestTimeout())
	if err := s.do(ctx, func(m *Member) { m.MoveLeader(req.TargetID, deadline, func(err error) { ch <- err }) }); err != nil {
		return nil, contextError(err)
	}
	select {
	case err := <-ch:
		if err != nil {
			return nil, toError(err)
		}
		return &wire.MoveLeaderResponse{Header: s.header(s.member.Store().Rev())}, nil
	case <-ctx.Done():
		return nil, contextError(ctx.Err())
	}
}

// serveSnapshot streams the member's state as etcd's gateway does: a series
// of {"result":{"blob":...,"remaining_bytes":...}} chunks. The blob is a
// raftkv snapshot payload (membership + key-value store).
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	pr, pw := io.Pipe()
	go func() {
		c := s.view.Load()
		cl := newCluster(c.ClusterID)
		for _, m := range c.Members {
			info := m
			cl.Members[m.ID] = &info
		}
		pw.CloseWithError(writeSnapshotPayload(pw, cl, s.member.Store().Snapshot))
	}()
	defer pr.Close()
	w.Header()["Content-Type"] = []string{"application/json"}
	rc := http.NewResponseController(w)
	buf := make([]byte, 1<<20)
	for {
		n, err := io.ReadFull(pr, buf)
		if n > 0 {
			w.Write(wire.AppendStreamResult(nil, &wire.SnapshotResponse{Header: s.header(s.member.Store().Rev()), Blob: buf[:n], Version: Version}))
			rc.Flush()
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			w.Write(wire.AppendStreamError(nil, wire.Errorf(wire.Internal, "snapshot: %v", err)))
			return
		}
	}
}
