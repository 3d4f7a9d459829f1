package server

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
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
// Both client API adapters (server/v3rpc, server/v3http) report here, as
// api.Metrics, so that each family counts all of them once. All methods are
// safe for concurrent use.
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
}

var _ api.Metrics = (*ClientAPIMetrics)(nil)

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
func (c *ClientAPIMetrics) Method(service, method string, typ api.RPCType) api.MethodMetrics {
	m := &MethodMetrics{c: c, labels: []string{string(typ), service, method}, kind: "stream"}
	m.started = c.started.WithLabelValues(m.labels...)
	m.handling = c.handling.WithLabelValues(m.labels...)
	for code := range m.handled {
		m.handled[code] = c.handled.WithLabelValues(string(typ), service, method, wire.Code(code).String())
	}
	if typ == api.RPCUnary {
		m.kind = "unary"
		m.received = c.msgReceived.WithLabelValues(m.labels...)
		m.sent = c.msgSent.WithLabelValues(m.labels...)
	}
	m.unknownVersion = c.requests.WithLabelValues(m.kind, "unknown")
	return m
}

// MethodMetrics counts the calls of one gRPC method (api.MethodMetrics).
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
	// lastVersion is the counter of the client API version last seen: a
	// cluster's clients nearly always say the same one, and looking a
	// counter up by its labels costs a hash of them on every call.
	lastVersion atomic.Pointer[versionCounter]
}

// versionCounter is etcd_server_client_requests_total for one version.
type versionCounter struct {
	version string
	counter prometheus.Counter
}

// Started counts a call that began. clientAPIVersion is what the client
// said its API version was (gRPC metadata "client-api-version"); "" stands
// for a client that did not say, etcd's "unknown".
func (m *MethodMetrics) Started(clientAPIVersion string) {
	m.started.Inc()
	if clientAPIVersion == "" {
		m.unknownVersion.Inc()
		return
	}
	if vc := m.lastVersion.Load(); vc != nil && vc.version == clientAPIVersion {
		vc.counter.Inc()
		return
	}
	vc := &versionCounter{version: clientAPIVersion, counter: m.c.requests.WithLabelValues(m.kind, clientAPIVersion)}
	m.lastVersion.Store(vc)
	vc.counter.Inc()
}

// MessageReceived counts a message received on the call.
func (m *MethodMetrics) MessageReceived() {
	switch {
	case m.received != nil:
		m.received.Inc()
	default:
		m.c.msgReceived.WithLabelValues(m.labels...).Inc()
	}
}

// MessageSent counts a message sent on the call.
func (m *MethodMetrics) MessageSent() {
	switch {
	case m.sent != nil:
		m.sent.Inc()
	default:
		m.c.msgSent.WithLabelValues(m.labels...).Inc()
	}
}

// Handled counts a call that ended with code, elapsed after it started.
func (m *MethodMetrics) Handled(code wire.Code, elapsed time.Duration) {
	if code < 0 || int(code) >= len(m.handled) {
		code = wire.Unknown
	}
	m.handled[code].Inc()
	m.handling.Observe(elapsed.Seconds())
}
