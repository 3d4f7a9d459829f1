package v3http

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// Config is what the gateway needs besides its backend.
type Config struct {
	// MaxRequestBytes is --max-request-bytes.
	MaxRequestBytes int
	// Done is closed when the member stops (/livez then says so).
	Done <-chan struct{}
	// Metrics counts the calls (nil: none are counted).
	Metrics api.Metrics
}

// Handler is the JSON gateway.
type Handler struct {
	backend api.Backend
	cfg     Config
	limits  limits
	rpcs    map[string]rpc
	streams map[string]http.HandlerFunc
	metrics api.Metrics
	// methods are the counters of the gRPC method each path stands for.
	methods map[string]api.MethodMetrics
}

// rpc handles one unary call: decode the body into its request, do it,
// return the response or an etcd error.
type rpc func(ctx context.Context, body []byte) (answer, *wire.Error)

// answer is a response: its JSON as etcd's gateway writes it.
type answer interface {
	AppendJSON(b []byte) []byte
}

// New returns the gateway over backend.
func New(backend api.Backend, cfg Config) *Handler {
	h := &Handler{backend: backend, cfg: cfg, limits: newLimits(cfg.MaxRequestBytes), metrics: cfg.Metrics, methods: map[string]api.MethodMetrics{}}
	if h.metrics == nil {
		h.metrics = api.NoMetrics{}
	}
	for path, m := range gatewayMethods() {
		h.methods[path] = h.metrics.Method(m.service, m.method, m.typ)
	}
	h.rpcs = map[string]rpc{
		"kv/range":                        h.rpcRange,
		"kv/put":                          h.rpcPut,
		"kv/deleterange":                  h.rpcDeleteRange,
		"kv/txn":                          h.rpcTxn,
		"kv/compaction":                   h.rpcCompact,
		"lease/grant":                     h.rpcLeaseGrant,
		"lease/revoke":                    h.rpcLeaseRevoke,
		"kv/lease/revoke":                 h.rpcLeaseRevoke,
		"lease/timetolive":                h.rpcLeaseTimeToLive,
		"kv/lease/timetolive":             h.rpcLeaseTimeToLive,
		"lease/leases":                    h.rpcLeaseLeases,
		"kv/lease/leases":                 h.rpcLeaseLeases,
		"cluster/member/list":             h.rpcMemberList,
		"cluster/member/add":              h.rpcMemberAdd,
		"cluster/member/remove":           h.rpcMemberRemove,
		"cluster/member/update":           h.rpcMemberUpdate,
		"cluster/member/promote":          h.rpcMemberPromote,
		"maintenance/status":              h.rpcStatus,
		"maintenance/alarm":               h.rpcAlarm,
		"maintenance/hash":                h.rpcHash,
		"maintenance/hashkv":              h.rpcHashKV,
		"maintenance/defragment":          h.rpcDefragment,
		"maintenance/transfer-leadership": h.rpcMoveLeader,
	}
	for path, f := range h.authRPCs() {
		h.rpcs[path] = f
	}
	h.streams = map[string]http.HandlerFunc{
		"watch":                h.serveWatch,
		"lease/keepalive":      h.serveKeepAlive,
		"maintenance/snapshot": h.serveSnapshot,
	}
	return h
}

// Register adds the gateway's paths to mux. etcd answers them with CORS
// headers (WithCORS): the caller wraps them.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("/v3/", h.serveV3)
	mux.HandleFunc("/v3beta/", h.serveV3)
	mux.Handle("/version", getOnly(h.serveVersion))
	mux.Handle("/health", getOnly(h.serveHealth))
	mux.Handle("/livez", getOnly(h.serveLivez))
	mux.Handle("/readyz", getOnly(h.serveReadyz))
}

func (h *Handler) serveV3(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(api.WithCredentials(r.Context(), credentials(r)))
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v3beta/"), "/v3/")
	if s, ok := h.streams[path]; ok {
		if r.Method != http.MethodPost {
			writeError(w, wire.ErrMethodNotAllowed)
			return
		}
		h.countStream(path, s, w, r)
		return
	}
	f, ok := h.rpcs[path]
	if !ok {
		writeError(w, wire.ErrPathNotFound)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, wire.ErrMethodNotAllowed)
		return
	}
	h.countUnary(path, w, r, func() (received, sent int, code wire.Code) {
		body, werr := h.readBody(w, r)
		if werr == nil {
			var resp answer
			if resp, werr = f(r.Context(), body); werr == nil {
				return len(body), writeMessage(w, resp), wire.OK
			}
		}
		return len(body), writeError(w, werr), werr.Code
	})
}

// credentials are who a request says it comes from: the Authorization
// header's token (with or without "Bearer ", as etcd's gateway passes it
// on), and the common name of a verified client certificate.
func credentials(r *http.Request) api.Credentials {
	c := api.Credentials{Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		c.CommonName = r.TLS.VerifiedChains[0][0].Subject.CommonName
	}
	return c
}

// WithCORS adds the headers etcd puts on every response of its client URLs
// (unknown paths included), and answers a CORS preflight with them alone.
func WithCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Access-Control-Allow-Origin"] = []string{"*"}
		hd["Access-Control-Allow-Methods"] = []string{"POST, GET, OPTIONS, PUT, DELETE"}
		hd["Access-Control-Allow-Headers"] = []string{"accept, content-type, authorization"}
		if r.Method == http.MethodOptions {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// getOnly answers anything but GET as etcd's plain HTTP endpoints do: 405
// with the mux's text.
func getOnly(f http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		f(w, r)
	})
}

// bodyReadTimeout bounds how long a client may take to send its request, so
// a client that sends slowly ties up only its own connection.
const bodyReadTimeout = 30 * time.Second

// readBody reads a unary request's body, refusing one that even as JSON
// cannot be under the gRPC receive limit (limits.go).
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *wire.Error) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.limits.maxJSONBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, h.limits.tooLargeForGRPC(tooLarge.Limit + 1)
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
func writeMessage(w http.ResponseWriter, m answer) int {
	hd := w.Header()
	hd["Content-Type"] = []string{"application/json"}
	hd["Grpc-Metadata-Content-Type"] = []string{"application/grpc"}
	buf := m.AppendJSON(make([]byte, 0, 256))
	n, _ := w.Write(buf)
	return n
}

func writeError(w http.ResponseWriter, e *wire.Error) int {
	w.Header()["Content-Type"] = []string{"application/json"}
	if e.Code == wire.Unauthenticated {
		// As etcd's gateway does (RFC 7235 asks a 401 to say how to authenticate).
		w.Header()["Www-Authenticate"] = []string{e.Message}
	}
	w.WriteHeader(e.HTTPStatus())
	n, _ := w.Write(e.AppendJSON(nil))
	return n
}

// asError turns a backend's error into etcd's.
func asError(err error) *wire.Error {
	var e *wire.Error
	if errors.As(err, &e) {
		return e
	}
	return &wire.Error{Code: wire.Unknown, Message: err.Error()}
}

// decodeStreamError turns a failure to read a streamed request into etcd's error.
func decodeStreamError(err error) *wire.Error {
	var werr *wire.Error
	switch {
	case errors.As(err, &werr):
		return werr
	case errors.Is(err, io.ErrUnexpectedEOF):
		return wire.Errorf(wire.InvalidArgument, "unexpected EOF")
	}
	return wire.Errorf(wire.InvalidArgument, "%v", err)
}
