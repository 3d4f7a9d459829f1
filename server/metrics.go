package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/raftkv/raftkv/kv"
)

// /metrics serves etcd's metric families under etcd's names, types, help
// texts and labels, so that etcd's Grafana dashboard and alert rules (the
// PromQL in etcd's contrib/mixin) work unchanged against raftkv. It uses
// Prometheus' own Go client, as etcd does, which also brings the go_* and
// process_* families those dashboards read.
//
// Each Server owns its registry (several servers run in one test process),
// and the values come from three places:
//
//   - what the member loop owns — leadership, proposals, WAL and apply
//     timings, MVCC counts — is read at scrape time from the view the loop
//     publishes after every step (memberView.Stats), never from the Member
//     itself, which only the loop may touch;
//   - what other goroutines see — peer round trips, client traffic, health
//     checks — is counted where it happens, in Prometheus' own instruments,
//     which are safe for concurrent use;
//   - the transport's per-peer counters and the store's sizes are read at
//     scrape time from their thread-safe accessors.
//
// A family is exported only where raftkv has the quantity etcd measures, or
// the nearest honest one, said so where the family's values are made.
type metrics struct {
	handler http.Handler
	client  *ClientAPIMetrics

	peerRTT                      *prometheus.HistogramVec
	healthSuccess, healthFailure prometheus.Counter
	snapshotSent, snapshotFailed *prometheus.CounterVec
	hash, hashKV                 prometheus.Histogram
	backendSnapshot              prometheus.Histogram

	// incomingDropped counts, per sender, the peer messages the member loop
	// had no room for (transportHandler.Process); they are added to the
	// transport's own receive failures.
	mu              sync.Mutex
	incomingDropped map[uint64]uint64
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		client: newClientAPIMetrics(),
		peerRTT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "etcd_network_peer_round_trip_time_seconds",
			Help: "Round-Trip-Time histogram between peers",
			// 0.1 ms doubling to 3.2768 s, as etcd has them.
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"To"}),
		healthSuccess: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_server_health_success",
			Help: "The total number of successful health checks",
		}),
		healthFailure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_server_health_failures",
			Help: "The total number of failed health checks",
		}),
		snapshotSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "etcd_network_snapshot_send_success",
			Help: "Total number of successful snapshot sends",
		}, []string{"To"}),
		snapshotFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "etcd_network_snapshot_send_failures",
			Help: "Total number of snapshot send failures",
		}, []string{"To"}),
		hash: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "etcd_mvcc_hash_duration_seconds",
			Help:    "The latency distribution of storage hash operation.",
			Buckets: prometheus.ExponentialBuckets(.01, 2, 15),
		}),
		hashKV: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "etcd_mvcc_hash_rev_duration_seconds",
			Help:    "The latency distribution of storage hash by revision operation.",
			Buckets: prometheus.ExponentialBuckets(.01, 2, 15),
		}),
		backendSnapshot: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "etcd_disk_backend_snapshot_duration_seconds",
			Help:    "The latency distribution of backend snapshots.",
			Buckets: prometheus.ExponentialBuckets(.01, 2, 17),
		}),
		incomingDropped: map[uint64]uint64{},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.peerRTT, m.healthSuccess, m.healthFailure, m.snapshotSent, m.snapshotFailed, m.hash, m.hashKV,
		m.backendSnapshot,
		m.client,
		newMemberCollector(s),
	)
	// etcd serves promhttp.Handler(), which counts its own scrapes
	// (promhttp_metric_handler_requests_total); so does this.
	m.handler = promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s.log},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return m
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler.ServeHTTP(w, r)
}

// ClientAPIMetrics returns what the client API adapters report to (see
// ClientAPIMetrics).
func (s *Server) ClientAPIMetrics() *ClientAPIMetrics { return s.metrics.client }

func (m *metrics) observeRTT(peer uint64, d time.Duration) {
	m.peerRTT.WithLabelValues(idLabel(peer)).Observe(d.Seconds())
}

// observeHealth counts one answer of /health.
func (m *metrics) observeHealth(healthy bool) {
	if healthy {
		m.healthSuccess.Inc()
	} else {
		m.healthFailure.Inc()
	}
}

