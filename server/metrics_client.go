package server

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raftkv/raftkv/client/wire"
)

// ClientAPIMetrics counts the client API's traffic under etcd's names:
//
//   - the bytes clients send and receive
//     (etcd_network_client_grpc_{received,sent}_bytes_total);
//   - calls by gRPC method and status code — grpc_server_started_total,
//     grpc_server_handled_total, grpc_server_msg_{received,sent}_total and
//     grpc_server_handling_seconds, the families etcd's gRPC server exports
//     and its dashboard and alerts read — and calls by client API version
//     (etcd_server_client_requests_total);
//   - open watch streams (etcd_debugging_mvcc_watch_stream_total) and the
//     ranges an adapter evaluated on the store itself rather than through
//     the log (part of etcd_mvcc_range_total).
//
// Every client API adapter reports here, so that each family counts all of
// them once. The JSON gateway in this package does (gateway.go). A gRPC
// adapter should call the same methods: Method once per gRPC method when
// it starts, then Started, MessageReceived, MessageSent and Handled from
// its interceptors, and ReceivedBytes and SentBytes from its codec (etcd
// counts the bytes its codec unmarshals and marshals). All methods are safe
// for concurrent use.
//
// In etcd a JSON gateway call is a gRPC call — the gateway is a gRPC
// client of its own server — so it shows in the grpc_server_* families
// under the method it maps to, and raftkv's gateway counts its calls the
// same way. Its byte counts are the JSON it reads and writes, where etcd
// counts the protobuf messages its gateway exchanges with the gRPC server.
type ClientAPIMetrics struct {
	receivedBytes, sentBytes prometheus.Counter
	started, handled         *prometheus.CounterVec
	msgReceived, msgSent     *prometheus.CounterVec
	handling                 *prometheus.HistogramVec
	requests                 *prometheus.CounterVec
	watchStreams             prometheus.Gauge
	servedRanges             atomic.Uint64

	// gateway holds the metrics of the gRPC method each JSON gateway path
	// stands for.
	gateway map[string]*MethodMetrics
}

// RPCType is a gRPC method's kind, spelled as the grpc_type label has it.
type RPCType string

// The kinds of gRPC methods.
const (
	RPCUnary        RPCType = "unary"
	RPCClientStream RPCType = "client_stream"
	RPCServerStream RPCType = "server_stream"
	RPCBidiStream   RPCType = "bidi_stream"
)

// gatewayMethod is the gRPC method etcd's gateway calls for a path.
type gatewayMethod struct {
	service, method string
	typ             RPCType
}

// gatewayMethods maps the JSON gateway's paths (under /v3/) to the gRPC
// methods etcd's gateway calls for them.
func gatewayMethods() map[string]gatewayMethod {
	return map[string]gatewayMethod{
		"kv/range":                        {"etcdserverpb.KV", "Range", RPCUnary},
		"kv/put":                          {"etcdserverpb.KV", "Put", RPCUnary},
		"kv/deleterange":                  {"etcdserverpb.KV", "DeleteRange", RPCUnary},
		"kv/txn":                          {"etcdserverpb.KV", "Txn", RPCUnary},
		"kv/compaction":                   {"etcdserverpb.KV", "Compact", RPCUnary},
		"watch":                           {"etcdserverpb.Watch", "Watch", RPCBidiStream},
		"lease/grant":                     {"etcdserverpb.Lease", "LeaseGrant", RPCUnary},
		"lease/revoke":                    {"etcdserverpb.Lease", "LeaseRevoke", RPCUnary},
		"kv/lease/revoke":                 {"etcdserverpb.Lease", "LeaseRevoke", RPCUnary},
		"lease/keepalive":                 {"etcdserverpb.Lease", "LeaseKeepAlive", RPCBidiStream},
		"lease/timetolive":                {"etcdserverpb.Lease", "LeaseTimeToLive", RPCUnary},
		"kv/lease/timetolive":             {"etcdserverpb.Lease", "LeaseTimeToLive", RPCUnary},
		"lease/leases":                    {"etcdserverpb.Lease", "LeaseLeases", RPCUnary},
		"kv/lease/leases":                 {"etcdserverpb.Lease", "LeaseLeases", RPCUnary},
		"cluster/member/add":              {"etcdserverpb.Cluster", "MemberAdd", RPCUnary},
		"cluster/member/remove":           {"etcdserverpb.Cluster", "MemberRemove", RPCUnary},
		"cluster/member/update":           {"etcdserverpb.Cluster", "MemberUpdate", RPCUnary},
		"cluster/member/list":             {"etcdserverpb.Cluster", "MemberList", RPCUnary},
		"cluster/member/promote":          {"etcdserverpb.Cluster", "MemberPromote", RPCUnary},
		"maintenance/alarm":               {"etcdserverpb.Maintenance", "Alarm", RPCUnary},
		"maintenance/status":              {"etcdserverpb.Maintenance", "Status", RPCUnary},
		"maintenance/defragment":          {"etcdserverpb.Maintenance", "Defragment", RPCUnary},
		"maintenance/hash":                {"etcdserverpb.Maintenance", "Hash", RPCUnary},
		"maintenance/hashkv":              {"etcdserverpb.Maintenance", "HashKV", RPCUnary},
		"maintenance/snapshot":            {"etcdserverpb.Maintenance", "Snapshot", RPCServerStream},
		"maintenance/transfer-leadership": {"etcdserverpb.Maintenance", "MoveLeader", RPCUnary},
	}
}

