package proxy

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
	"github.com/raftkv/raftkv/server/pbconv"
)

// The Lease service. Leases are the cluster's, shared by every namespace;
// only the keys a lease lists are filtered to the client's namespace.
// Renewals travel together (lease_keepalive.go).

func (p *Proxy) LeaseGrant(ctx context.Context, req *kv.LeaseGrantRequest) (*kv.LeaseGrantResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.lease.LeaseGrant(outgoing(ctx), &pb.LeaseGrantRequest{TTL: req.TTL, ID: req.ID})
	if err != nil {
		return nil, api.Header{}, fromGRPC(err)
	}
	h := pbconv.FromHeader(out.Header)
	return &kv.LeaseGrantResponse{Header: kv.ResponseHeader{Revision: h.Revision}, ID: out.ID, TTL: out.TTL}, h, nil
}

func (p *Proxy) LeaseRevoke(ctx context.Context, id int64) (api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	out, err := p.up.lease.LeaseRevoke(outgoing(ctx), &pb.LeaseRevokeRequest{ID: id})
	if err != nil {
		return api.Header{}, fromGRPC(err)
	}
	return pbconv.FromHeader(out.Header), nil
}

func (p *Proxy) LeaseTimeToLive(ctx context.Context, req *kv.LeaseTimeToLiveRequest) (*kv.LeaseTimeToLiveResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	var out *pb.LeaseTimeToLiveResponse
	err := repeat(ctx, func() (err error) {
		out, err = p.up.lease.LeaseTimeToLive(outgoing(ctx), &pb.LeaseTimeToLiveRequest{ID: req.ID, Keys: req.Keys})
		return fromGRPC(err)
	})
	if err != nil {
		return nil, api.Header{}, err
	}
	h := pbconv.FromHeader(out.Header)
	return &kv.LeaseTimeToLiveResponse{
		Header: kv.ResponseHeader{Revision: h.Revision}, ID: out.ID, TTL: out.TTL, GrantedTTL: out.GrantedTTL, Keys: p.ns.leaseKeys(out.Keys),
	}, h, nil
}

func (p *Proxy) LeaseLeases(ctx context.Context) (*kv.LeaseLeasesResponse, api.Header, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	var out *pb.LeaseLeasesResponse
	err := repeat(ctx, func() (err error) {
		out, err = p.up.lease.LeaseLeases(outgoing(ctx), &pb.LeaseLeasesRequest{})
		return fromGRPC(err)
	})
	if err != nil {
		return nil, api.Header{}, err
	}
	h := pbconv.FromHeader(out.Header)
	resp := &kv.LeaseLeasesResponse{Header: kv.ResponseHeader{Revision: h.Revision}}
	for _, l := range out.Leases {
		resp.Leases = append(resp.Leases, kv.LeaseStatus{ID: l.ID})
	}
	return resp, h, nil
}

// LeaseKeepAlive renews a lease, together with every other renewal the
// proxy's clients ask for (lease_keepalive.go).
func (p *Proxy) LeaseKeepAlive(ctx context.Context, id int64) (*kv.LeaseKeepAliveResponse, api.Header, error) {
	return p.leases.renew(ctx, id)
}
