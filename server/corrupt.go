package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// The corruption check, as etcd has it (etcdserver/corrupt.go).
//
// Raft promises that every member applies the same entries in the same
// order (State Machine Safety, §5.4.3); it cannot promise that applying
// them gives the same state everywhere. A bug in apply, a flipped bit on a
// disk or in memory, a member started with a setting that changes what
// apply does — any of these leaves one member's store different from the
// others', and nothing in Raft notices: the logs still match. Members
// notice by comparing kv.Store.HashKV, the hash of their key-value history
// as of one revision. Two hashes at the same revision must be equal when
// the members' compaction revisions are equal (compaction changes what is
// hashed), and are not compared otherwise.
//
// Two checks, both off by default, as in etcd:
//
//   - the initial check (--feature-gates=InitialCorruptCheck=true, once
//     --experimental-initial-corrupt-check): a restarting member, before it
//     serves anything, applies what its own log holds, hashes its store and
//     asks every peer for its hash at the same revision. A peer at the same
//     compaction revision with another hash means this member (or that
//     peer) is corrupt: the member refuses to start, with etcd's
//     "<id> found data inconsistency with peers". A peer that is behind
//     (the revision is in its future), has compacted past the revision, or
//     does not answer is skipped.
//   - the periodic check (--corrupt-check-time, once
//     --experimental-corrupt-check-time): every interval the leader hashes
//     its store, asks every member for its hash at that revision, makes a
//     linearizable read (after which the leader has applied at least what
//     any member had when it answered) and hashes again. It raises the
//     CORRUPT alarm, through the log, for the first member found wrong: a
//     member whose revision is ahead of the leader's, or whose compaction
//     is, or whose hash differs at the same compaction revision — or the
//     leader itself, if its own hash changed without a write. Like etcd it
//     takes the leader's hash as the reference; the alarm stops writes on
//     the whole cluster (alarms.go) whichever member it names.
//
// Members ask each other on the peer URL (POST <peer URL>/raftkv/hashkv,
// with the client API's HashKV request and answer as body), as etcd asks
// on its peer URL (/members/hashkv): the peer URL is what the membership
// records for every member from the start, it is served with the peer TLS
// settings members already trust each other with, and it is not subject
// to what guards the client URL. The asker names its cluster in a header,
// and a member of another cluster refuses to answer.
//
// The checks run in the production driver (Server), not in Member: they
// wait on the network, and what they conclude enters the replicated state
// only as an ordinary alarm entry.

// peerHashKVPath is where a member answers its peers' HashKV requests.
const peerHashKVPath = "/raftkv/hashkv"

// clusterIDHeader names the asker's cluster (hexadecimal, as the transport's).
const clusterIDHeader = "X-Raftkv-Cluster-Id"

// peerHash is one peer's answer to "your HashKV at revision R".
type peerHash struct {
	id   uint64
	urls []string
	resp *wire.HashKVResponse // nil if no URL answered; else with a Header
	err  error                // the last URL's failure, when resp is nil
}

// checkInitial is the initial check's verdict (etcd's InitialCheck):
// local is this member's hash, peers their answers at local.Revision.
func checkInitial(log *slog.Logger, self uint64, local kv.KeyValueHash, peers []peerHash) error {
	mismatches := 0
	for _, p := range peers {
		attrs := []any{"local-member-id", idString(self), "local-member-revision", local.Revision,
			"local-member-compact-revision", local.CompactRevision, "local-member-hash", local.Hash,
			"remote-peer-id", idString(p.id), "remote-peer-endpoints", p.urls}
		switch {
		case p.resp == nil && errors.Is(p.err, wire.ErrFutureRev):
			log.Warn("cannot fetch hash from slow remote peer", append(attrs, "err", p.err)...)
		case p.resp == nil && errors.Is(p.err, wire.ErrCompacted):
			log.Warn("cannot fetch hash from remote peer; local member is behind", append(attrs, "err", p.err)...)
		case p.resp == nil:
			log.Warn("cannot fetch hash from remote peer", append(attrs, "err", p.err)...)
		case p.resp.Hash == local.Hash:
		case p.resp.CompactRevision == local.CompactRevision:
			log.Warn("found different hash values from remote peer", append(attrs,
				"remote-peer-compact-revision", p.resp.CompactRevision, "remote-peer-hash", p.resp.Hash)...)
			mismatches++
		default:
			log.Warn("found different compact revision values from remote peer", append(attrs,
				"remote-peer-compact-revision", p.resp.CompactRevision, "remote-peer-hash", p.resp.Hash)...)
		}
	}
	if mismatches > 0 {
		return fmt.Errorf("%s found data inconsistency with peers", idString(self))
	}
	log.Info("initial corruption checking passed; no corruption", "local-member-id", idString(self))
	return nil
}

