package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The driver itself talks to both systems through etcd's JSON gateway
// (POST /v3/...), which raftkv serves with the same paths and shapes: one
// client for both, and no gRPC dependency in this module. These are the
// calls etcdctl made in the baseline's harness (endpoint status, compact,
// defrag), in their JSON form.

// gatewayError is the gateway's error body, {"error":…,"code":…,"message":…}.
type gatewayError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *gatewayError) Error() string { return fmt.Sprintf("code %d: %s", e.Code, e.Message) }

// call POSTs body as JSON to path on m and decodes the answer into out.
func call(ctx context.Context, m *member, path string, body, out any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.clientURL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	var ge gatewayError
	if err := json.Unmarshal(raw, &ge); err == nil && ge.Code != 0 {
		return fmt.Errorf("POST %s: %w", path, &ge)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("POST %s: answer %q: %w", path, raw, err)
	}
	return nil
}

// gatewayInt is a 64-bit integer of the gateway's JSON, which etcd writes
// as a string ("12") the way protobuf's JSON mapping does.
type gatewayInt string

func (n *gatewayInt) UnmarshalJSON(b []byte) error {
	*n = gatewayInt(strings.Trim(string(b), `"`))
	return nil
}

// int64 is the number, 0 if it is absent (the gateway omits zero values).
func (n gatewayInt) int64() int64 {
	v, _ := strconv.ParseInt(string(n), 10, 64)
	return v
}

type memberStatus struct {
	Header struct {
		MemberID gatewayInt `json:"member_id"`
		Revision gatewayInt `json:"revision"`
	} `json:"header"`
	Leader gatewayInt `json:"leader"`
	// DBSize is the size of the member's store on disk, DBSizeInUse the
	// part holding live data (etcd: bbolt's file and its used pages).
	DBSize      gatewayInt `json:"dbSize"`
	DBSizeInUse gatewayInt `json:"dbSizeInUse"`
}

func status(ctx context.Context, m *member) (memberStatus, error) {
	var st memberStatus
	err := call(ctx, m, "/v3/maintenance/status", struct{}{}, &st, 5*time.Second)
	return st, err
}

// put writes one key; []byte fields travel as base64, as the gateway wants.
func put(ctx context.Context, m *member, key, value string) error {
	body := struct {
		Key   []byte `json:"key"`
		Value []byte `json:"value"`
	}{[]byte(key), []byte(value)}
	return call(ctx, m, "/v3/kv/put", body, nil, 10*time.Second)
}

// errAlreadyCompacted is the message of OutOfRange when the revision asked
// for is not above the last compaction: nothing left to compact.
const errAlreadyCompacted = "required revision has been compacted"

// compact discards all history below revision. physical makes the call
// return only once the store has really dropped it (etcdctl compact
// --physical), so the run that follows does not pay for it.
func compact(ctx context.Context, m *member, revision gatewayInt) error {
	body := struct {
		Revision json.Number `json:"revision"`
		Physical bool        `json:"physical"`
	}{json.Number(revision), true}
	err := call(ctx, m, "/v3/kv/compaction", body, nil, time.Minute)
	var ge *gatewayError
	if errors.As(err, &ge) && strings.Contains(ge.Message, errAlreadyCompacted) {
		return nil
	}
	return err
}

// defragment asks one member to rewrite its storage without free space
// (etcdctl defrag, which goes to every endpoint it is given).
func defragment(ctx context.Context, m *member) error {
	return call(ctx, m, "/v3/maintenance/defragment", struct{}{}, nil, 2*time.Minute)
}
