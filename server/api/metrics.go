package api

import (
	"time"

	"github.com/raftkv/raftkv/client/wire"
)

// Metrics counts the client API's traffic as etcd's gRPC server counts it
// (the grpc_server_* families, etcd_network_client_grpc_*_bytes_total, and
// the watch streams): both adapters report their calls here, a JSON
// gateway call as the gRPC call it stands for — in etcd a gateway call is
// a gRPC call. All methods are safe for concurrent use.
type Metrics interface {
	// Method returns the counters of one gRPC method, for instance
	// ("etcdserverpb.KV", "Range", RPCUnary).
	Method(service, method string, typ RPCType) MethodMetrics
	// ReceivedBytes and SentBytes count the bytes of requests and answers.
	ReceivedBytes(n int)
	SentBytes(n int)
	// WatchStreamOpened and WatchStreamClosed bracket a watch stream.
	WatchStreamOpened()
	WatchStreamClosed()
}

// MethodMetrics counts the calls of one gRPC method.
type MethodMetrics interface {
	// Started counts a call that began; clientAPIVersion is what the
	// client said its API version was ("" if it did not say).
	Started(clientAPIVersion string)
	MessageReceived()
	MessageSent()
	// Handled counts a call that ended with code, elapsed after it began.
	Handled(code wire.Code, elapsed time.Duration)
}

// RPCType is a gRPC method's kind, as the grpc_type label spells it.
type RPCType string

// The kinds of gRPC methods.
const (
	RPCUnary        RPCType = "unary"
	RPCClientStream RPCType = "client_stream"
	RPCServerStream RPCType = "server_stream"
	RPCBidiStream   RPCType = "bidi_stream"
)

// NoMetrics counts nothing.
type NoMetrics struct{}

func (NoMetrics) Method(string, string, RPCType) MethodMetrics { return noMethodMetrics{} }
func (NoMetrics) ReceivedBytes(int)                            {}
func (NoMetrics) SentBytes(int)                                {}
func (NoMetrics) WatchStreamOpened()                           {}
func (NoMetrics) WatchStreamClosed()                           {}

type noMethodMetrics struct{}

func (noMethodMetrics) Started(string)                   {}
func (noMethodMetrics) MessageReceived()                 {}
func (noMethodMetrics) MessageSent()                     {}
func (noMethodMetrics) Handled(wire.Code, time.Duration) {}