// observeBackendSnapshot times a snapshot of the state streamed to a
// client, from start to end whether it got through or not, as etcd times a
// backend snapshot. raftkv writes the store's snapshot as it streams it.
func (m *metrics) observeBackendSnapshot(start time.Time) {
	m.backendSnapshot.Observe(time.Since(start).Seconds())
}

// snapshotReported counts the transport's verdict on a snapshot sent to a
// follower.
func (m *metrics) snapshotReported(to uint64, delivered bool) {
	if delivered {
		m.snapshotSent.WithLabelValues(idLabel(to)).Inc()
	} else {
		m.snapshotFailed.WithLabelValues(idLabel(to)).Inc()
	}
}

// dropIncoming counts a peer message the member loop had no room for (etcd
// counts the same loss as a receive failure).
func (m *metrics) dropIncoming(from uint64) {
	m.mu.Lock()
	m.incomingDropped[from]++
	m.mu.Unlock()
}

func (m *metrics) droppedFrom(from uint64) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.incomingDropped[from]
}

// idLabel writes a member ID as etcd's label values do (types.ID.String:
// hexadecimal, no padding).
func idLabel(id uint64) string { return strconv.FormatUint(id, 16) }

// clusterVersion is the cluster version etcd reports (major.minor). raftkv
// negotiates no cluster version: every member speaks the same etcd API
// (EtcdClusterVersion), and this is it.
func clusterVersion() string {
	parts := strings.SplitN(EtcdClusterVersion, ".", 3)
	return parts[0] + "." + parts[1]
}

// promLogger passes the exposition's errors (a collector that failed) to
// the server's log.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) { p.l.Warn("metrics: " + fmt.Sprint(v...)) }

// memberCollector makes, at every scrape, the families whose values the
// member loop, the transport or the store hold.
type memberCollector struct {
	s *Server

	hasLeader, isLeader, isLearner, leaderChanges                    *prometheus.Desc
	proposalsCommitted, proposalsApplied, proposalsPending           *prometheus.Desc
	proposalsFailed, heartbeatFailures, slowApplies, snapshotApply   *prometheus.Desc
	quota, version, goVersion, serverID, clusterVersion, alarms      *prometheus.Desc
	leaseExpired, leaseGranted, leaseRevoked, leaseRenewed           *prometheus.Desc
	walFsync, walWriteBytes, backendCommit                           *prometheus.Desc
	puts, deletes, ranges, txns, putBytes                            *prometheus.Desc
	dbSize, dbSizeInUse, keys, watchers, currentRev, compactRev      *prometheus.Desc
	peerSentBytes, peerReceivedBytes, peerSentFailures               *prometheus.Desc
	peerReceivedFailures, activePeers, disconnectedPeers, knownPeers *prometheus.Desc
}

