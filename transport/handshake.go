package transport

import (
	"fmt"
	"net/http"
	"strconv"
)

// Every connection between members starts as an HTTP/1.1 request on the
// peer URL, for three reasons: the peer port can serve other things beside
// raft (a server mounts the transport under PathPrefix on its own mux),
// TLS and mutual TLS come for free from net/http, and an operator can point
// curl at it and get an answer that makes sense.
//
// The request carries the handshake in headers, and the receiver checks it
// before anything else happens:
//
//   - the protocol version, so that a future, incompatible wire format is
//     refused with a clear reason instead of being misparsed;
//   - the cluster ID, so that a member of another cluster — say one started
//     with an old data directory or a copy-pasted --initial-cluster — can
//     never inject its messages into ours: Raft's safety assumes every
//     message comes from a member of this cluster's configuration;
//   - the sender's member ID, which every message on the connection must
//     then carry as From;
//   - the receiver's member ID, so that a URL now used by another member
//     (a replaced machine) does not get messages meant for its predecessor.
//
// A refused connection is answered with an HTTP error whose body says why,
// and both sides log it.
const (
	// PathPrefix is where a server mounts the transport on its peer mux:
	//	mux.Handle(transport.PathPrefix, tr)
	PathPrefix = "/raft/"

	streamPath   = PathPrefix + "stream"
	snapshotPath = PathPrefix + "snapshot"

	// protocolVersion is this transport's wire format: the frames of
	// frame.go and the snapshot body of snapshot.go.
	protocolVersion = 1
	// upgradeToken names the protocol a stream request switches to.
	upgradeToken = "raftkv-stream"

	hdrProtocol  = "X-Raftkv-Protocol"
	hdrClusterID = "X-Raftkv-Cluster-Id"
	hdrFrom      = "X-Raftkv-From"
	hdrTo        = "X-Raftkv-To"
	// hdrMemberID is set on every answer: who actually answered.
	hdrMemberID = "X-Raftkv-Member-Id"
)

// handshake is what a connecting member says about itself.
type handshake struct {
	version   uint64
	clusterID uint64
	from, to  uint64
}

// header encodes h as request headers. IDs are hexadecimal, as etcd prints
// member IDs.
func (h handshake) header() http.Header {
	return http.Header{
		hdrProtocol:  {strconv.FormatUint(h.version, 10)},
		hdrClusterID: {strconv.FormatUint(h.clusterID, 16)},
		hdrFrom:      {strconv.FormatUint(h.from, 16)},
		hdrTo:        {strconv.FormatUint(h.to, 16)},
	}
}

// parseHandshake decodes request headers; the error says which header is
// missing or malformed.
func parseHandshake(hdr http.Header) (handshake, error) {
	var h handshake
	fields := []struct {
		name string
		base int
		dst  *uint64
	}{
		{hdrProtocol, 10, &h.version},
		{hdrClusterID, 16, &h.clusterID},
		{hdrFrom, 16, &h.from},
		{hdrTo, 16, &h.to},
	}
	for _, f := range fields {
		s := hdr.Get(f.name)
		if s == "" {
			return h, fmt.Errorf("missing header %s", f.name)
		}
		v, err := strconv.ParseUint(s, f.base, 64)
		if err != nil {
			return h, fmt.Errorf("malformed header %s: %q", f.name, s)
		}
		*f.dst = v
	}
	if h.from == 0 {
		return h, fmt.Errorf("header %s: member ID 0 is not a member", hdrFrom)
	}
	return h, nil
}

// rejection is why a handshake was refused, with the HTTP status that says it.
type rejection struct {
	status int
	reason string
}

// checkHandshake decides whether member local of cluster accepts h.
func checkHandshake(h handshake, cluster, local uint64) *rejection {
	switch {
	case h.version != protocolVersion:
		return &rejection{http.StatusBadRequest,
			fmt.Sprintf("unsupported protocol version %d (this member speaks %d)", h.version, protocolVersion)}
	case h.clusterID != cluster:
		// 412 Precondition Failed, as etcd answers a cluster ID mismatch.
		return &rejection{http.StatusPreconditionFailed,
			fmt.Sprintf("cluster ID mismatch (local %x, remote %x)", cluster, h.clusterID)}
	case h.to != local:
		return &rejection{http.StatusPreconditionFailed,
			fmt.Sprintf("member ID mismatch (this is member %x, the connection is for member %x)", local, h.to)}
	case h.from == local:
		return &rejection{http.StatusPreconditionFailed,
			fmt.Sprintf("member %x cannot connect to itself", local)}
	}
	return nil
}

// refusal turns a refused handshake's answer, seen from the dialling side,
// into an error. When the answer names the peer's cluster, the reason is
// rebuilt from the dialler's point of view ("local" is the dialler), so
// that both sides' log lines read naturally.
func refusal(peer, cluster uint64, resp *http.Response, body string) error {
	reason := body
	// Name whoever actually answered: at a stale URL it may not be peer.
	who := peer
	if s := resp.Header.Get(hdrMemberID); s != "" {
		if id, err := strconv.ParseUint(s, 16, 64); err == nil {
			who = id
		}
	}
	if s := resp.Header.Get(hdrClusterID); s != "" {
		if theirs, err := strconv.ParseUint(s, 16, 64); err == nil && theirs != cluster {
			reason = fmt.Sprintf("cluster ID mismatch (local %x, remote %x)", cluster, theirs)
		}
	}
	if reason == "" {
		reason = resp.Status
	}
	return &refusedError{Member: who, Status: resp.StatusCode, Reason: reason}
}

// refusedError is returned (and logged) when a peer refuses our handshake.
type refusedError struct {
	Member uint64 // who refused
	Status int
	Reason string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("member %x refused the connection: %s", e.Member, e.Reason)
}