func newClientAPIMetrics() *ClientAPIMetrics {
	method := []string{"grpc_type", "grpc_service", "grpc_method"}
	c := &ClientAPIMetrics{
		receivedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_network_client_grpc_received_bytes_total",
			Help: "The total number of bytes received from grpc clients.",
		}),
		sentBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_network_client_grpc_sent_bytes_total",
			Help: "The total number of bytes sent to grpc clients.",
		}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_started_total",
			Help: "Total number of RPCs started on the server.",
		}, method),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_handled_total",
			Help: "Total number of RPCs completed on the server, regardless of success or failure.",
		}, append(method, "grpc_code")),
		msgReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_msg_received_total",
			Help: "Total number of RPC stream messages received on the server.",
		}, method),
		msgSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_msg_sent_total",
			Help: "Total number of gRPC stream messages sent by the server.",
		}, method),
		// etcd exports this histogram with --metrics=extensive only; raftkv
		// always does, so that the alert on slow requests has its input.
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grpc_server_handling_seconds",
			Help:    "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
			Buckets: prometheus.DefBuckets,
		}, method),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "etcd_server_client_requests_total",
			Help: "The total number of client requests per client version.",
		}, []string{"type", "client_api_version"}),
		watchStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "etcd_debugging_mvcc_watch_stream_total",
			Help: "Total number of watch streams.",
		}),
		gateway: map[string]*MethodMetrics{},
	}
	for path, m := range gatewayMethods() {
		c.gateway[path] = c.Method(m.service, m.method, m.typ)
	}
	return c
}

