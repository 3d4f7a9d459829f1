package main

import (
	"fmt"
	"slices"
	"strings"
)

// protocol is how a row talks to the cluster, and so which load generator
// drives it: etcd's benchmark tool for gRPC, httpbench for the JSON gateway.
type protocol string

const (
	protoGRPC protocol = "gRPC"
	protoHTTP protocol = "HTTP"
)

// row is one configuration of etcd-baseline.md's tables: one operation at
// one concurrency over one protocol. The same row runs on both systems with
// the same tool and the same arguments (tools.go builds them).
type row struct {
	// id names the row on the command line (-rows, -profile-row) and in
	// the raw data.
	id string
	// label is the row's name in the baseline's tables, so the two can be
	// read side by side.
	label string
	proto protocol
	// op is "put" (8-byte keys, 256-byte values, 20000 distinct keys) or
	// "range" (one fixed key, rangekey, holding 256 bytes).
	op string
	// clients is the number of concurrent closed-loop clients; conns the
	// number of gRPC connections they share (httpbench gives every client
	// its own HTTP/1.1 connection, so conns is 0 there).
	clients, conns int
	// serializable reads answer from the member's own state without a
	// ReadIndex round; linearizable reads (false) pay one.
	serializable bool
}

// allRows is the baseline's matrix, in its order: the order rows run in
// every repetition and are printed in.
var allRows = []row{
	{"grpc-put-c1", "gRPC put c=1 conns=1", protoGRPC, "put", 1, 1, false},
	{"grpc-put-c16", "gRPC put c=16 conns=4", protoGRPC, "put", 16, 4, false},
	{"grpc-put-c128", "gRPC put c=128 conns=8", protoGRPC, "put", 128, 8, false},
	{"grpc-range-l", "gRPC range linearizable c=16 conns=4", protoGRPC, "range", 16, 4, false},
	{"grpc-range-s", "gRPC range serializable c=16 conns=4", protoGRPC, "range", 16, 4, true},
	{"http-put-c1", "HTTP put c=1", protoHTTP, "put", 1, 0, false},
	{"http-put-c16", "HTTP put c=16", protoHTTP, "put", 16, 0, false},
	{"http-put-c128", "HTTP put c=128", protoHTTP, "put", 128, 0, false},
	{"http-range-l", "HTTP range linearizable c=16", protoHTTP, "range", 16, 0, false},
	{"http-range-s", "HTTP range serializable c=16", protoHTTP, "range", 16, 0, true},
}

// selectRows turns -rows into rows, in the baseline's order whatever the
// order given. spec is a comma-separated list of row ids and the groups
// "all", "grpc" and "http".
func selectRows(spec string) ([]row, error) {
	want := map[string]bool{}
	for _, word := range strings.Split(spec, ",") {
		word = strings.ToLower(strings.TrimSpace(word))
		matched := false
		for _, r := range allRows {
			if word == "all" || word == strings.ToLower(string(r.proto)) || word == r.id {
				want[r.id] = true
				matched = true
			}
		}
		if !matched {
			return nil, fmt.Errorf("-rows: unknown row %q (rows: all, grpc, http, %s)", word, strings.Join(rowIDs(), ", "))
		}
	}
	var rows []row
	for _, r := range allRows {
		if want[r.id] {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func rowIDs() []string {
	var ids []string
	for _, r := range allRows {
		ids = append(ids, r.id)
	}
	return ids
}

func findRow(id string) (row, error) {
	i := slices.IndexFunc(allRows, func(r row) bool { return r.id == id })
	if i < 0 {
		return row{}, fmt.Errorf("unknown row %q (rows: %s)", id, strings.Join(rowIDs(), ", "))
	}
	return allRows[i], nil
}

// hasProto reports whether any of rows speaks p, so that a tool is only
// required (and httpbench only built) when some row needs it.
func hasProto(rows []row, p protocol) bool {
	return slices.ContainsFunc(rows, func(r row) bool { return r.proto == p })
}
