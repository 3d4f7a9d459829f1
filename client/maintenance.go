package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/raftkv/raftkv/client/wire"
)

// Status describes one member (endpoint is one of its client URLs, or any
// "host:port"): its version, leader, raft term and index, database size.
func (c *Client) Status(ctx context.Context, endpoint string) (*StatusResponse, error) {
	resp := new(StatusResponse)
	if err := c.callEndpoint(ctx, endpoint, "/v3/maintenance/status", &wire.StatusRequest{}, resp); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// HashKV hashes one member's key-value history up to rev (0: all of it);
// members that agree on their history have the same hash.
func (c *Client) HashKV(ctx context.Context, endpoint string, rev int64) (*HashKVResponse, error) {
	resp := new(HashKVResponse)
	if err := c.callEndpoint(ctx, endpoint, "/v3/maintenance/hashkv", &wire.HashKVRequest{Revision: rev}, resp); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Defragment asks one member to compact its storage.
func (c *Client) Defragment(ctx context.Context, endpoint string) (*DefragmentResponse, error) {
	resp := new(DefragmentResponse)
	if err := c.callEndpoint(ctx, endpoint, "/v3/maintenance/defragment", &wire.DefragmentRequest{}, resp); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// AlarmList lists the cluster's active alarms.
func (c *Client) AlarmList(ctx context.Context) (*AlarmResponse, error) {
	resp := new(AlarmResponse)
	if err := c.call(ctx, "/v3/maintenance/alarm", &wire.AlarmRequest{Action: wire.AlarmGet}, resp, safeToRepeat); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// AlarmDisarm clears an alarm; with a zero member ID and type, every active
// alarm, one by one (as etcd's clientv3 does). The answer lists the alarms
// cleared.
func (c *Client) AlarmDisarm(ctx context.Context, memberID uint64, alarm wire.AlarmType) (*AlarmResponse, error) {
	if memberID == 0 && alarm == wire.AlarmNone {
		list, err := c.AlarmList(ctx)
		if err != nil {
			return nil, err
		}
		out := &AlarmResponse{Header: list.Header}
		for _, a := range list.Alarms {
			r, err := c.AlarmDisarm(ctx, a.MemberID, a.Alarm)
			if err != nil {
				return nil, err
			}
			out.Header = r.Header
			out.Alarms = append(out.Alarms, r.Alarms...)
		}
		return out, nil
	}
	resp := new(AlarmResponse)
	req := &wire.AlarmRequest{Action: wire.AlarmDeactivate, MemberID: memberID, Alarm: alarm}
	if err := c.call(ctx, "/v3/maintenance/alarm", req, resp, safeToRepeat); err != nil { // clearing twice clears once
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}

// Health asks one member GET /health: Health "true", or "false" and why.
// A member that answers 503 with a health body (no leader) is reported
// through the body, not as an error.
func (c *Client) Health(ctx context.Context, endpoint string) (*Health, error) {
	resp := new(Health)
	if err := c.get(ctx, endpoint, "/health", resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// Version asks one member GET /version.
func (c *Client) Version(ctx context.Context, endpoint string) (*VersionInfo, error) {
	resp := new(VersionInfo)
	if err := c.get(ctx, endpoint, "/version", resp); err != nil {
		return nil, err
	}
	return resp, nil
}

func (c *Client) get(ctx context.Context, endpoint, path string, resp wire.Message) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	ep, err := normalizeEndpoint(endpoint, c.cfg.TLS != nil)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", ep+path, nil)
	if err != nil {
		return fmt.Errorf("raftkv client: %w", err)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return &endpointError{endpoint: ep, err: err, notSent: notSent(err)}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return &endpointError{endpoint: ep, err: err}
	}
	if err := wire.Unmarshal(data, resp); err != nil {
		if res.StatusCode != http.StatusOK {
			return httpError(res.StatusCode, data)
		}
		return fmt.Errorf("raftkv client: %s%s: bad response: %w", ep, path, err)
	}
	return nil
}

// Snapshot streams a copy of a member's database. Read it to the end, then
// Close it; an error from the server in the middle of the stream comes out
// of Read. The stream comes from the first endpoint that accepts it.
func (c *Client) Snapshot(ctx context.Context) (io.ReadCloser, error) {
	body := (&wire.SnapshotRequest{}).AppendJSON(nil)
	var res *http.Response
	err := c.eachEndpoint(ctx, safeToRepeat, func(ep string) error {
		var err error
		res, err = c.open(ctx, ep, "POST", "/v3/maintenance/snapshot", body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &snapshotReader{body: res.Body, dec: wire.NewStreamDecoder(res.Body)}, nil
}

// snapshotReader turns the stream of {"result":{"blob":...}} chunks back
// into the bytes of the file.
type snapshotReader struct {
	body  io.ReadCloser
	dec   *wire.StreamDecoder
	chunk []byte
	done  bool
	err   error
}

func (r *snapshotReader) Read(p []byte) (int, error) {
	for len(r.chunk) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		var m wire.SnapshotResponse
		err := r.dec.DecodeResult(&m)
		switch {
		case errors.Is(err, io.EOF):
			// The stream must end right after the chunk that said
			// nothing remains; an earlier end is a truncated copy.
			r.err = io.ErrUnexpectedEOF
		case err != nil:
			r.err = err
		default:
			r.chunk = m.Blob
			r.done = m.RemainingBytes == 0
		}
	}
	n := copy(p, r.chunk)
	r.chunk = r.chunk[n:]
	return n, nil
}

func (r *snapshotReader) Close() error { return r.body.Close() }

// MoveLeader asks the member at endpoint, which must be the leader, to hand
// leadership to the voting member targetID; it answers once targetID
// leads (etcdctl move-leader finds the leader among its endpoints first).
func (c *Client) MoveLeader(ctx context.Context, endpoint string, targetID uint64) (*MoveLeaderResponse, error) {
	resp := new(MoveLeaderResponse)
	if err := c.callEndpoint(ctx, endpoint, "/v3/maintenance/transfer-leadership", &wire.MoveLeaderRequest{TargetID: targetID}, resp); err != nil {
		return nil, err
	}
	ensureHeader(&resp.Header)
	return resp, nil
}
