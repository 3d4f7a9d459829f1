package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
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

// Snapshot streams a backup of one member's state, as etcd's clientv3
// does: the bytes of the payload, then the 32-byte SHA-256 of them, so that
// what you write to a file is the whole backup (raftkvutl snapshot status
// and restore check the digest). Read it to the end, then Close it. Unlike
// etcd's, the reader checks the copy as it arrives: a stream that ends
// before the size announced in its chunks, or whose digest does not match
// the data, is an error from Read, never an io.EOF. The stream comes from
// the first endpoint that accepts it.
func (c *Client) Snapshot(ctx context.Context) (*SnapshotReader, error) {
	body := (&wire.SnapshotRequest{}).AppendJSON(nil)
	var res *http.Response
	err := c.withToken(ctx, func(token string) error {
		return c.eachEndpoint(ctx, safeToRepeat, func(ep string) error {
			var err error
			res, err = c.open(ctx, ep, token, "POST", "/v3/maintenance/snapshot", body)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return &SnapshotReader{body: res.Body, dec: wire.NewStreamDecoder(res.Body), sum: sha256.New()}, nil
}

// SnapshotReader turns the stream of {"result":{"blob":...}} messages back
// into the backup. The messages carrying data say how many bytes remain
// after theirs; the one after the last of them (remaining 0) carries the
// SHA-256 of all the data; then the stream ends.
type SnapshotReader struct {
	body     io.ReadCloser
	dec      *wire.StreamDecoder
	chunk    []byte    // received, not yet read
	sum      hash.Hash // of the data received
	received uint64
	started  bool // a data message has come
	// remaining is the data still to come, as the last message said.
	remaining uint64
	dataDone  bool // the last data message has come: the digest is next
	verified  bool // the digest has come and matched
	version   string
	err       error
}

// Version is the storage version of the member the backup came from, as
// its first message says (etcd prints it after saving: "Server version
// 3.7.0"); empty until that message has been read, and from servers older
// than etcd 3.6, which do not say.
func (r *SnapshotReader) Version() string { return r.version }

func (r *SnapshotReader) Read(p []byte) (int, error) {
	for len(r.chunk) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.next()
	}
	n := copy(p, r.chunk)
	r.chunk = r.chunk[n:]
	return n, nil
}

// next receives the next message into r.chunk, or says why there is none:
// io.EOF only after a digest that matched.
func (r *SnapshotReader) next() error {
	var m wire.SnapshotResponse
	err := r.dec.DecodeResult(&m)
	switch {
	case r.verified && errors.Is(err, io.EOF):
		return io.EOF
	case r.verified && err == nil:
		return errors.New("raftkv client: snapshot stream goes on after its sha256 digest")
	case errors.Is(err, io.EOF) && r.dataDone:
		return fmt.Errorf("raftkv client: snapshot stream ended early: %d bytes came, but not their sha256 digest: %w", r.received, io.ErrUnexpectedEOF)
	case errors.Is(err, io.EOF) && !r.started:
		return fmt.Errorf("raftkv client: snapshot stream ended early: no data came: %w", io.ErrUnexpectedEOF)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("raftkv client: snapshot stream ended early: %d bytes came, %d more were announced: %w", r.received, r.remaining, io.ErrUnexpectedEOF)
	case err != nil:
		return fmt.Errorf("raftkv client: snapshot stream broken after %d bytes: %w", r.received, err)
	case r.dataDone:
		if got := r.sum.Sum(nil); !bytes.Equal(got, m.Blob) {
			return fmt.Errorf("raftkv client: snapshot sha256 mismatch: the %d bytes received hash to %x, the member sent %x", r.received, got, m.Blob)
		}
		r.verified = true
	default:
		n := uint64(len(m.Blob))
		if r.started && (n > r.remaining || r.remaining-n != m.RemainingBytes) {
			return fmt.Errorf("raftkv client: snapshot stream inconsistent: %d bytes were to come, a message brought %d and says %d remain", r.remaining, n, m.RemainingBytes)
		}
		if !r.started {
			r.version = m.Version
		}
		r.sum.Write(m.Blob)
		r.started = true
		r.received += n
		r.remaining = m.RemainingBytes
		r.dataDone = m.RemainingBytes == 0
	}
	r.chunk = m.Blob
	return nil
}

func (r *SnapshotReader) Close() error { return r.body.Close() }

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
