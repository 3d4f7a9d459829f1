package v3http

import (
	"context"

	"github.com/raftkv/raftkv/client/wire"
)

func (h *Handler) rpcMemberList(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.MemberListRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	members, hdr, err := h.backend.MemberList(ctx, req.Linearizable)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.MemberListResponse{Header: toWireHeader(hdr), Members: toWireMembers(members)}, nil
}

func (h *Handler) rpcMemberAdd(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.MemberAddRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	added, members, hdr, err := h.backend.MemberAdd(ctx, req.PeerURLs, req.IsLearner)
	if err != nil {
		return nil, asError(err)
	}
	m := toWireMember(added)
	return &wire.MemberAddResponse{Header: toWireHeader(hdr), Member: &m, Members: toWireMembers(members)}, nil
}

func (h *Handler) rpcMemberRemove(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.MemberIDRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	members, hdr, err := h.backend.MemberRemove(ctx, req.ID)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.MemberListResponse{Header: toWireHeader(hdr), Members: toWireMembers(members)}, nil
}

func (h *Handler) rpcMemberUpdate(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.MemberUpdateRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	members, hdr, err := h.backend.MemberUpdate(ctx, req.ID, req.PeerURLs)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.MemberUpdateResponse{Header: toWireHeader(hdr), Members: toWireMembers(members)}, nil
}

func (h *Handler) rpcMemberPromote(ctx context.Context, body []byte) (answer, *wire.Error) {
	var req wire.MemberIDRequest
	if err := h.decodeRequest(body, &req); err != nil {
		return nil, err
	}
	members, hdr, err := h.backend.MemberPromote(ctx, req.ID)
	if err != nil {
		return nil, asError(err)
	}
	return &wire.MemberListResponse{Header: toWireHeader(hdr), Members: toWireMembers(members)}, nil
}
