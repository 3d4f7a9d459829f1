// Package wire holds the messages of raftkv's client API and their JSON
// encoding, which is byte for byte the encoding of etcd v3's JSON gateway.
//
// The client (package client) encodes requests and decodes responses with
// it; the server decodes requests and encodes responses with the very same
// types, so the two cannot drift apart, and both match etcd: any etcd client
// that speaks the gateway's JSON works with raftkv, and curl transcripts
// taken against etcd (testdata/etcd-json-gateway.md) are our golden tests.
//
// # What etcd's JSON looks like, and why
//
// etcd's API is defined in protobuf (rpc.proto); its HTTP gateway turns each
// message into JSON with protojson. That mapping explains every oddity a
// reader will meet on the wire:
//
//   - field names are the proto's (cluster_id, prev_kv, but ID, TTL,
//     dbSize, peerURLs where the proto spells them so);
//   - 64-bit integers are strings, "revision":"2": JSON numbers are doubles
//     in JavaScript and would lose precision past 2^53;
//   - bytes (keys and values) are base64, since JSON strings must be text;
//   - enums are names, "type":"DELETE";
//   - a field equal to its zero value is left out (proto3 cannot tell "0"
//     from "not set"), except messages, which are written as {} when set;
//   - fields come in proto field-number order.
//
// On input the gateway is lenient (numbers or strings for 64-bit integers,
// names or numbers for enums, unknown fields and unknown enum names ignored,
// an empty body meaning {}) and strict about the rest (malformed JSON, bad
// base64, a value of the wrong kind, a field given twice). Unmarshal does the
// same and reports errors as etcd does: an *Error with code InvalidArgument
// (HTTP 400) and etcd's words, for instance
//
//	proto: (line 1:8): invalid value for bytes field key: "foo!"
//
// # How a server uses this package
//
// Decode a unary request, encode its answer, or send an error:
//
//	var req wire.PutRequest
//	if err := wire.Unmarshal(body, &req); err != nil {
//		e := err.(*wire.Error) // always an *Error: InvalidArgument, etcd's text
//		w.WriteHeader(e.HTTPStatus())
//		w.Write(e.AppendJSON(nil))
//		return
//	}
//	buf = resp.AppendJSON(buf[:0]) // reuse buf: no allocation
//
// etcd's own errors are here with etcd's codes and texts (ErrCompacted,
// ErrLeaseNotFound, ErrNoLeader, ErrPermissionDenied, ErrInvalidAuthToken, ...): write them with AppendJSON and their
// HTTPStatus, and a client can test for them with errors.Is.
//
// Streams (/v3/watch, /v3/lease/keepalive, /v3/maintenance/snapshot): read
// the request objects one by one with a StreamDecoder, as they arrive, and
// write each answer with AppendStreamResult ({"result":...} and a newline),
// flushing after each; end a stream on error with AppendStreamError.
//
// # Hand-written and tagged messages
//
// A message's JSON is written in one of two ways. The messages of the hot
// paths have hand-written encoders and decoders: range, put, deleterange,
// txn and their parts (kv.go), watch requests, responses and events
// (watch.go), the lease messages (lease.go: keepalives come every few
// seconds from every client holding a lease), the header and the
// key-value, and the snapshot stream's chunks. A server answers thousands
// of them a second; these append into a reused buffer and decode without
// reflection, allocating only the bytes they return. The price is that each
// field is spelled four times (tag, encoder, and the decoder's two names),
// kept honest by the golden transcripts. Compare is hand-written for a
// second reason: the value it compares is a oneof of scalars, written even
// when zero, which struct tags cannot say. /version and /health are not
// proto messages at all (etcd writes them with encoding/json: every field,
// always).
//
// The cold messages are tagged: the auth API (auth.go), membership
// (cluster.go) and maintenance (maintenance.go: status, hash, hashkv,
// alarm, move-leader). Each is a struct with its proto names in its json
// tags and two one-line methods that hand it to the tagged codec
// (tagged.go), which reads the struct by reflection. A field is spelled
// once. They are a few calls in a cluster's life, so the microseconds of
// reflection do not matter. tagged_test.go holds the tagged codec to the
// hand-written one on every hand-written message (same bytes, same values,
// same errors), so a message can move from one to the other without a
// change on the wire.
//
// # Where things are
//
//	errors.go      Code (gRPC codes and their HTTP statuses), Error, etcd's errors
//	encode.go      the append helpers: one per kind of field
//	decode.go      the decoder: JSON syntax, protojson's rules, etcd's error texts
//	decode_fields.go  the readers of one field's value, by kind
//	number.go      integers as protojson reads them ("2", 2, 2.0, 1e3)
//	kv.go          range, put, deleterange, txn, compaction; header, key-value
//	watch.go       watch requests and responses, events
//	lease.go       grant, revoke, keepalive, timetolive, leases
//	cluster.go     member list, add, remove, update, promote (tagged)
//	maintenance.go status, hash, hashkv, alarm, defragment (tagged), snapshot; /version, /health
//	auth.go        authenticate, auth enable/disable/status, users, roles (tagged)
//	stream.go      {"result":...} framing and the StreamDecoder
//	tagged.go      the tagged codec: messages encoded and decoded from their struct tags
//
// Known differences from etcd: a oneof given twice (two of request_put,
// request_range, ... in one RequestOp) is accepted, the last one winning,
// where protojson refuses it; strings with invalid UTF-8 are encoded with
// U+FFFD where protojson fails; /version and /health escape strings as
// protojson does, not as encoding/json (only '<', '>' and '&' differ).
package wire
