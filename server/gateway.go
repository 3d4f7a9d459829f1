package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/kv"
)

// The client API: etcd's v3 JSON gateway paths and shapes (see
// docs/operations.md and the transcripts in ../shared/reference), served
// natively — no HTTP-to-gRPC proxy in between. Unary calls are POSTs of one
// JSON object answered with one; /v3/watch and /v3/lease/keepalive stream
// newline-delimited {"result":...} objects.

// rpc handles one unary call: decode the body into its request, do it,
// return the response or an etcd error.
type rpc func(ctx context.Context, body []byte) (wire.Message, *wire.Error)

func (s *Server) clientHandler() http.Handler {
	rpcs := map[string]rpc{
		"kv/range":                        s.rpcRange,
		"kv/put":                          s.rpcPut,
		"kv/deleterange":                  s.rpcDeleteRange,
		"kv/txn":                          s.rpcTxn,
		"kv/compaction":                   s.rpcCompact,
		"lease/grant":                     s.rpcLeaseGrant,
		"lease/revoke":                    s.rpcLeaseRevoke,
		"kv/lease/revoke":                 s.rpcLeaseRevoke,
		"lease/timetolive":                s.rpcLeaseTimeToLive,
		"kv/lease/timetolive":             s.rpcLeaseTimeToLive,
		"lease/leases":                    s.rpcLeaseLeases,
		"kv/lease/leases":                 s.rpcLeaseLeases,
		"cluster/member/list":             s.rpcMemberList,
		"cluster/member/add":              s.rpcMemberAdd,
		"cluster/member/remove":           s.rpcMemberRemove,
		"cluster/member/update":           s.rpcMemberUpdate,
		"maintenance/status":              s.rpcStatus,
		"maintenance/alarm":               s.rpcAlarm,
		"maintenance/hash":                s.rpcHash,
		"maintenance/hashkv":              s.rpcHashKV,
		"maintenance/defragment":          s.rpcDefragment,
		"maintenance/transfer-leadership": s.rpcMoveLeader,
	}
	streams := map[string]http.HandlerFunc{
		"watch":                  s.serveWatch,
		"lease/keepalive":        s.serveKeepAlive,
		"maintenance/snapshot":   s.serveSnapshot,
		"cluster/member/promote": s.serveMemberPromote,
	}
	mux := http.NewServeMux()
	v3 := func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v3beta/"), "/v3/")
		if h, ok := streams[path]; ok {
			if r.Method != http.MethodPost {
				writeError(w, wire.ErrMethodNotAllowed)
				return
			}
			s.metrics.client.serveStream(path, h, w, r)
			return
		}
		f, ok := rpcs[path]
		if !ok {
			writeError(w, wire.ErrPathNotFound)
			return
		}
		if r.Method != http.MethodPost {
			writeError(w, wire.ErrMethodNotAllowed)
			return
		}
		s.serveUnary(path, f, w, r)
	}
	mux.HandleFunc("/v3/", v3)
	mux.HandleFunc("/v3beta/", v3)
	mux.HandleFunc("/version", s.serveVersion)
	mux.HandleFunc("/health", s.serveHealth)
	mux.HandleFunc("/livez", s.serveLivez)
	mux.HandleFunc("/readyz", s.serveReadyz)
	mux.HandleFunc("/metrics", s.serveMetrics)
	mux.HandleFunc("/debug/raft", s.serveDebugRaft)
	mux.HandleFunc("/debug/control", s.serveDebugControl)
	mux.HandleFunc("/ui", s.serveUI)
	if s.cfg.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return withCORS(mux)
}

// serveUnary answers one unary call and counts it as etcd's gRPC server
// would count the call its gateway makes (ClientAPIMetrics).
func (s *Server) serveUnary(path string, f rpc, w http.ResponseWriter, r *http.Request) {
	c := s.metrics.client
	m := c.gateway[path]
	start := time.Now()
	m.Started("")
	body, werr := s.readBody(w, r)
	var resp wire.Message
	if werr == nil {
		resp, werr = f(r.Context(), body)
	}
	code, sent := wire.OK, 0
	if werr != nil {
		code, sent = werr.Code, writeError(w, werr)
	} else {
		sent = writeMessage(w, resp)
	}
	c.ReceivedBytes(len(body))
	c.SentBytes(sent)
	m.MessageReceived()
	m.MessageSent()
	m.Handled(code, time.Since(start))
}

