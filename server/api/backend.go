package api

import (
	"context"

	"github.com/raftkv/raftkv/kv"
)

// Backend is everything a client can ask of a member. Every method may be
// called from any goroutine; each blocks until its answer is known or ctx
// ends. An error is a *wire.Error (etcd's code and words). Who makes a
// request is in its context (WithCredentials): with authentication on, the
// backend checks that they may.
type Backend interface {
	KV
	Lease
	Watcher
	Cluster
	Maintenance
	Auth
}

// KV is etcd's KV service.
type KV interface {
	// Range reads keys: linearizably (after a read barrier) unless the
	// request is serializable.
	Range(ctx context.Context, req *kv.RangeRequest) (*kv.RangeResponse, Header, error)
	Put(ctx context.Context, req *kv.PutRequest) (*kv.PutResponse, Header, error)
	DeleteRange(ctx context.Context, req *kv.DeleteRangeRequest) (*kv.DeleteRangeResponse, Header, error)
	Txn(ctx context.Context, req *kv.TxnRequest) (*kv.TxnResponse, Header, error)
	Compact(ctx context.Context, req *kv.CompactionRequest) (*kv.CompactionResponse, Header, error)
}

// Lease is etcd's Lease service.
type Lease interface {
	LeaseGrant(ctx context.Context, req *kv.LeaseGrantRequest) (*kv.LeaseGrantResponse, Header, error)
	LeaseRevoke(ctx context.Context, id int64) (Header, error)
	// LeaseKeepAlive renews a lease once. A lease that does not exist (or
	// has expired) is not an error: as etcd does, the answer is the lease's
	// ID with TTL 0.
	LeaseKeepAlive(ctx context.Context, id int64) (*kv.LeaseKeepAliveResponse, Header, error)
	LeaseTimeToLive(ctx context.Context, req *kv.LeaseTimeToLiveRequest) (*kv.LeaseTimeToLiveResponse, Header, error)
	LeaseLeases(ctx context.Context) (*kv.LeaseLeasesResponse, Header, error)
}

// Watcher is etcd's Watch service: one stream carries many watches.
type Watcher interface {
	// Watch opens a watch stream. send is called with every response, one
	// at a time, in the order the client must see them; an error from send
	// (the client went away) ends the stream. The stream ends when ctx
	// does, or with Close. A member that serves no watches (a learner)
	// refuses the stream.
	Watch(ctx context.Context, send func(*WatchResponse) error) (WatchStream, error)
}

// WatchStream takes a watch stream's requests, in the order the client sent
// them; their answers (and the events) come through the stream's send.
type WatchStream interface {
	Create(req *WatchCreateRequest)
	Cancel(watchID int64)
	// RequestProgress asks for a progress response (watch ID -1) at the
	// revision up to which every watch on the stream has been served.
	RequestProgress()
	// Close cancels every watch of the stream and waits for them to stop.
	Close()
}

// Cluster is etcd's Cluster service.
type Cluster interface {
	// MemberList lists the members; linearizable asks that it include every
	// change committed before the call.
	MemberList(ctx context.Context, linearizable bool) ([]Member, Header, error)
	MemberAdd(ctx context.Context, peerURLs []string, learner bool) (added Member, members []Member, h Header, err error)
	MemberRemove(ctx context.Context, id uint64) ([]Member, Header, error)
	MemberUpdate(ctx context.Context, id uint64, peerURLs []string) ([]Member, Header, error)
	MemberPromote(ctx context.Context, id uint64) ([]Member, Header, error)
}

// Maintenance is etcd's Maintenance service, and what /version and /health
// report.
type Maintenance interface {
	Status(ctx context.Context) (*Status, error)
	// Alarm lists the active alarms (AlarmGet) or raises or clears one; the
	// answer lists the alarms it is about.
	Alarm(ctx context.Context, req AlarmRequest) ([]AlarmMember, Header, error)
	Hash(ctx context.Context) (uint32, Header, error)
	HashKV(ctx context.Context, rev int64) (*HashKV, Header, error)
	Defragment(ctx context.Context) (Header, error)
	// MoveLeader hands leadership to another voter and returns once it leads.
	MoveLeader(ctx context.Context, target uint64) (Header, error)
	// Snapshot starts a backup of the member's state, read in chunks.
	Snapshot(ctx context.Context) (SnapshotStream, error)
	Version() Version
	// Leader is the leader this member knows of (0: none), cheaply.
	Leader() uint64
	// Health answers etcd's /health: whether the member has a leader, no
	// alarm, and (unless serializable) can complete a linearizable read.
	Health(ctx context.Context, serializable bool) Health
}

// SnapshotStream is a backup on its way, in etcd's chunks.
type SnapshotStream interface {
	// Next returns the next chunk and how many bytes of the backup remain
	// after it; io.EOF once every chunk has been returned.
	Next() (chunk []byte, remaining int64, err error)
	// Version is the storage version the backup was taken with (each
	// chunk says it).
	Version() string
	// Close ends the stream early (or releases it after the last chunk).
	Close()
}
