// Package gateway is etcd's other proxy mode, `raftkv gateway start`: a
// plain TCP forwarder. Each client connection is joined, byte for byte, to
// a connection to one member, chosen round-robin among those that last
// answered; a member that refuses a connection is passed over until a
// later check (every RetryDelay) finds it up again.
//
// It understands nothing of what passes through — gRPC or the JSON
// gateway, TLS or not — so it shares nothing and caches nothing: every
// client still costs the member it lands on its own watches and reads. It
// spares clients the list of members (they know one address) and spreads
// connections; the grpc-proxy (package proxy) is the mode that takes load
// off the cluster. A connection whose member dies is cut, and its client
// connects again (to the next member).
package gateway