// Describe and Collect make ClientAPIMetrics one prometheus.Collector.
func (c *ClientAPIMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, col := range c.collectors() {
		col.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (c *ClientAPIMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, col := range c.collectors() {
		col.Collect(ch)
	}
}

func (c *ClientAPIMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.receivedBytes, c.sentBytes, c.started, c.handled,
		c.msgReceived, c.msgSent, c.handling, c.requests, c.watchStreams}
}

// ReceivedBytes counts bytes of requests received from clients.
func (c *ClientAPIMetrics) ReceivedBytes(n int) { c.receivedBytes.Add(float64(n)) }

// SentBytes counts bytes of responses sent to clients.
func (c *ClientAPIMetrics) SentBytes(n int) { c.sentBytes.Add(float64(n)) }

// WatchStreamOpened and WatchStreamClosed bracket a client's watch stream.
func (c *ClientAPIMetrics) WatchStreamOpened() { c.watchStreams.Inc() }

// WatchStreamClosed: see WatchStreamOpened.
func (c *ClientAPIMetrics) WatchStreamClosed() { c.watchStreams.Dec() }

// ServedRanges counts ranges an adapter evaluated on the store itself
// (kv.Store.Range, ReadTxn) rather than through the log. Ranges inside
// transactions that go through the log are counted as they are applied.
func (c *ClientAPIMetrics) ServedRanges(n int) { c.servedRanges.Add(uint64(n)) }

// Method returns the metrics of one gRPC method. Its series are created
// now, at zero, as etcd's gRPC server creates them for every method it
// serves, so that a rate over them is defined from the first call: every
// status code's count of finished calls and, for a unary method, its
// message counts. A streaming method's message counts appear with its
// first message (the JSON gateway does not count its streams' messages).
func (c *ClientAPIMetrics) Method(service, method string, typ RPCType) *MethodMetrics {
	m := &MethodMetrics{c: c, labels: []string{string(typ), service, method}, kind: "stream"}
	m.started = c.started.WithLabelValues(m.labels...)
	m.handling = c.handling.WithLabelValues(m.labels...)
	for code := range m.handled {
		m.handled[code] = c.handled.WithLabelValues(string(typ), service, method, wire.Code(code).String())
	}
	if typ == RPCUnary {
		m.kind = "unary"
		m.received = c.msgReceived.WithLabelValues(m.labels...)
		m.sent = c.msgSent.WithLabelValues(m.labels...)
	}
	m.unknownVersion = c.requests.WithLabelValues(m.kind, "unknown")
	return m
}

// MethodMetrics counts the calls of one gRPC method. A nil *MethodMetrics
// counts nothing (a gateway path that maps to no method).
type MethodMetrics struct {
	c      *ClientAPIMetrics
	labels []string // grpc_type, grpc_service, grpc_method
	kind   string   // etcd_server_client_requests_total's type: "unary" or "stream"

	started        prometheus.Counter
	handled        [wire.Unauthenticated + 1]prometheus.Counter // by status code
	handling       prometheus.Observer
	received, sent prometheus.Counter // nil for a streaming method
	// unknownVersion counts calls from clients that did not say their API
	// version (the JSON gateway's never do).
	unknownVersion prometheus.Counter
}

// Started counts a call that began. clientAPIVersion is what the client
// said its API version was (gRPC metadata "client-api-version"); "" stands
// for a client that did not say, etcd's "unknown".
func (m *MethodMetrics) Started(clientAPIVersion string) {
	if m == nil {
		return
	}
	m.started.Inc()
	if clientAPIVersion == "" {
		m.unknownVersion.Inc()
	} else {
		m.c.requests.WithLabelValues(m.kind, clientAPIVersion).Inc()
	}
}

// MessageReceived counts a message received on the call.
func (m *MethodMetrics) MessageReceived() {
	switch {
	case m == nil:
	case m.received != nil:
		m.received.Inc()
	default:
		m.c.msgReceived.WithLabelValues(m.labels...).Inc()
	}
}

// MessageSent counts a message sent on the call.
func (m *MethodMetrics) MessageSent() {
	switch {
	case m == nil:
	case m.sent != nil:
		m.sent.Inc()
	default:
		m.c.msgSent.WithLabelValues(m.labels...).Inc()
	}
}

// Handled counts a call that ended with code, elapsed after it started.
func (m *MethodMetrics) Handled(code wire.Code, elapsed time.Duration) {
	if m == nil {
		return
	}
	if code < 0 || int(code) >= len(m.handled) {
		code = wire.Unknown
	}
	m.handled[code].Inc()
	m.handling.Observe(elapsed.Seconds())
}

// serveStream runs one of the JSON gateway's streaming handlers (and
// MemberPromote, which may be forwarded to the leader) and counts the call.
// The handler writes its own answer, so the call's status code is read
// from it: an HTTP error status gives the code it stands for; a stream
// that the client ended is Canceled, as gRPC reports it; anything else is
// OK, even a stream that carried an error in one of its messages.
func (c *ClientAPIMetrics) serveStream(path string, h http.HandlerFunc, w http.ResponseWriter, r *http.Request) {
	m := c.gateway[path]
	start := time.Now()
	m.Started("")
	if path == "watch" {
		c.WatchStreamOpened()
		defer c.WatchStreamClosed()
	}
	x := &countedExchange{w: countingResponse{ResponseWriter: w, c: c}, body: countingBody{ReadCloser: r.Body, c: c}}
	r.Body = &x.body
	h(&x.w, r)
	code := wire.OK
	switch {
	case x.w.status != 0 && x.w.status != http.StatusOK:
		code = wire.CodeFromHTTPStatus(x.w.status)
	case r.Context().Err() != nil:
		code = wire.Canceled
	}
	if m != nil && m.kind == "unary" {
		m.MessageReceived()
		m.MessageSent()
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
	c      *ClientAPIMetrics
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
	w.c.SentBytes(n)
	return n, err
}

func (w *countingResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts the bytes of a request body as they are read.
type countingBody struct {
	io.ReadCloser
	c *ClientAPIMetrics
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.ReceivedBytes(n)
	return n, err
}