// withCORS adds the headers etcd's gateway puts on every response.
func withCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Access-Control-Allow-Origin"] = []string{"*"}
		hd["Access-Control-Allow-Methods"] = []string{"POST, GET, OPTIONS, PUT, DELETE"}
		hd["Access-Control-Allow-Headers"] = []string{"accept, content-type, authorization"}
		if r.Method == http.MethodOptions {
			return // a CORS preflight: the headers are the answer
		}
		h.ServeHTTP(w, r)
	})
}

// bodyLimit bounds a request body. The limit etcd enforces, --max-request-
// bytes, is on the request itself, whose bytes travel base64-encoded in JSON
// (4/3 larger) with some JSON around them; the member checks the real size.
func (s *Server) bodyLimit() int64 { return int64(s.cfg.MaxRequestBytes)*4/3 + 64<<10 }

// bodyReadTimeout bounds how long a client may take to send its request, so
// a client that sends slowly ties up only its own connection.
const bodyReadTimeout = 30 * time.Second

func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *wire.Error) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.bodyLimit()))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, wire.ErrRequestTooLarge
	case err != nil:
		return nil, wire.Errorf(wire.InvalidArgument, "%v", err)
	}
	return body, nil
}

func decode(body []byte, m wire.Message) *wire.Error {
	if err := wire.Unmarshal(body, m); err != nil {
		var werr *wire.Error
		if errors.As(err, &werr) {
			return werr
		}
		return wire.Errorf(wire.InvalidArgument, "%v", err)
	}
	return nil
}

// writeMessage and writeError return the bytes of the body they wrote.
func writeMessage(w http.ResponseWriter, m wire.Message) int {
	hd := w.Header()
	hd["Content-Type"] = []string{"application/json"}
	hd["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
	buf := m.AppendJSON(make([]byte, 0, 256))
	n, _ := w.Write(buf)
	return n
}

func writeError(w http.ResponseWriter, e *wire.Error) int {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(e.HTTPStatus())
	n, _ := w.Write(e.AppendJSON(nil))
	return n
}

// header builds a response header from the published view.
func (s *Server) header(rev int64) *wire.ResponseHeader {
	v := s.view.Load()
	return &wire.ResponseHeader{ClusterID: v.ClusterID, MemberID: v.ID, Revision: rev, RaftTerm: v.Term}
}

// write proposes a kv request through raft and waits for its result.
func (s *Server) write(ctx context.Context, req *kv.Request) (Result, *wire.Error) {
	ch := make(chan Result, 1)
	deadline := time.Now().Add(s.requestTimeout())
	if err := s.do(ctx, func(m *Member) { m.Write(req, deadline, func(r Result) { ch <- r }) }); err != nil {
		return Result{}, contextError(err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return r, toError(r.Err)
		}
		return r, nil
	case <-ctx.Done():
		return Result{}, contextError(ctx.Err())
	}
}

// call runs a member operation that answers with a Result.
func (s *Server) call(ctx context.Context, op func(m *Member, deadline time.Time, done func(Result))) (Result, *wire.Error) {
	ch := make(chan Result, 1)
	deadline := time.Now().Add(s.requestTimeout())
	if err := s.do(ctx, func(m *Member) { op(m, deadline, func(r Result) { ch <- r }) }); err != nil {
		return Result{}, contextError(err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return r, toError(r.Err)
		}
		return r, nil
	case <-ctx.Done():
		return Result{}, contextError(ctx.Err())
	}
}

// barrier waits until a read may be served from this member's store
// (immediately for a serializable read).
func (s *Server) barrier(ctx context.Context, linearizable bool) *wire.Error {
	if !linearizable {
		return nil
	}
	ch := make(chan error, 1)
	deadline := time.Now().Add(s.requestTimeout())
	if err := s.do(ctx, func(m *Member) { m.ReadBarrier(true, deadline, func(err error) { ch <- err }) }); err != nil {
		return contextError(err)
	}
	select {
	case err := <-ch:
		if err != nil {
			return toError(err)
		}
		return nil
	case <-ctx.Done():
		return contextError(ctx.Err())
	}
}

func contextError(err error) *wire.Error {
	switch {
	case errors.Is(err, context.Canceled):
		return wire.Errorf(wire.Canceled, "context canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return wire.ErrTimeout
	}
	return toError(err)
}

// decodeStreamError turns a failure to read a streamed request into etcd's error.
func decodeStreamError(err error) *wire.Error {
	var werr *wire.Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &werr):
		return werr
	case errors.As(err, &tooLarge):
		return wire.ErrRequestTooLarge
	case errors.Is(err, io.ErrUnexpectedEOF):
		return wire.Errorf(wire.InvalidArgument, "unexpected EOF")
	}
	return wire.Errorf(wire.InvalidArgument, "%v", err)
}
