package v3http

import (
	"context"
	"io"
	"net/http"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

func (h *Handler) rpcStatus(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.Empty
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	st, err := h.backend.Status(ctx)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.StatusResponse{
		Header:           toWireHeader(st.Header),
		Version:          st.Version,
		DbSize:           st.DBSize,
		Leader:           st.Leader,
		RaftIndex:        st.RaftIndex,
		RaftTerm:         st.RaftTerm,
		RaftAppliedIndex: st.RaftAppliedIndex,
		Errors:           st.Errors,
		DbSizeInUse:      st.DBSizeInUse,
		IsLearner:        st.IsLearner,
		StorageVersion:   st.StorageVersion,
		DbSizeQuota:      st.DBSizeQuota,
		DowngradeInfo:    &wire.DowngradeInfo{},
	}, nil
}

func (h *Handler) rpcAlarm(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.AlarmRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	alarms, hdr, err := h.backend.Alarm(ctx, api.AlarmRequest{Action: api.AlarmAction(req.Action), MemberID: req.MemberID, Alarm: api.AlarmType(req.Alarm)})
	if err != nil {
		return nil, asError(err)
	}
	out := &wire.AlarmResponse{Header: toWireHeader(hdr)}
	for _, a := range alarms {
		out.Alarms = append(out.Alarms, wire.AlarmMember{MemberID: a.MemberID, Alarm: wire.AlarmType(a.Alarm)})
	}
	return out, nil
}

func (h *Handler) rpcHash(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.Empty
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	hash, hdr, err := h.backend.Hash(ctx)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.HashResponse{Header: toWireHeader(hdr), Hash: hash}, nil
}

func (h *Handler) rpcHashKV(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.HashKVRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	hk, hdr, err := h.backend.HashKV(ctx, req.Revision)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.HashKVResponse{Header: toWireHeader(hdr), Hash: hk.Hash, CompactRevision: hk.CompactRevision, HashRevision: hk.HashRevision}, nil
}

func (h *Handler) rpcDefragment(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.Empty
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	hdr, err := h.backend.Defragment(ctx)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.HeaderOnly{Header: toWireHeader(hdr)}, nil
}

func (h *Handler) rpcMoveLeader(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.MoveLeaderRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	hdr, err := h.backend.MoveLeader(ctx, req.TargetID)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.MoveLeaderResponse{Header: toWireHeader(hdr)}, nil
}

// serveSnapshot streams a backup as etcd's gateway does: a series of
// {"result":{"remaining_bytes":...,"blob":...,"version":...}} chunks, the
// last of which holds the SHA-256 of the others.
func (h *Handler) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	snap, err := h.backend.Snapshot(r.Context())
	if err != nil {
		writeError(w, asError(err))
		return
	}
	defer snap.Close()
	w.Header()["Content-Type"] = []string{"application/json"}
	w.Header()["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
	rc := http.NewResponseController(w)
	var buf []byte
	started := false
	for {
		chunk, remaining, err := snap.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !started {
				writeError(w, asError(err))
			} else {
				w.Write(wire.AppendStreamError(nil, asError(err)))
			}
			return
		}
		started = true
		buf = wire.AppendStreamResult(buf[:0], &wire.SnapshotResponse{RemainingBytes: uint64(remaining), Blob: chunk, Version: snap.Version()})
		if _, err := w.Write(buf); err != nil {
			return
		}
		rc.Flush()
	}
}
