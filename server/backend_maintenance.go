package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// The Maintenance service, and /version and /health.

// The versions a member reports. raftkv implements etcd's v3.7 API, and
// clients decide what they may ask by the etcd version they are told
// (clientv3 refuses clusters older than 3.x, Kubernetes checks for watch
// progress requests): that is what Status and /version report. raftkv's
// own version is Version (run.go), reported by `raftkv --version`.
const (
	EtcdVersion        = "3.7.3"
	EtcdClusterVersion = "3.7.0"
	StorageVersion     = "3.7.0"
)

func (s *Server) Status(ctx context.Context) (*api.Status, error) {
	if _, err := s.authenticated(ctx); err != nil {
		return nil, err
	}
	v := s.view.Load()
	size := s.dbSize()
	return &api.Status{
		Header:           s.header(s.member.Store().Rev()),
		Version:          EtcdVersion,
		DBSize:           size,
		DBSizeInUse:      size,
		DBSizeQuota:      quotaBytes(s.cfg),
		Leader:           v.Lead,
		RaftIndex:        v.LastIndex,
		RaftTerm:         v.Term,
		RaftAppliedIndex: v.Applied,
		IsLearner:        v.IsLearner,
		Errors:           alarmStrings(v.Alarms),
		StorageVersion:   StorageVersion,
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

func (s *Server) Alarm(ctx context.Context, req api.AlarmRequest) ([]api.AlarmMember, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	switch req.Action {
	case api.AlarmGet:
		if _, err := s.authenticated(ctx); err != nil {
			return nil, Header{}, err
		}
		return toAPIAlarms(s.view.Load().Alarms), s.header(s.member.Store().Rev()), nil
	case api.AlarmActivate, api.AlarmDeactivate:
		if _, err := s.admin(ctx); err != nil {
			return nil, Header{}, err
		}
	default:
		return nil, Header{}, wire.Errorf(wire.InvalidArgument, "etcdserver: unknown alarm action %d", req.Action)
	}
	r, err := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) {
		m.Alarm(wire.AlarmAction(req.Action), req.MemberID, wire.AlarmType(req.Alarm), deadline, done)
	})
	if err != nil {
		return nil, Header{}, err
	}
	return toAPIAlarms(r.Alarms), resultHeader(r, 0), nil
}

func toAPIAlarms(as []wire.AlarmMember) []api.AlarmMember {
	var out []api.AlarmMember
	for _, a := range as {
		out = append(out, api.AlarmMember{MemberID: a.MemberID, Alarm: api.AlarmType(a.Alarm)})
	}
	return out
}

// Hash is a hash of the member's whole replicated state: the store, and
// the auth state (users, roles, permissions). HashKV, which the corruption
// check compares between members at one revision, covers the key-value
// history alone, as etcd's does: an auth change moves no revision, so
// members at the same revision may differ in it for a moment without
// being corrupt.
func (s *Server) Hash(ctx context.Context) (uint32, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return 0, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return 0, Header{}, err
	}
	start := time.Now()
	h := s.member.Store().Hash()
	s.metrics.hash.Observe(time.Since(start).Seconds())
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], h.Hash)
	binary.BigEndian.PutUint32(b[4:], s.member.Auth().Hash())
	return crc32.Checksum(b[:], crc32.MakeTable(crc32.Castagnoli)), s.header(h.Revision), nil
}

// HashKV is the hash of the key history as of rev (0: now), as etcd
// computes it (kv.Store.HashKV), with etcd's errors for a compacted or
// future revision. The header's revision is the current one. The
// corruption check compares these between members (corrupt.go).
func (s *Server) HashKV(ctx context.Context, rev int64) (*api.HashKV, Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return nil, Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return nil, Header{}, err
	}
	start := time.Now()
	h, cur, err := s.member.Store().HashKV(rev)
	s.metrics.hashKV.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, Header{}, toError(err)
	}
	return &api.HashKV{Hash: h.Hash, CompactRevision: h.CompactRevision, HashRevision: h.Revision}, s.header(cur), nil
}

// Defragment has nothing to do: the state lives in memory.
func (s *Server) Defragment(ctx context.Context) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return Header{}, err
	}
	return s.header(s.member.Store().Rev()), nil
}

// MoveLeader hands leadership to another voting member and answers once it
// leads. Only the leader takes it, as in etcd (etcdctl move-leader finds
// the leader among its endpoints).
func (s *Server) MoveLeader(ctx context.Context, target uint64) (Header, error) {
	if err := s.refuseOnLearner(); err != nil {
		return Header{}, err
	}
	if _, err := s.admin(ctx); err != nil {
		return Header{}, err
	}
	ch := make(chan error, 1)
	deadline := time.Now().Add(s.requestTimeout())
	if err := s.do(ctx, func(m *Member) { m.MoveLeader(target, deadline, func(err error) { ch <- err }) }); err != nil {
		return Header{}, contextError(err)
	}
	select {
	case err := <-ch:
		if err != nil {
			return Header{}, toError(err)
		}
		return s.header(s.member.Store().Rev()), nil
	case <-ctx.Done():
		return Header{}, contextError(ctx.Err())
	}
}

func (s *Server) Leader() uint64 { return s.view.Load().Lead }

func (s *Server) Version() api.Version {
	return api.Version{Server: EtcdVersion, Cluster: EtcdClusterVersion, Storage: StorageVersion}
}

// Health answers etcd's /health: healthy when there is a leader, no alarm,
// and a linearizable read goes through (serializable skips the read).
func (s *Server) Health(ctx context.Context, serializable bool) api.Health {
	h := s.health(ctx, serializable)
	s.metrics.observeHealth(h.Healthy)
	return h
}

func (s *Server) health(ctx context.Context, serializable bool) api.Health {
	v := s.view.Load()
	switch {
	case v.Removed:
		return api.Health{Reason: "MEMBER REMOVED"}
	case len(v.Alarms) > 0:
		return api.Health{Reason: "ALARM " + v.Alarms[0].Alarm.String()}
	case v.Lead == 0:
		return api.Health{Reason: "RAFT NO LEADER"}
	case !serializable:
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := s.barrier(ctx, true); err != nil {
			return api.Health{Reason: "QGET ERROR:" + toError(err).Message}
		}
	}
	return api.Health{Healthy: true}
}