func newMemberCollector(s *Server) *memberCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &memberCollector{
		s: s,

		hasLeader:          d("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not."),
		isLeader:           d("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise."),
		isLearner:          d("etcd_server_is_learner", "Whether or not this member is a learner. 1 if is, 0 otherwise."),
		leaderChanges:      d("etcd_server_leader_changes_seen_total", "The number of leader changes seen."),
		proposalsCommitted: d("etcd_server_proposals_committed_total", "The total number of consensus proposals committed."),
		proposalsApplied:   d("etcd_server_proposals_applied_total", "The total number of consensus proposals applied."),
		proposalsPending:   d("etcd_server_proposals_pending", "The current number of pending proposals to commit."),
		proposalsFailed:    d("etcd_server_proposals_failed_total", "The total number of failed proposals seen."),
		heartbeatFailures:  d("etcd_server_heartbeat_send_failures_total", "The total number of leader heartbeat send failures (likely overloaded from slow disk)."),
		slowApplies:        d("etcd_server_slow_apply_total", "The total number of slow apply requests (likely overloaded from slow disk)."),
		snapshotApply:      d("etcd_server_snapshot_apply_in_progress_total", "1 if the server is applying the incoming snapshot. 0 if none."),
		quota:              d("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes."),
		version:            d("etcd_server_version", "Which version is running. 1 for 'server_version' label with current version.", "server_version"),
		goVersion:          d("etcd_server_go_version", "Which Go version server is running with. 1 for 'server_go_version' label with current version.", "server_go_version"),
		serverID:           d("etcd_server_id", "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", "server_id"),
		clusterVersion:     d("etcd_cluster_version", "Which version is running. 1 for 'cluster_version' label with current cluster version", "cluster_version"),
		alarms:             d("etcd_debugging_server_alarms", "Alarms for every member in cluster. 1 for 'server_id' label with current ID. 2 for 'alarm_type' label with type of this alarm", "server_id", "alarm_type"),
		leaseExpired:       d("etcd_debugging_server_lease_expired_total", "The total number of expired leases."),
		leaseGranted:       d("etcd_debugging_lease_granted_total", "The total number of granted leases."),
		leaseRevoked:       d("etcd_debugging_lease_revoked_total", "The total number of revoked leases."),
		leaseRenewed:       d("etcd_debugging_lease_renewed_total", "The number of renewed leases seen by the leader."),

		walFsync:      d("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL."),
		walWriteBytes: d("etcd_disk_wal_write_bytes_total", "Total number of bytes written in WAL."),
		backendCommit: d("etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend."),

		puts:        d("etcd_mvcc_put_total", "Total number of puts seen by this member."),
		deletes:     d("etcd_mvcc_delete_total", "Total number of deletes seen by this member."),
		ranges:      d("etcd_mvcc_range_total", "Total number of ranges seen by this member."),
		txns:        d("etcd_mvcc_txn_total", "Total number of txns seen by this member."),
		putBytes:    d("etcd_debugging_mvcc_total_put_size_in_bytes", "The total size of put kv pairs seen by this member."),
		dbSize:      d("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes."),
		dbSizeInUse: d("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes."),
		keys:        d("etcd_debugging_mvcc_keys_total", "Total number of keys."),
		watchers:    d("etcd_debugging_mvcc_watcher_total", "Total number of watchers."),
		currentRev:  d("etcd_debugging_mvcc_current_revision", "The current revision of store."),
		compactRev:  d("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store."),

		peerSentBytes:        d("etcd_network_peer_sent_bytes_total", "The total number of bytes sent to peers.", "To"),
		peerReceivedBytes:    d("etcd_network_peer_received_bytes_total", "The total number of bytes received from peers.", "From"),
		peerSentFailures:     d("etcd_network_peer_sent_failures_total", "The total number of send failures from peers.", "To"),
		peerReceivedFailures: d("etcd_network_peer_received_failures_total", "The total number of receive failures from peers.", "From"),
		activePeers:          d("etcd_network_active_peers", "The current number of active peer connections.", "Local", "Remote"),
		disconnectedPeers:    d("etcd_network_disconnected_peers_total", "The total number of disconnected peers.", "Local", "Remote"),
		knownPeers:           d("etcd_network_known_peers", "The current number of known peers.", "Local", "Remote"),
	}
}

func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.hasLeader, c.isLeader, c.isLearner, c.leaderChanges,
		c.proposalsCommitted, c.proposalsApplied, c.proposalsPending,
		c.proposalsFailed, c.heartbeatFailures, c.slowApplies, c.snapshotApply,
		c.quota, c.version, c.goVersion, c.serverID, c.clusterVersion, c.alarms,
		c.leaseExpired, c.leaseGranted, c.leaseRevoked, c.leaseRenewed,
		c.walFsync, c.walWriteBytes, c.backendCommit,
		c.puts, c.deletes, c.ranges, c.txns, c.putBytes,
		c.dbSize, c.dbSizeInUse, c.keys, c.watchers, c.currentRev, c.compactRev,
		c.peerSentBytes, c.peerReceivedBytes, c.peerSentFailures,
		c.peerReceivedFailures, c.activePeers, c.disconnectedPeers, c.knownPeers,
	} {
		ch <- d
	}
}

