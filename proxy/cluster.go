package proxy

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// The Cluster service. A client that asks a proxy for the members is told,
// as etcd's grpc-proxy tells it, where the proxies are: the proxies
// registered under --resolver-prefix, or this one alone — so that a client
// that keeps its endpoints in step with member list (clientv3's auto-sync)
// stays with the proxies instead of wandering off to the members. Without
// --advertise-client-url there is no address to give, and the question
// goes to the cluster. Membership changes are always the cluster's.

func (p *Proxy) MemberList(ctx context.Context, linearizable bool) ([]api.Member, api.Header, error) {
	if p.cfg.AdvertiseClientURL != "" {
		if ms := p.fleet.members(); len(ms) > 0 {
			return ms, api.Header{}, nil
		}
		return []api.Member{{Name: p.fleet.name, ClientURLs: []string{p.cfg.AdvertiseClientURL}}}, api.Header{}, nil
	}
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	var out *pb.MemberListResponse
	err := repeat(ctx, func() (err error) {
		out, err = p.up.cluster.MemberList(outgoing(ctx), &pb.MemberListRequest{Linearizable: linearizable})
		return fromGRPC(err)
	})
	if err != nil {
		return nil, api.Header{}, err
	}
	return toMembers(out.Members), pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) MemberAdd(ctx context.Context, peerURLs []string, learner bool) (api.Member, []api.Member, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.cluster.MemberAdd(outgoing(ctx), &pb.MemberAddRequest{PeerURLs: peerURLs, IsLearner: learner})
	if err != nil {
		return api.Member{}, nil, api.Header{}, fromGRPC(err)
	}
	var added api.Member
	if out.Member != nil {
		added = toMember(out.Member)
	}
	return added, toMembers(out.Members), pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) MemberRemove(ctx context.Context, id uint64) ([]api.Member, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.cluster.MemberRemove(outgoing(ctx), &pb.MemberRemoveRequest{ID: id})
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	return toMembers(out.Members), pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) MemberUpdate(ctx context.Context, id uint64, peerURLs []string) ([]api.Member, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.cluster.MemberUpdate(outgoing(ctx), &pb.MemberUpdateRequest{ID: id, PeerURLs: peerURLs})
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	return toMembers(out.Members), pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) MemberPromote(ctx context.Context, id uint64) ([]api.Member, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.cluster.MemberPromote(outgoing(ctx), &pb.MemberPromoteRequest{ID: id})
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	return toMembers(out.Members), pbconv.FromHeader(out.Header), nil
}

func toMember(m *pb.Member) api.Member {
	return api.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, IsLearner: m.IsLearner}
}

func toMembers(ms []*pb.Member) []api.Member {
	out := make([]api.Member, len(ms))
	for i, m := range ms {
		out[i] = toMember(m)
	}
	return out
}
