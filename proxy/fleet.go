package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftkv/raftkv/kv"
	"github.com/raftkv/raftkv/server/api"
)

// fleet is --resolver-prefix: the proxies of one cluster find each other
// through the cluster itself. Each registers its address under the prefix
// — ResolverPrefix+"/"+address, holding etcd's endpoint record
// ({"Op":0,"Addr":...,"Metadata":"{\"name\":...}"}, client/v3/naming's
// format, so etcd's resolver reads raftkv's proxies and the other way
// round) — attached to a lease it keeps alive. A proxy that dies stops
// renewing, its lease expires, and its key goes with it: the registry
// heals itself, within the TTL. Each proxy follows the prefix with a watch,
// and answers member list with what it sees.
type fleet struct {
	p    *Proxy
	name string
	// leaseID is the registration's lease, revoked when the proxy closes.
	leaseID atomic.Int64

	mu      sync.Mutex
	entries map[string]api.Member // by key
	// r is the follower's receiver (guarded by the hub's mutex).
	r    *receiver
	lost chan struct{}
}

// endpointRecord is etcd's naming/endpoints record.
type endpointRecord struct {
	Op       uint8
	Addr     string
	Metadata any
}

type endpointMeta struct {
	Name string `json:"name"`
}

func newFleet(p *Proxy) *fleet {
	name := p.cfg.Name
	if name == "" {
		name, _ = os.Hostname()
	}
	return &fleet{p: p, name: name, entries: map[string]api.Member{}}
}

// registrationRetry is how often a failed registration is tried again
// (etcd's rate).
const registrationRetry = time.Second

// register keeps the proxy registered until ctx ends.
func (f *fleet) register(ctx context.Context) {
	for {
		err := f.registerOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		f.p.log.Warn("registration under the resolver prefix lost; registering again", "err", err)
		if !sleep(ctx, registrationRetry) {
			return
		}
	}
}

var errLeaseLost = errors.New("the registration's lease expired")

// registerOnce grants a lease, puts the record under it, and renews it
// every third of its TTL until a renewal fails or finds the lease gone.
func (f *fleet) registerOnce(ctx context.Context) error {
	ttl := f.p.cfg.ResolverTTL
	g, _, err := f.p.LeaseGrant(ctx, &kv.LeaseGrantRequest{TTL: ttl})
	if err != nil {
		return err
	}
	f.leaseID.Store(g.ID)
	meta, _ := json.Marshal(endpointMeta{Name: f.name})
	value, _ := json.Marshal(endpointRecord{Addr: f.p.cfg.AdvertiseClientURL, Metadata: string(meta)})
	key := f.p.cfg.ResolverPrefix + "/" + f.p.cfg.AdvertiseClientURL
	if _, _, err := f.p.Put(ctx, &kv.PutRequest{Key: []byte(key), Value: value, Lease: g.ID}); err != nil {
		return err
	}
	f.p.log.Info("registered under the resolver prefix", "key", key, "lease", g.ID, "ttl", ttl)
	t := time.NewTicker(time.Duration(ttl) * time.Second / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		callCtx, cancel := context.WithTimeout(ctx, time.Duration(ttl)*time.Second/3)
		resp, _, err := f.p.LeaseKeepAlive(callCtx, g.ID)
		cancel()
		switch {
		case err != nil:
			return err
		case resp.TTL <= 0:
			return errLeaseLost
		}
	}
}

// withdraw revokes the registration's lease, so that the proxy leaves
// member list at once rather than when its lease expires.
func (f *fleet) withdraw() {
	id := f.leaseID.Load()
	if id == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := f.p.LeaseRevoke(ctx, id); err != nil {
		f.p.log.Warn("could not withdraw the registration", "err", err)
	}
}

// members are the registered proxies, by address.
func (f *fleet) members() []api.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]api.Member, 0, len(f.entries))
	for _, m := range f.entries {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientURLs[0] < out[j].ClientURLs[0] })
	return out
}

// follow starts following the prefix.
func (f *fleet) follow() {
	f.p.background(f.followLoop)
}

// followLoop reads the registrations, then watches them from the revision
// read, and starts over whenever the watch is lost.
func (f *fleet) followLoop(ctx context.Context) {
	prefix := []byte(f.p.cfg.ResolverPrefix + "/")
	for {
		resp, _, err := f.p.Range(ctx, &kv.RangeRequest{Key: prefix, RangeEnd: prefixEnd(prefix), Serializable: true})
		if err == nil {
			f.mu.Lock()
			f.entries = map[string]api.Member{}
			for _, e := range resp.Kvs {
				f.put(e.Key, e.Value)
			}
			f.mu.Unlock()
			lost := f.watch(prefix, resp.Header.Revision+1)
			select {
			case <-ctx.Done():
				f.unwatch()
				return
			case <-lost:
			}
		}
		if !sleep(ctx, registrationRetry) {
			return
		}
	}
}

// watch follows the prefix from rev; the returned channel is closed when
// the watch is lost.
func (f *fleet) watch(prefix []byte, rev int64) <-chan struct{} {
	key, end := f.p.ns.interval(prefix, prefixEnd(prefix))
	h := f.p.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	f.lost = make(chan struct{})
	f.r = &receiver{sink: f, wr: watchRange{string(key), string(end)}, startRev: rev, prevKV: true, ready: make(chan struct{})}
	h.addLocked(f.r)
	return f.lost
}

func (f *fleet) unwatch() {
	h := f.p.hub
	h.mu.Lock()
	r := f.r
	f.r = nil
	h.mu.Unlock()
	if r != nil {
		h.remove(r)
	}
}

// put records one registration (the caller holds f.mu).
func (f *fleet) put(key, value []byte) {
	var rec endpointRecord
	if err := json.Unmarshal(value, &rec); err != nil || rec.Addr == "" {
		return // not a registration: ignored, as etcd's resolver ignores it
	}
	var meta endpointMeta
	if s, ok := rec.Metadata.(string); ok {
		_ = json.Unmarshal([]byte(s), &meta)
	}
	f.entries[string(key)] = api.Member{Name: meta.Name, ClientURLs: []string{rec.Addr}}
}

// deliver is the hub's sink for the follower.
func (f *fleet) deliver(r *receiver, resp *api.WatchResponse) bool {
	if r != f.r {
		return true
	}
	if resp.Canceled {
		f.r = nil
		close(f.lost)
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range resp.Events {
		if e.Type == kv.EventDelete {
			delete(f.entries, string(e.Kv.Key))
			continue
		}
		f.put(e.Kv.Key, e.Kv.Value)
	}
	return true
}

func (f *fleet) refuse(r *receiver, _ api.Header, reason string) {
	if r == f.r {
		f.p.log.Warn("cannot follow the resolver prefix", "reason", reason)
		f.r = nil
		close(f.lost)
	}
}