func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	v := s.view.Load()
	st := &v.Stats
	gauge := func(d *prometheus.Desc, val float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, val, labels...)
	}
	counter := func(d *prometheus.Desc, val float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, val, labels...)
	}
	histogram := func(d *prometheus.Desc, h *DurationHistogram) {
		buckets := make(map[float64]uint64, len(diskLatencyBounds))
		var cumulative uint64
		for i, bound := range diskLatencyBounds {
			cumulative += h.Counts[i]
			buckets[bound.Seconds()] = cumulative
		}
		ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum.Seconds(), buckets)
	}
	local := idLabel(v.ID)

	gauge(c.hasLeader, boolValue(v.Lead != 0))
	gauge(c.isLeader, boolValue(v.Lead != 0 && v.Lead == v.ID))
	gauge(c.isLearner, boolValue(v.IsLearner))
	counter(c.leaderChanges, float64(st.LeaderChanges))
	// etcd exports raft indexes here, as gauges despite the _total.
	gauge(c.proposalsCommitted, float64(st.Committed))
	gauge(c.proposalsApplied, float64(v.Applied))
	gauge(c.proposalsPending, float64(st.ProposalsPending))
	counter(c.proposalsFailed, float64(st.ProposalsFailed))
	counter(c.heartbeatFailures, float64(st.HeartbeatSendFailures))
	counter(c.slowApplies, float64(st.SlowApplies))
	gauge(c.snapshotApply, boolValue(s.member.ApplyingSnapshot()))
	// The quota in force, as etcd reports it: the default if none was
	// given, the configured value (negative: no quota) otherwise.
	quota := float64(quotaBytes(s.cfg))
	if s.cfg.QuotaBackendBytes < 0 {
		quota = float64(s.cfg.QuotaBackendBytes)
	}
	gauge(c.quota, quota)
	gauge(c.version, 1, EtcdVersion)
	gauge(c.goVersion, 1, runtime.Version())
	gauge(c.serverID, 1, local)
	gauge(c.clusterVersion, 1, clusterVersion())
	for _, a := range v.Alarms {
		gauge(c.alarms, 1, idLabel(a.MemberID), a.Alarm.String())
	}
	counter(c.leaseExpired, float64(st.LeasesExpired))
	counter(c.leaseGranted, float64(st.LeasesGranted))
	counter(c.leaseRevoked, float64(st.LeasesRevoked))
	counter(c.leaseRenewed, float64(st.LeasesRenewed))

	histogram(c.walFsync, &st.Fsync)
	gauge(c.walWriteBytes, float64(st.WALBytes)) // a gauge in etcd too
	// raftkv has no backend to commit: its state machine is in memory. The
	// nearest quantity is applying a Ready's committed entries to it (see
	// Stats.Apply); an operator's alert on slow commits then fires when the
	// state machine cannot keep up.
	histogram(c.backendCommit, &st.Apply)

	counter(c.puts, float64(st.Puts))
	counter(c.deletes, float64(st.Deletes))
	counter(c.ranges, float64(st.Ranges+s.metrics.client.servedRanges.Load()))
	counter(c.txns, float64(st.Txns))
	gauge(c.putBytes, float64(st.PutBytes))
	store := s.member.Store()
	// The store lives in memory; its size is what the space quota measures
	// (kv.Store.Size), so the alerts comparing it with
	// etcd_server_quota_backend_bytes mean what they say. Memory has no
	// free pages to defragment: all of it is in use.
	size := float64(store.Size())
	gauge(c.dbSize, size)
	gauge(c.dbSizeInUse, size)
	var keys int64
	if r, err := store.Range(&kv.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true}); err == nil {
		keys = r.Count
	}
	gauge(c.keys, float64(keys))
	gauge(c.watchers, float64(store.Watchers()))
	gauge(c.currentRev, float64(store.Rev()))
	gauge(c.compactRev, float64(store.CompactRevision()))

	for _, info := range v.Members {
		gauge(c.knownPeers, 1, local, idLabel(info.ID))
	}
	for id, p := range s.tr.Stats() {
		peer := idLabel(id)
		counter(c.peerSentBytes, float64(p.SentBytes), peer)
		counter(c.peerReceivedBytes, float64(p.ReceivedBytes), peer)
		counter(c.peerSentFailures, float64(p.Dropped), peer)
		counter(c.peerReceivedFailures, float64(p.ReceiveFailures+s.metrics.droppedFrom(id)), peer)
		gauge(c.activePeers, boolValue(p.Reachable), local, peer)
		counter(c.disconnectedPeers, float64(p.Disconnects), local, peer)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
