package server

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/raftkv/raftkv/kv"
)

// /metrics in Prometheus' text exposition format, written by hand (the
// standard library has no Prometheus client, and the format is simple).
// Names follow etcd's with the raftkv_ prefix, so dashboards carry over.

type metrics struct {
	mu  sync.Mutex
	rtt map[uint64]*histogram // per peer
}

func newMetrics() *metrics { return &metrics{rtt: map[uint64]*histogram{}} }

// rttBounds are etcd's buckets for peer round-trip time: 0.1 ms doubling.
var rttBounds = func() []float64 {
	var b []float64
	for v := 0.0001; len(b) < 16; v *= 2 {
		b = append(b, v)
	}
	return b
}()

func (m *metrics) observeRTT(peer uint64, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.rtt[peer]
	if h == nil {
		h = &histogram{bounds: rttBounds, counts: make([]uint64, len(rttBounds)+1)}
		m.rtt[peer] = h
	}
	h.observe(d.Seconds())
}

type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func (h *histogram) observe(v float64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i]++
	h.sum += v
	h.count++
}

func (h *histogram) write(b []byte, name, labels string) []byte {
	var cum uint64
	sep := ""
	if labels != "" {
		sep = ","
	}
	for i, bound := range h.bounds {
		cum += h.counts[i]
		b = fmt.Appendf(b, "%s_bucket{%s%sle=\"%s\"} %d\n", name, labels, sep, strconv.FormatFloat(bound, 'g', -1, 64), cum)
	}
	cum += h.counts[len(h.bounds)]
	b = fmt.Appendf(b, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	if labels != "" {
		labels = "{" + labels + "}"
	}
	b = fmt.Appendf(b, "%s_sum%s %s\n%s_count%s %d\n", name, labels, strconv.FormatFloat(h.sum, 'g', -1, 64), name, labels, h.count)
	return b
}

func metricHead(b []byte, name, typ, help string) []byte {
	return fmt.Appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	v := s.view.Load()
	st := v.Stats
	var b []byte
	gauge := func(name, help string, val float64) {
		b = metricHead(b, name, "gauge", help)
		b = fmt.Appendf(b, "%s %s\n", name, strconv.FormatFloat(val, 'g', -1, 64))
	}
	counter := func(name, help string, val float64) {
		b = metricHead(b, name, "counter", help)
		b = fmt.Appendf(b, "%s %s\n", name, strconv.FormatFloat(val, 'g', -1, 64))
	}
	boolf := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	gauge("raftkv_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.", boolf(v.Lead != 0))
	gauge("raftkv_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.", boolf(v.Lead == v.ID))
	gauge("raftkv_server_is_learner", "Whether or not this member is a learner. 1 if is, 0 otherwise.", boolf(v.IsLearner))
	counter("raftkv_server_leader_changes_seen_total", "The number of leader changes seen.", float64(st.LeaderChanges))
	gauge("raftkv_server_proposals_committed_total", "The total number of consensus proposals committed.", float64(v.Commit))
	gauge("raftkv_server_proposals_applied_total", "The total number of consensus proposals applied.", float64(v.Applied))
	gauge("raftkv_server_proposals_pending", "The current number of pending proposals to commit.", float64(st.ProposalsPending))
	counter("raftkv_server_proposals_failed_total", "The total number of failed proposals seen.", float64(st.ProposalsFailed))
	counter("raftkv_server_snapshots_total", "The number of snapshots this member has saved.", float64(st.Snapshots))

	b = metricHead(b, "raftkv_disk_wal_fsync_duration_seconds", "histogram", "The latency distributions of fsync called by WAL.")
	fsync := histogram{counts: make([]uint64, len(FsyncBounds)+1)}
	for _, d := range FsyncBounds {
		fsync.bounds = append(fsync.bounds, d.Seconds())
	}
	copy(fsync.counts, st.FsyncBuckets[:])
	fsync.sum, fsync.count = st.FsyncSum.Seconds(), st.FsyncCount
	b = fsync.write(b, "raftkv_disk_wal_fsync_duration_seconds", "")

	stats := s.tr.Stats()
	peers := slices.Sorted(maps.Keys(stats))
	b = metricHead(b, "raftkv_network_peer_sent_bytes_total", "counter", "The total number of bytes sent to peers.")
	for _, id := range peers {
		b = fmt.Appendf(b, "raftkv_network_peer_sent_bytes_total{To=\"%x\"} %d\n", id, stats[id].SentBytes)
	}
	b = metricHead(b, "raftkv_network_peer_received_bytes_total", "counter", "The total number of bytes received from peers.")
	for _, id := range peers {
		b = fmt.Appendf(b, "raftkv_network_peer_received_bytes_total{From=\"%x\"} %d\n", id, stats[id].ReceivedBytes)
	}
	b = metricHead(b, "raftkv_network_peer_round_trip_time_seconds", "histogram", "Round-Trip-Time histogram between peers.")
	s.metrics.mu.Lock()
	for _, id := range slices.Sorted(maps.Keys(s.metrics.rtt)) {
		b = s.metrics.rtt[id].write(b, "raftkv_network_peer_round_trip_time_seconds", fmt.Sprintf("To=\"%x\"", id))
	}
	s.metrics.mu.Unlock()

	store := s.member.Store()
	keys, _ := store.Range(&kv.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true})
	var n int64
	if keys != nil {
		n = keys.Count
	}
	gauge("raftkv_mvcc_keys_total", "Total number of keys.", float64(n))
	gauge("raftkv_mvcc_current_revision", "The current revision of the store.", float64(store.Rev()))
	gauge("raftkv_mvcc_compact_revision", "The revision of the last compaction.", float64(store.CompactRevision()))
	gauge("raftkv_debugging_mvcc_watcher_total", "Total number of watchers.", float64(store.Watchers()))

	w.Header()["Content-Type"] = []string{"text/plain; version=0.0.4; charset=utf-8"}
	w.Write(b)
}
