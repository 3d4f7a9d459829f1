package fakeetcd

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"sync"

	"github.com/raftkv/raftkv/client/wire"
)

type event struct {
	ev  wire.Event
	rev int64
}

// Store is the shared state of the fake cluster.
type Store struct {
	mu        sync.Mutex
	rev       int64
	compacted int64
	kvs       map[string]wire.KeyValue
	history   []event
	leases    map[int64]int64 // ID -> TTL
	nextLease int64
	changed   chan struct{} // closed and replaced at every change: wakes watchers

	// Requests counts the requests by path, for tests to check what was sent.
	Requests    map[string]int
	watchStarts []int64 // the start revision of every watch request
}

// WatchStarts returns the start revision of every watch request so far.
func (s *Store) WatchStarts() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.watchStarts...)
}

// NewStore returns an empty store at revision 1, as a fresh etcd.
func NewStore() *Store {
	return &Store{rev: 1, kvs: map[string]wire.KeyValue{}, leases: map[int64]int64{},
		nextLease: 7587870000000000, changed: make(chan struct{}), Requests: map[string]int{}}
}

// Member serves the store. Hooks let a test inject faults.
type Member struct {
	Store *Store
	ID    uint64
	// Before runs first for every request; if it returns true, the request
	// is considered answered (or the connection killed) by the hook.
	Before func(w http.ResponseWriter, r *http.Request) bool
	// BreakWatchAfter closes each watch stream after that many event
	// responses (0: never), as a crashing member would.
	BreakWatchAfter int
}

func (s *Store) header(m *Member) *wire.ResponseHeader {
	return &wire.ResponseHeader{ClusterID: 1, MemberID: m.ID, Revision: s.rev, RaftTerm: 2}
}

// Count returns how many requests were made to path.
func (s *Store) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Requests[path]
}

// Compact discards history before rev.
func (s *Store) Compact(rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacted = rev
}