// checkPeriodic is the periodic check's verdict (etcd's PeriodicCheck):
// before is the leader's hash when it asked, peers their answers at
// before.Revision, after and afterRev the leader's hash and revision after
// a linearizable read. It returns the member to raise CORRUPT for, the
// first one found (0: none), and logs every finding.
func checkPeriodic(log *slog.Logger, self uint64, before, after kv.KeyValueHash, afterRev int64, peers []peerHash) (suspect uint64) {
	found := func(id uint64) {
		if suspect == 0 {
			suspect = id
		}
	}
	if after.Hash != before.Hash && after.Revision == before.Revision && after.CompactRevision == before.CompactRevision {
		log.Warn("found hash mismatch", "revision-1", before.Revision, "compact-revision-1", before.CompactRevision, "hash-1", before.Hash,
			"revision-2", after.Revision, "compact-revision-2", after.CompactRevision, "hash-2", after.Hash)
		found(self)
	}
	checked := 0
	for _, p := range peers {
		if p.resp == nil {
			continue
		}
		checked++
		peer := idString(p.id)
		if rev := p.resp.Header.Revision; rev > afterRev {
			log.Warn("revision from follower must be less than or equal to leader's",
				"leader-revision", afterRev, "follower-revision", rev, "follower-peer-id", peer)
			found(p.id)
		}
		if p.resp.CompactRevision > after.CompactRevision {
			log.Warn("compact revision from follower must be less than or equal to leader's",
				"leader-compact-revision", after.CompactRevision, "follower-compact-revision", p.resp.CompactRevision, "follower-peer-id", peer)
			found(p.id)
		}
		if p.resp.CompactRevision == before.CompactRevision && p.resp.Hash != before.Hash {
			log.Warn("same compact revision then hashes must match",
				"leader-compact-revision", before.CompactRevision, "leader-hash", before.Hash,
				"follower-compact-revision", p.resp.CompactRevision, "follower-hash", p.resp.Hash, "follower-peer-id", peer)
			found(p.id)
		}
	}
	log.Info("finished peer corruption check", "number-of-peers-checked", checked)
	return suspect
}

// initialCorruptCheck runs the initial check on a member that has not
// started serving: it applies the entries its own log holds as committed,
// so that it hashes what it will serve, then compares with its peers.
func (s *Server) initialCorruptCheck() error {
	m := s.member
	s.log.Info("starting initial corruption check", "local-member-id", idString(m.ID()), "timeout", s.requestTimeout())
	if err := m.Process(); err != nil {
		return err
	}
	local, _, err := m.Store().HashKV(0)
	if err != nil {
		return fmt.Errorf("%s failed to fetch hash (%w)", idString(m.ID()), err)
	}
	peers := s.askPeersHashKV(context.Background(), m.ID(), m.Members(), local.Revision)
	return checkInitial(s.log, m.ID(), local, peers)
}

// monitorCorruption runs the periodic check every --corrupt-check-time
// while this member leads, until the server stops.
func (s *Server) monitorCorruption() {
	defer s.wg.Done()
	ctx, cancel := s.untilStopping()
	defer cancel()
	ticker := time.NewTicker(s.cfg.CorruptCheckTime)
	defer ticker.Stop()
	s.log.Info("enabled corruption checking", "local-member-id", idString(s.member.ID()), "interval", s.cfg.CorruptCheckTime)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if v := s.view.Load(); v.Lead != v.ID {
			continue
		}
		if err := s.periodicCorruptCheck(ctx); err != nil {
			s.log.Warn("failed to check hash KV", "err", err)
		}
	}
}

func (s *Server) periodicCorruptCheck(ctx context.Context) error {
	store := s.member.Store()
	before, _, err := store.HashKV(0)
	if err != nil {
		return err
	}
	v := s.view.Load()
	peers := s.askPeersHashKV(ctx, v.ID, v.Members, before.Revision)
	rctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
	werr := s.barrier(rctx, true)
	cancel()
	if werr != nil {
		return werr
	}
	after, afterRev, err := store.HashKV(0)
	if err != nil {
		return err
	}
	if suspect := checkPeriodic(s.log, v.ID, before, after, afterRev, peers); suspect != 0 {
		return s.raiseCorrupt(ctx, suspect)
	}
	return nil
}

