package v3http

import (
	"io"
	"net/http"
	"time"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// In etcd a JSON gateway call is a gRPC call — the gateway is a gRPC
// client of its own server — so it is counted in the grpc_server_*
// families under the method it maps to. raftkv's gateway counts its calls
// the same way (api.Metrics). Its byte counts are the JSON it reads and
// writes, where etcd counts the protobuf its gateway exchanges with the
// gRPC server.

// gatewayMethod is the gRPC method etcd's gateway calls for a path.
type gatewayMethod struct {
	service, method string
	typ             api.RPCType
}

// gatewayMethods maps the gateway's paths (under /v3/) to the gRPC methods
// etcd's gateway calls for them.
func gatewayMethods() map[string]gatewayMethod {
	return map[string]gatewayMethod{
		"kv/range":                        {"etcdserverpb.KV", "Range", api.RPCUnary},
		"kv/put":                          {"etcdserverpb.KV", "Put", api.RPCUnary},
		"kv/deleterange":                  {"etcdserverpb.KV", "DeleteRange", api.RPCUnary},
		"kv/txn":                          {"etcdserverpb.KV", "Txn", api.RPCUnary},
		"kv/compaction":                   {"etcdserverpb.KV", "Compact", api.RPCUnary},
		"watch":                           {"etcdserverpb.Watch", "Watch", api.RPCBidiStream},
		"lease/grant":                     {"etcdserverpb.Lease", "LeaseGrant", api.RPCUnary},
		"lease/revoke":                    {"etcdserverpb.Lease", "LeaseRevoke", api.RPCUnary},
		"kv/lease/revoke":                 {"etcdserverpb.Lease", "LeaseRevoke", api.RPCUnary},
		"lease/keepalive":                 {"etcdserverpb.Lease", "LeaseKeepAlive", api.RPCBidiStream},
		"lease/timetolive":                {"etcdserverpb.Lease", "LeaseTimeToLive", api.RPCUnary},
		"kv/lease/timetolive":             {"etcdserverpb.Lease", "LeaseTimeToLive", api.RPCUnary},
		"lease/leases":                    {"etcdserverpb.Lease", "LeaseLeases", api.RPCUnary},
		"kv/lease/leases":                 {"etcdserverpb.Lease", "LeaseLeases", api.RPCUnary},
		"cluster/member/add":              {"etcdserverpb.Cluster", "MemberAdd", api.RPCUnary},
		"cluster/member/remove":           {"etcdserverpb.Cluster", "MemberRemove", api.RPCUnary},
		"cluster/member/update":           {"etcdserverpb.Cluster", "MemberUpdate", api.RPCUnary},
		"cluster/member/list":             {"etcdserverpb.Cluster", "MemberList", api.RPCUnary},
		"cluster/member/promote":          {"etcdserverpb.Cluster", "MemberPromote", api.RPCUnary},
		"maintenance/alarm":               {"etcdserverpb.Maintenance", "Alarm", api.RPCUnary},
		"maintenance/status":              {"etcdserverpb.Maintenance", "Status", api.RPCUnary},
		"maintenance/defragment":          {"etcdserverpb.Maintenance", "Defragment", api.RPCUnary},
		"maintenance/hash":                {"etcdserverpb.Maintenance", "Hash", api.RPCUnary},
		"maintenance/hashkv":              {"etcdserverpb.Maintenance", "HashKV", api.RPCUnary},
		"maintenance/snapshot":            {"etcdserverpb.Maintenance", "Snapshot", api.RPCServerStream},
		"maintenance/transfer-leadership": {"etcdserverpb.Maintenance", "MoveLeader", api.RPCUnary},
		"auth/enable":                     {"etcdserverpb.Auth", "AuthEnable", api.RPCUnary},
		"auth/disable":                    {"etcdserverpb.Auth", "AuthDisable", api.RPCUnary},
		"auth/status":                     {"etcdserverpb.Auth", "AuthStatus", api.RPCUnary},
		"auth/authenticate":               {"etcdserverpb.Auth", "Authenticate", api.RPCUnary},
		"auth/user/add":                   {"etcdserverpb.Auth", "UserAdd", api.RPCUnary},
		"auth/user/get":                   {"etcdserverpb.Auth", "UserGet", api.RPCUnary},
		"auth/user/list":                  {"etcdserverpb.Auth", "UserList", api.RPCUnary},
		"auth/user/delete":                {"etcdserverpb.Auth", "UserDelete", api.RPCUnary},
		"auth/user/changepw":              {"etcdserverpb.Auth", "UserChangePassword", api.RPCUnary},
		"auth/user/grant":                 {"etcdserverpb.Auth", "UserGrantRole", api.RPCUnary},
		"auth/user/revoke":                {"etcdserverpb.Auth", "UserRevokeRole", api.RPCUnary},
		"auth/role/add":                   {"etcdserverpb.Auth", "RoleAdd", api.RPCUnary},
		"auth/role/get":                   {"etcdserverpb.Auth", "RoleGet", api.RPCUnary},
		"auth/role/list":                  {"etcdserverpb.Auth", "RoleList", api.RPCUnary},
		"auth/role/delete":                {"etcdserverpb.Auth", "RoleDelete", api.RPCUnary},
		"auth/role/grant":                 {"etcdserverpb.Auth", "RoleGrantPermission", api.RPCUnary},
		"auth/role/revoke":                {"etcdserverpb.Auth", "RoleRevokePermission", api.RPCUnary},
	}
}

// countUnary answers one unary call with serve and counts it.
func (h *Handler) countUnary(path string, w http.ResponseWriter, r *http.Request, serve func() (received, sent int, code wire.Code)) {
	m := h.methods[path]
	start := time.Now()
	m.Started("")
	received, sent, code := serve()
	h.metrics.ReceivedBytes(received)
	h.metrics.SentBytes(sent)
	m.MessageReceived()
	m.MessageSent()
	m.Handled(code, time.Since(start))
}

// countStream runs a streaming handler and counts the call. The handler
// writes its own answer, so the call's status code is read from it: an
// HTTP error status gives the code it stands for; a stream that the client
// ended is Canceled, as gRPC reports it; anything else is OK, even a stream
// that carried an error in one of its messages.
func (h *Handler) countStream(path string, serve http.HandlerFunc, w http.ResponseWriter, r *http.Request) {
	m := h.methods[path]
	start := time.Now()
	m.Started("")
	if path == "watch" {
		h.metrics.WatchStreamOpened()
		defer h.metrics.WatchStreamClosed()
	}
	x := &countedExchange{w: countingResponse{ResponseWriter: w, m: h.metrics}, body: countingBody{ReadCloser: r.Body, m: h.metrics}}
	r.Body = &x.body
	serve(&x.w, r)
	code := wire.OK
	switch {
	case x.w.status != 0 && x.w.status != http.StatusOK:
		code = wire.CodeFromHTTPStatus(x.w.status)
	case r.Context().Err() != nil:
		code = wire.Canceled
	}
	m.Handled(code, time.Since(start))
}

// countedExchange counts a streaming call's bytes both ways, in one
// allocation.
type countedExchange struct {
	w    countingResponse
	body countingBody
}

// countingResponse counts the bytes written and remembers the status. It
// unwraps for http.ResponseController (the stream handlers flush and set
// deadlines through it).
type countingResponse struct {
	http.ResponseWriter
	m      api.Metrics
	status int
}

func (w *countingResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingResponse) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.m.SentBytes(n)
	return n, err
}

func (w *countingResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts the bytes of a request body as they are read.
type countingBody struct {
	io.ReadCloser
	m api.Metrics
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.m.ReceivedBytes(n)
	return n, err
}
