package client

import (
	"context"

	"github.com/raftkv/raftkv/client/wire"
)

// MemberList lists the cluster's members. It is linearizable (it reflects
// every membership change committed before it) unless WithSerializable.
func (c *Client) MemberList(ctx context.Context, opts ...OpOption) (*MemberListResponse, error) {
	var op Op
	op.apply(opts)
	resp := new(MemberListResponse)
	if err := c.call(ctx, "/v3/cluster/member/list", &wire.MemberListRequest{Linearizable: !op.serializable}, resp, safeToRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// MemberAdd adds a member with these peer URLs, as a learner (a non-voting
// member that catches up before it is promoted) if learner is set.
func (c *Client) MemberAdd(ctx context.Context, peerURLs []string, learner bool) (*MemberAddResponse, error) {
	resp := new(MemberAddResponse)
	if err := c.call(ctx, "/v3/cluster/member/add", &wire.MemberAddRequest{PeerURLs: peerURLs, IsLearner: learner}, resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// MemberRemove removes a member.
func (c *Client) MemberRemove(ctx context.Context, id uint64) (*MemberRemoveResponse, error) {
	return c.memberCall(ctx, "/v3/cluster/member/remove", &wire.MemberRemoveRequest{ID: id})
}

// MemberPromote makes a learner a voting member.
func (c *Client) MemberPromote(ctx context.Context, id uint64) (*MemberPromoteResponse, error) {
	return c.memberCall(ctx, "/v3/cluster/member/promote", &wire.MemberPromoteRequest{ID: id})
}

// MemberUpdate changes a member's peer URLs.
func (c *Client) MemberUpdate(ctx context.Context, id uint64, peerURLs []string) (*MemberUpdateResponse, error) {
	return c.memberCall(ctx, "/v3/cluster/member/update", &wire.MemberUpdateRequest{ID: id, PeerURLs: peerURLs})
}

func (c *Client) memberCall(ctx context.Context, path string, req wire.Message) (*MemberListResponse, error) {
	resp := new(MemberListResponse)
	if err := c.call(ctx, path, req, resp, mustNotRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}