// raiseCorrupt raises the CORRUPT alarm for member id, through the log
// (once: a check that finds the same member again changes nothing).
func (s *Server) raiseCorrupt(ctx context.Context, id uint64) error {
	if slices.Contains(s.view.Load().Alarms, wire.AlarmMember{MemberID: id, Alarm: wire.AlarmCorrupt}) {
		return nil
	}
	s.log.Error("raising the CORRUPT alarm", "member-id", idString(id))
	_, werr := s.call(ctx, func(m *Member, deadline time.Time, done func(Result)) {
		m.Alarm(wire.AlarmActivate, id, wire.AlarmCorrupt, deadline, done)
	})
	if werr != nil {
		return werr
	}
	return nil
}

// askPeersHashKV asks every member but self, at once, for its HashKV at
// rev; for each, its peer URLs are tried in turn until one answers.
func (s *Server) askPeersHashKV(ctx context.Context, self uint64, members []MemberInfo, rev int64) []peerHash {
	var out []peerHash
	for _, info := range members {
		if info.ID != self && len(info.PeerURLs) > 0 {
			out = append(out, peerHash{id: info.ID, urls: info.PeerURLs})
		}
	}
	var wg sync.WaitGroup
	for i := range out {
		p := &out[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range p.urls {
				p.resp, p.err = s.fetchPeerHashKV(ctx, u, p.id, rev)
				if p.err == nil {
					return
				}
				s.log.Warn("failed hash kv request", "local-member-id", idString(self), "requested-revision", rev,
					"remote-peer-endpoint", u, "err", p.err)
			}
		}()
	}
	wg.Wait()
	return out
}

// fetchPeerHashKV asks the member id at peer URL u for its HashKV at rev.
// etcd's own errors (a compacted or future revision) come back as the
// *wire.Error values they are.
func (s *Server) fetchPeerHashKV(ctx context.Context, u string, id uint64, rev int64) (*wire.HashKVResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
	defer cancel()
	body := wire.Marshal(&wire.HashKVRequest{Revision: rev})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u+peerHashKVPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(clusterIDHeader, strconv.FormatUint(s.member.ClusterID(), 16))
	resp, err := s.peerClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var werr wire.Error
		if wire.Unmarshal(data, &werr) == nil && werr.Code != wire.OK {
			return nil, &werr
		}
		return nil, fmt.Errorf("%s%s: %s: %s", u, peerHashKVPath, resp.Status, bytes.TrimSpace(data))
	}
	var out wire.HashKVResponse
	if err := wire.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s%s: bad answer: %w", u, peerHashKVPath, err)
	}
	// A URL the membership gives for one member may have been taken over by
	// another (a member removed and a new one added at its address): its
	// hash says nothing about the member we meant.
	if out.Header == nil || out.Header.MemberID != id {
		return nil, fmt.Errorf("%s did not answer as member %s", u, idString(id))
	}
	return &out, nil
}

// serveHashKVForPeers answers a peer's HashKV request (fetchPeerHashKV).
func (s *Server) serveHashKVForPeers(w http.ResponseWriter, r *http.Request) {
	reply := func(m wire.Message, e *wire.Error) {
		w.Header().Set("Content-Type", "application/json")
		if e != nil {
			w.WriteHeader(e.HTTPStatus())
			w.Write(e.AppendJSON(nil))
			return
		}
		w.Write(m.AppendJSON(nil))
	}
	if r.Method != http.MethodPost {
		reply(nil, wire.ErrMethodNotAllowed)
		return
	}
	cluster := strconv.FormatUint(s.view.Load().ClusterID, 16)
	if asker := r.Header.Get(clusterIDHeader); asker != cluster {
		reply(nil, wire.Errorf(wire.FailedPrecondition, "cluster ID mismatch: this member is in cluster %s, the request comes from cluster %q", cluster, asker))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		reply(nil, wire.Errorf(wire.InvalidArgument, "%v", err))
		return
	}
	var req wire.HashKVRequest
	if err := wire.Unmarshal(body, &req); err != nil {
		reply(nil, toError(err))
		return
	}
	hk, h, err := s.HashKV(r.Context(), req.Revision)
	if err != nil {
		reply(nil, toError(err))
		return
	}
	reply(&wire.HashKVResponse{Header: &wire.ResponseHeader{ClusterID: h.ClusterID, MemberID: h.MemberID, Revision: h.Revision, RaftTerm: h.RaftTerm},
		Hash: hk.Hash, CompactRevision: hk.CompactRevision, HashRevision: hk.HashRevision}, nil)
}

// untilStopping returns a context that ends when the server stops.
func (s *Server) untilStopping() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// idString writes a member ID as etcd does: hexadecimal.
func idString(id uint64) string { return strconv.FormatUint(id, 16) }
