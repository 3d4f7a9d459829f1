package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/raftkv/raftkv/raft"
)

// startSnapshot sends m (a MsgSnap) on its own goroutine and connection.
// Raft pauses a follower while its snapshot is in flight, so a second one
// for the same peer is a leftover: it is refused at once, and raft will
// send a fresh one if it still needs to.
func (p *peer) startSnapshot(m raft.Message) {
	if m.Snapshot == nil {
		p.t.log.Error(fmt.Sprintf("dropping MsgSnap to peer %x without a snapshot", p.id), "peer", hexID(p.id))
		p.t.rep.snapshot(p.id, false)
		return
	}
	if !p.snapshotBusy.CompareAndSwap(false, true) {
		p.t.log.Warn(fmt.Sprintf("dropping snapshot at index %d for peer %x: another snapshot to it is in flight",
			m.Snapshot.Meta.Index, p.id), "peer", hexID(p.id))
		p.t.rep.snapshot(p.id, false)
		return
	}
	p.t.wg.Go(func() {
		defer p.snapshotBusy.Store(false)
		p.sendSnapshot(m)
	})
}

// sendSnapshot sends one snapshot and reports the outcome to raft.
func (p *peer) sendSnapshot(m raft.Message) {
	began := time.Now()
	err := p.postSnapshot(m)
	if p.ctx.Err() != nil {
		return // removed or stopped: nobody waits for the answer
	}
	idx, size := m.Snapshot.Meta.Index, len(m.Snapshot.Data)
	if err != nil {
		p.t.log.Warn(fmt.Sprintf("failed to send snapshot at index %d (%d bytes) to peer %x: %v", idx, size, p.id, err),
			"peer", hexID(p.id))
		p.t.rep.snapshot(p.id, false)
		return
	}
	p.stats.sentMsgs.Add(1)
	p.t.log.Info(fmt.Sprintf("sent snapshot at index %d (%d bytes) to peer %x in %v",
		idx, size, p.id, time.Since(began).Round(time.Millisecond)), "peer", hexID(p.id))
	p.t.rep.snapshot(p.id, true)
}

// postSnapshot is one POST of the snapshot path.
//
// It asks "Expect: 100-continue" and waits for the receiver's go-ahead
// before sending the body: a receiver that refuses the handshake (another
// cluster, another member) answers at once, and not one byte of a
// snapshot that may weigh gigabytes is sent for nothing.
func (p *peer) postSnapshot(m raft.Message) error {
	u := p.url()
	if u == nil {
		return errors.New("no usable peer URL")
	}
	prefix, err := snapshotPrefix(&m, p.t.cfg.MaxFrameBytes)
	if err != nil {
		return err
	}
	data := m.Snapshot.Data
	conn, err := p.t.dial(p.ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close()
	stopClosing := context.AfterFunc(p.ctx, func() { conn.Close() })
	defer stopClosing()

	hdr := p.t.handshakeFor(p.id).header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Content-Length", strconv.Itoa(len(prefix)+len(data)+4))
	hdr.Set("Expect", "100-continue")
	hdr.Set("Connection", "close")
	if err := p.write(conn, requestHead(http.MethodPost, u.Host, snapshotPath, hdr)); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	if err := p.snapshotAnswer(conn, br, http.StatusContinue); err != nil {
		return err
	}

	if err := p.write(conn, prefix); err != nil {
		return err
	}
	var crc uint32
	for off := 0; off < len(data); {
		end := min(off+p.t.cfg.SnapshotChunkBytes, len(data))
		if err := p.write(conn, data[off:end]); err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", off, len(data), err)
		}
		crc = snapshotCRC(crc, data[off:end])
		off = end
	}
	if err := p.write(conn, binary.BigEndian.AppendUint32(nil, crc)); err != nil {
		return err
	}
	return p.snapshotAnswer(conn, br, http.StatusNoContent)
}

// snapshotAnswer reads the receiver's answer and checks it is want.
func (p *peer) snapshotAnswer(conn net.Conn, br *bufio.Reader, want int) error {
	_ = conn.SetReadDeadline(time.Now().Add(p.t.cfg.IdleTimeout))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("transport: reading peer %x's answer: %w", p.id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return refusal(p.id, p.t.cfg.ClusterID, resp, readReason(resp.Body))
	}
	return nil
}