func (m *Member) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := m.Store
	s.mu.Lock()
	s.Requests[r.URL.Path]++
	s.mu.Unlock()
	if m.Before != nil && m.Before(w, r) {
		return
	}
	if r.URL.Path == "/v3/watch" {
		m.watch(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var resp wire.Message
	var werr *wire.Error
	s.mu.Lock()
	switch r.URL.Path {
	case "/v3/kv/put":
		var req wire.PutRequest
		if werr = decode(body, &req); werr == nil {
			resp, werr = s.txnLocked(m, &wire.TxnRequest{Success: []wire.RequestOp{{RequestPut: &req}}}, func(t *wire.TxnResponse) wire.Message {
				return t.Responses[0].ResponsePut
			})
		}
	case "/v3/kv/range":
		var req wire.RangeRequest
		if werr = decode(body, &req); werr == nil {
			resp, werr = s.rangeLocked(m, &req)
		}
	case "/v3/kv/deleterange":
		var req wire.DeleteRangeRequest
		if werr = decode(body, &req); werr == nil {
			resp, werr = s.txnLocked(m, &wire.TxnRequest{Success: []wire.RequestOp{{RequestDeleteRange: &req}}}, func(t *wire.TxnResponse) wire.Message {
				return t.Responses[0].ResponseDeleteRange
			})
		}
	case "/v3/kv/txn":
		var req wire.TxnRequest
		if werr = decode(body, &req); werr == nil {
			resp, werr = s.txnLocked(m, &req, func(t *wire.TxnResponse) wire.Message { return t })
		}
	case "/v3/lease/grant":
		var req wire.LeaseGrantRequest
		if werr = decode(body, &req); werr == nil {
			s.nextLease++
			s.leases[s.nextLease] = req.TTL
			resp = &wire.LeaseGrantResponse{Header: s.header(m), ID: s.nextLease, TTL: req.TTL}
		}
	case "/v3/lease/revoke":
		var req wire.LeaseRevokeRequest
		if werr = decode(body, &req); werr == nil {
			resp, werr = s.revokeLocked(m, req.ID)
		}
	case "/v3/lease/keepalive":
		var req wire.LeaseKeepAliveRequest
		if werr = decode(body, &req); werr == nil {
			resp = &wire.LeaseKeepAliveResponse{Header: s.header(m), ID: req.ID, TTL: s.leases[req.ID]}
		}
	case "/v3/lease/timetolive":
		var req wire.LeaseTimeToLiveRequest
		if werr = decode(body, &req); werr == nil {
			ttl, ok := s.leases[req.ID]
			if !ok {
				ttl = -1
			}
			resp = &wire.LeaseTimeToLiveResponse{Header: s.header(m), ID: req.ID, TTL: ttl, GrantedTTL: max(ttl, 0)}
		}
	default:
		werr = wire.ErrPathNotFound
	}
	s.mu.Unlock()
	if werr != nil {
		WriteError(w, werr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/v3/lease/keepalive" {
		w.Write(wire.AppendStreamResult(nil, resp))
		return
	}
	w.Write(resp.AppendJSON(nil))
}

// WriteError answers with an error as etcd's gateway does.
func WriteError(w http.ResponseWriter, e *wire.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.HTTPStatus())
	w.Write(e.AppendJSON(nil))
}

func decode(body []byte, m wire.Message) *wire.Error {
	if err := wire.Unmarshal(body, m); err != nil {
		return err.(*wire.Error)
	}
	return nil
}

// inRange reports whether key is in [start, end) with etcd's conventions.
func inRange(key, start, end []byte) bool {
	switch {
	case len(end) == 0:
		return bytes.Equal(key, start)
	case len(end) == 1 && end[0] == 0:
		return bytes.Compare(key, start) >= 0
	}
	return bytes.Compare(key, start) >= 0 && bytes.Compare(key, end) < 0
}

func (s *Store) rangeLocked(m *Member, req *wire.RangeRequest) (*wire.RangeResponse, *wire.Error) {
	if req.Revision != 0 && req.Revision != s.rev {
		return nil, wire.Errorf(wire.Unimplemented, "fakeetcd: reads at past revisions are not supported")
	}
	var kvs []wire.KeyValue
	for _, kv := range s.kvs {
		if inRange(kv.Key, req.Key, req.RangeEnd) && (req.MaxCreateRevision == 0 || kv.CreateRevision <= req.MaxCreateRevision) {
			kvs = append(kvs, kv)
		}
	}
	sort.Slice(kvs, func(i, j int) bool {
		less := bytes.Compare(kvs[i].Key, kvs[j].Key) < 0
		if req.SortTarget == wire.SortByCreateRevision {
			less = kvs[i].CreateRevision < kvs[j].CreateRevision
		}
		if req.SortOrder == wire.SortDescend {
			return !less
		}
		return less
	})
	resp := &wire.RangeResponse{Header: s.header(m), Count: int64(len(kvs))}
	if req.Limit > 0 && int64(len(kvs)) > req.Limit {
		kvs, resp.More = kvs[:req.Limit], true
	}
	if !req.CountOnly {
		resp.Kvs = kvs
	}
	return resp, nil
}

func (s *Store) compare(c *wire.Compare) bool {
	kv := s.kvs[string(c.Key)]
	var cmp int
	switch c.Target {
	case wire.CompareVersion:
		cmp = compareInt(kv.Version, c.Version)
	case wire.CompareCreate:
		cmp = compareInt(kv.CreateRevision, c.CreateRevision)
	case wire.CompareMod:
		cmp = compareInt(kv.ModRevision, c.ModRevision)
	case wire.CompareLease:
		cmp = compareInt(kv.Lease, c.Lease)
	case wire.CompareValue:
		if kv.Key == nil {
			return false
		}
		cmp = bytes.Compare(kv.Value, c.Value)
	}
	switch c.Result {
	case wire.CompareEqual:
		return cmp == 0
	case wire.CompareNotEqual:
		return cmp != 0
	case wire.CompareLess:
		return cmp < 0
	}
	return cmp > 0
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// txnLocked runs a txn; every write in it shares one new revision.
func (s *Store) txnLocked(m *Member, req *wire.TxnRequest, pick func(*wire.TxnResponse) wire.Message) (wire.Message, *wire.Error) {
	wrote := false
	resp, err := s.runTxn(m, req, &wrote)
	if err != nil {
		return nil, err
	}
	if wrote {
		s.rev++
		s.fixRevisions(resp)
		close(s.changed)
		s.changed = make(chan struct{})
	}
	resp.Header = s.header(m)
	return pick(resp), nil
}

// fixRevisions stamps the sub-responses' headers with the txn's revision.
func (s *Store) fixRevisions(t *wire.TxnResponse) {
	for i := range t.Responses {
		r := &t.Responses[i]
		switch {
		case r.ResponsePut != nil:
			r.ResponsePut.Header = &wire.ResponseHeader{Revision: s.rev}
		case r.ResponseDeleteRange != nil:
			r.ResponseDeleteRange.Header = &wire.ResponseHeader{Revision: s.rev}
		case r.ResponseRange != nil:
			r.ResponseRange.Header = &wire.ResponseHeader{Revision: s.rev}
		case r.ResponseTxn != nil:
			s.fixRevisions(r.ResponseTxn)
		}
	}
}

func (s *Store) runTxn(m *Member, req *wire.TxnRequest, wrote *bool) (*wire.TxnResponse, *wire.Error) {
	ok := true
	for i := range req.Compare {
		ok = ok && s.compare(&req.Compare[i])
	}
	ops := req.Success
	if !ok {
		ops = req.Failure
	}
	resp := &wire.TxnResponse{Succeeded: ok}
	rev := s.rev + 1 // the revision the writes of this txn create
	for _, op := range ops {
		switch {
		case op.RequestRange != nil:
			r, err := s.rangeLocked(m, op.RequestRange)
			if err != nil {
				return nil, err
			}
			resp.Responses = append(resp.Responses, wire.ResponseOp{ResponseRange: r})
		case op.RequestPut != nil:
			p := op.RequestPut
			if len(p.Key) == 0 {
				return nil, wire.ErrEmptyKey
			}
			if _, ok := s.leases[p.Lease]; p.Lease != 0 && !ok {
				return nil, wire.ErrLeaseNotFound
			}
			prev, existed := s.kvs[string(p.Key)]
			kv := wire.KeyValue{Key: p.Key, Value: p.Value, Lease: p.Lease, CreateRevision: rev, ModRevision: rev, Version: 1}
			if existed {
				kv.CreateRevision, kv.Version = prev.CreateRevision, prev.Version+1
			}
			s.kvs[string(p.Key)] = kv
			s.history = append(s.history, event{rev: rev, ev: wire.Event{Kv: &kv, PrevKV: ptrIf(prev, existed)}})
			pr := &wire.PutResponse{}
			if p.PrevKV && existed {
				pr.PrevKV = &prev
			}
			resp.Responses = append(resp.Responses, wire.ResponseOp{ResponsePut: pr})
			*wrote = true
		case op.RequestDeleteRange != nil:
			d := op.RequestDeleteRange
			dr := &wire.DeleteRangeResponse{}
			for k, kv := range s.kvs {
				if inRange(kv.Key, d.Key, d.RangeEnd) {
					delete(s.kvs, k)
					s.history = append(s.history, event{rev: rev, ev: wire.Event{Type: wire.EventDelete,
						Kv: &wire.KeyValue{Key: kv.Key, ModRevision: rev}, PrevKV: ptrIf(kv, true)}})
					dr.Deleted++
					if d.PrevKV {
						dr.PrevKVs = append(dr.PrevKVs, kv)
					}
					*wrote = true
				}
			}
			resp.Responses = append(resp.Responses, wire.ResponseOp{ResponseDeleteRange: dr})
		case op.RequestTxn != nil:
			t, err := s.runTxn(m, op.RequestTxn, wrote)
			if err != nil {
				return nil, err
			}
			t.Header = &wire.ResponseHeader{}
			resp.Responses = append(resp.Responses, wire.ResponseOp{ResponseTxn: t})
		}
	}
	return resp, nil
}

func ptrIf(kv wire.KeyValue, ok bool) *wire.KeyValue {
	if !ok {
		return nil
	}
	return &kv
}

func (s *Store) revokeLocked(m *Member, id int64) (wire.Message, *wire.Error) {
	if _, ok := s.leases[id]; !ok {
		return nil, wire.ErrLeaseNotFound
	}
	delete(s.leases, id)
	var del []wire.RequestOp
	for _, kv := range s.kvs {
		if kv.Lease == id {
			del = append(del, wire.RequestOp{RequestDeleteRange: &wire.DeleteRangeRequest{Key: kv.Key}})
		}
	}
	if _, err := s.txnLocked(m, &wire.TxnRequest{Success: del}, func(t *wire.TxnResponse) wire.Message { return t }); err != nil {
		return nil, err
	}
	return &wire.LeaseRevokeResponse{Header: s.header(m)}, nil
}

// Expire ends a lease as if its TTL had run out.
func (s *Store) Expire(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(&Member{}, id)
}

// watch serves one watch stream with one watcher (the client's usage).
func (m *Member) watch(w http.ResponseWriter, r *http.Request) {
	s := m.Store
	var req wire.WatchRequest
	if err := wire.NewStreamDecoder(r.Body).Decode(&req); err != nil || req.CreateRequest == nil {
		WriteError(w, wire.Errorf(wire.InvalidArgument, "fakeetcd: want one create_request"))
		return
	}
	cr := req.CreateRequest
	flusher := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	send := func(resp *wire.WatchResponse) bool {
		if _, err := w.Write(wire.AppendStreamResult(nil, resp)); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	s.mu.Lock()
	s.watchStarts = append(s.watchStarts, cr.StartRevision)
	next := cr.StartRevision
	if next == 0 {
		next = s.rev + 1
	}
	created := &wire.WatchResponse{Header: s.header(m), Created: true}
	compacted := next <= s.compacted
	hdr := s.header(m)
	s.mu.Unlock()
	if !send(created) {
		return
	}
	if compacted {
		hdr.Revision = 0
		send(&wire.WatchResponse{Header: hdr, Canceled: true, CompactRevision: s.compacted})
		return
	}
	sent := 0
	for {
		s.mu.Lock()
		var batch []wire.Event
		var batchRev int64
		for _, e := range s.history {
			if e.rev < next || (batchRev != 0 && e.rev != batchRev) || !inRange(e.ev.Kv.Key, cr.Key, cr.RangeEnd) {
				continue
			}
			ev := e.ev
			if !cr.PrevKV {
				ev.PrevKV = nil
			}
			batch, batchRev = append(batch, ev), e.rev
		}
		changed := s.changed
		hdr := s.header(m)
		if batchRev != 0 {
			hdr.Revision = batchRev
		}
		s.mu.Unlock()
		if batchRev != 0 {
			if m.BreakWatchAfter > 0 && sent == m.BreakWatchAfter {
				panic(http.ErrAbortHandler) // drop the connection mid-stream
			}
			if !send(&wire.WatchResponse{Header: hdr, Events: batch}) {
				return
			}
			sent++
			next = batchRev + 1
			continue
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
}
