package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server/api"
)

// etcdFamily is one metric family as etcd defines it.
type etcdFamily struct {
	typ    dto.MetricType
	help   string
	labels []string
	// sometimes marks a family that appears only once there is something
	// to count (a raised alarm, a snapshot sent to a follower); every
	// other one is in every scrape of a member of a working cluster.
	sometimes bool
}

// etcdFamilies are the families raftkv exports, with their types, help
// texts and label names copied from etcd v3.7.1's source —
// server/etcdserver/metrics.go, server/etcdserver/txn/metrics.go,
// server/etcdserver/apply/metrics.go, server/etcdserver/api/etcdhttp/health.go,
// server/etcdserver/api/membership/metrics.go,
// server/etcdserver/api/rafthttp/metrics.go,
// server/etcdserver/api/v3rpc/metrics.go, server/storage/metrics.go,
// server/storage/wal/metrics.go, server/storage/backend/metrics.go,
// server/storage/mvcc/metrics.go, server/lease/metrics.go — and, for the
// grpc_server_* families, from go-grpc-middleware's providers/prometheus,
// which etcd's gRPC server uses.
func etcdFamilies() map[string]etcdFamily {
	counter, gauge, histogram := dto.MetricType_COUNTER, dto.MetricType_GAUGE, dto.MetricType_HISTOGRAM
	grpc := []string{"grpc_method", "grpc_service", "grpc_type"}
	return map[string]etcdFamily{
		"etcd_server_has_leader":                       {gauge, "Whether or not a leader exists. 1 is existence, 0 is not.", nil, false},
		"etcd_server_is_leader":                        {gauge, "Whether or not this member is a leader. 1 if is, 0 otherwise.", nil, false},
		"etcd_server_is_learner":                       {gauge, "Whether or not this member is a learner. 1 if is, 0 otherwise.", nil, false},
		"etcd_server_leader_changes_seen_total":        {counter, "The number of leader changes seen.", nil, false},
		"etcd_server_proposals_committed_total":        {gauge, "The total number of consensus proposals committed.", nil, false},
		"etcd_server_proposals_applied_total":          {gauge, "The total number of consensus proposals applied.", nil, false},
		"etcd_server_proposals_pending":                {gauge, "The current number of pending proposals to commit.", nil, false},
		"etcd_server_proposals_failed_total":           {counter, "The total number of failed proposals seen.", nil, false},
		"etcd_server_heartbeat_send_failures_total":    {counter, "The total number of leader heartbeat send failures (likely overloaded from slow disk).", nil, false},
		"etcd_server_slow_apply_total":                 {counter, "The total number of slow apply requests (likely overloaded from slow disk).", nil, false},
		"etcd_server_snapshot_apply_in_progress_total": {gauge, "1 if the server is applying the incoming snapshot. 0 if none.", nil, false},
		"etcd_server_quota_backend_bytes":              {gauge, "Current backend storage quota size in bytes.", nil, false},
		"etcd_server_version":                          {gauge, "Which version is running. 1 for 'server_version' label with current version.", []string{"server_version"}, false},
		"etcd_server_go_version":                       {gauge, "Which Go version server is running with. 1 for 'server_go_version' label with current version.", []string{"server_go_version"}, false},
		"etcd_server_id":                               {gauge, "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", []string{"server_id"}, false},
		"etcd_cluster_version":                         {gauge, "Which version is running. 1 for 'cluster_version' label with current cluster version", []string{"cluster_version"}, false},
		"etcd_server_health_success":                   {counter, "The total number of successful health checks", nil, false},
		"etcd_server_health_failures":                  {counter, "The total number of failed health checks", nil, false},
		"etcd_server_client_requests_total":            {counter, "The total number of client requests per client version.", []string{"client_api_version", "type"}, false},
		"etcd_debugging_server_alarms":                 {gauge, "Alarms for every member in cluster. 1 for 'server_id' label with current ID. 2 for 'alarm_type' label with type of this alarm", []string{"alarm_type", "server_id"}, true},
		"etcd_debugging_server_lease_expired_total":    {counter, "The total number of expired leases.", nil, false},
		"etcd_debugging_lease_granted_total":           {counter, "The total number of granted leases.", nil, false},
		"etcd_debugging_lease_revoked_total":           {counter, "The total number of revoked leases.", nil, false},
		"etcd_debugging_lease_renewed_total":           {counter, "The number of renewed leases seen by the leader.", nil, false},

		"etcd_disk_wal_fsync_duration_seconds":        {histogram, "The latency distributions of fsync called by WAL.", nil, false},
		"etcd_disk_wal_write_bytes_total":             {gauge, "Total number of bytes written in WAL.", nil, false},
		"etcd_disk_backend_commit_duration_seconds":   {histogram, "The latency distributions of commit called by backend.", nil, false},
		"etcd_disk_backend_snapshot_duration_seconds": {histogram, "The latency distribution of backend snapshots.", nil, false},

		"etcd_mvcc_put_total":                         {counter, "Total number of puts seen by this member.", nil, false},
		"etcd_mvcc_delete_total":                      {counter, "Total number of deletes seen by this member.", nil, false},
		"etcd_mvcc_range_total":                       {counter, "Total number of ranges seen by this member.", nil, false},
		"etcd_mvcc_txn_total":                         {counter, "Total number of txns seen by this member.", nil, false},
		"etcd_debugging_mvcc_total_put_size_in_bytes": {gauge, "The total size of put kv pairs seen by this member.", nil, false},
		"etcd_mvcc_db_total_size_in_bytes":            {gauge, "Total size of the underlying database physically allocated in bytes.", nil, false},
		"etcd_mvcc_db_total_size_in_use_in_bytes":     {gauge, "Total size of the underlying database logically in use in bytes.", nil, false},
		"etcd_debugging_mvcc_keys_total":              {gauge, "Total number of keys.", nil, false},
		"etcd_debugging_mvcc_watcher_total":           {gauge, "Total number of watchers.", nil, false},
		"etcd_debugging_mvcc_watch_stream_total":      {gauge, "Total number of watch streams.", nil, false},
		"etcd_debugging_mvcc_current_revision":        {gauge, "The current revision of store.", nil, false},
		"etcd_debugging_mvcc_compact_revision":        {gauge, "The revision of the last compaction in store.", nil, false},
		"etcd_mvcc_hash_duration_seconds":             {histogram, "The latency distribution of storage hash operation.", nil, false},
		"etcd_mvcc_hash_rev_duration_seconds":         {histogram, "The latency distribution of storage hash by revision operation.", nil, false},

		"etcd_network_peer_sent_bytes_total":            {counter, "The total number of bytes sent to peers.", []string{"To"}, false},
		"etcd_network_peer_received_bytes_total":        {counter, "The total number of bytes received from peers.", []string{"From"}, false},
		"etcd_network_peer_sent_failures_total":         {counter, "The total number of send failures from peers.", []string{"To"}, false},
		"etcd_network_peer_received_failures_total":     {counter, "The total number of receive failures from peers.", []string{"From"}, false},
		"etcd_network_peer_round_trip_time_seconds":     {histogram, "Round-Trip-Time histogram between peers", []string{"To"}, false},
		"etcd_network_active_peers":                     {gauge, "The current number of active peer connections.", []string{"Local", "Remote"}, false},
		"etcd_network_disconnected_peers_total":         {counter, "The total number of disconnected peers.", []string{"Local", "Remote"}, false},
		"etcd_network_known_peers":                      {gauge, "The current number of known peers.", []string{"Local", "Remote"}, false},
		"etcd_network_snapshot_send_success":            {counter, "Total number of successful snapshot sends", []string{"To"}, true},
		"etcd_network_snapshot_send_failures":           {counter, "Total number of snapshot send failures", []string{"To"}, true},
		"etcd_network_client_grpc_received_bytes_total": {counter, "The total number of bytes received from grpc clients.", nil, false},
		"etcd_network_client_grpc_sent_bytes_total":     {counter, "The total number of bytes sent to grpc clients.", nil, false},

		"grpc_server_started_total":      {counter, "Total number of RPCs started on the server.", grpc, false},
		"grpc_server_handled_total":      {counter, "Total number of RPCs completed on the server, regardless of success or failure.", []string{"grpc_code", "grpc_method", "grpc_service", "grpc_type"}, false},
		"grpc_server_msg_received_total": {counter, "Total number of RPC stream messages received on the server.", grpc, false},
		"grpc_server_msg_sent_total":     {counter, "Total number of gRPC stream messages sent by the server.", grpc, false},
		"grpc_server_handling_seconds":   {histogram, "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.", grpc, false},
	}
}

// The exposition of a running member, family by family, against etcd's
// definitions: every etcd_ and grpc_ family raftkv exports is one of
// etcd's, with etcd's type, help text and label names; every family a
// working member always has is there; so are the series etcd's dashboard
// and alerts query, and the go_ and process_ families.
func TestMetrics_FamiliesMatchEtcds(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	// Peer families need the streams up and a round trip measured.
	require.Eventually(t, func() bool {
		fams := scrape(t, c.url(lead))
		return len(fams["etcd_network_peer_round_trip_time_seconds"].GetMetric()) == 2 &&
			sumValues(fams, "etcd_network_active_peers", nil) == 2
	}, 20*time.Second, 10*time.Millisecond)

	fams := scrape(t, c.url(lead))
	want := etcdFamilies()
	for name, f := range fams {
		if !strings.HasPrefix(name, "etcd_") && !strings.HasPrefix(name, "grpc_") {
			continue
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("%s is not one of etcd's families in the table", name)
			continue
		}
		if f.GetType() != w.typ {
			t.Errorf("%s is a %s, etcd's is a %s", name, f.GetType(), w.typ)
		}
		if f.GetHelp() != w.help {
			t.Errorf("%s help %q, etcd's %q", name, f.GetHelp(), w.help)
		}
		for _, m := range f.GetMetric() {
			if got := labelNames(m); !slices.Equal(got, w.labels) {
				t.Errorf("%s has labels %v, etcd's %v", name, got, w.labels)
				break
			}
		}
	}
	for name, w := range want {
		if !w.sometimes && len(fams[name].GetMetric()) == 0 {
			t.Errorf("%s is missing", name)
		}
	}
	// mixinSeries are the series etcd's Grafana dashboard and alert rules
	// (etcd v3.7.1, contrib/mixin: dashboards/targets.libsonnet and
	// alerts/alerts.libsonnet) query, with the labels their queries select,
	// group or print by.
	mixinSeries := []struct {
		family string
		labels []string
	}{
		{"etcd_server_has_leader", nil},
		{"etcd_server_leader_changes_seen_total", nil},
		{"etcd_server_proposals_failed_total", nil},
		{"etcd_server_quota_backend_bytes", nil},
		{"etcd_mvcc_db_total_size_in_bytes", nil},
		{"etcd_mvcc_db_total_size_in_use_in_bytes", nil},
		{"etcd_disk_wal_fsync_duration_seconds", nil},
		{"etcd_disk_backend_commit_duration_seconds", nil},
		{"etcd_network_client_grpc_received_bytes_total", nil},
		{"etcd_network_client_grpc_sent_bytes_total", nil},
		{"etcd_network_peer_received_bytes_total", nil},
		{"etcd_network_peer_sent_bytes_total", nil},
		{"etcd_network_peer_sent_failures_total", []string{"To"}},
		{"etcd_network_peer_round_trip_time_seconds", []string{"To"}},
		{"grpc_server_started_total", []string{"grpc_service", "grpc_type"}},
		{"grpc_server_handled_total", []string{"grpc_code", "grpc_method", "grpc_service", "grpc_type"}},
		{"grpc_server_handling_seconds", []string{"grpc_method", "grpc_type"}},
		{"process_resident_memory_bytes", nil},
	}
	for _, s := range mixinSeries {
		if !hasSeriesWith(fams[s.family], s.labels) {
			t.Errorf("etcd's dashboard or alerts query %s by %v: no such series", s.family, s.labels)
		}
	}
	for _, name := range []string{
		"go_goroutines", "go_memstats_alloc_bytes", "go_gc_duration_seconds", "go_info",
		"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
		"process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes",
	} {
		if len(fams[name].GetMetric()) == 0 {
			t.Errorf("%s is missing", name)
		}
	}
}

// What a put, a read, a failed read, a health check and a watch stream do
// to the metrics, and who leads.
func TestMetrics_ValuesFollowTheCluster(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	leadID := idLabel(c.servers[lead].view.Load().ID)
	for i := range c.servers {
		fams := scrape(t, c.url(i))
		require.Equal(t, 1.0, sumValues(fams, "etcd_server_has_leader", nil), "member %d has a leader", i)
		require.Equal(t, boolValue(i == lead), sumValues(fams, "etcd_server_is_leader", nil), "member %d leads", i)
		require.Equal(t, 3.0, sumValues(fams, "etcd_network_known_peers", nil), "member %d knows the members", i)
	}
	fams := scrape(t, c.url(lead))
	require.Equal(t, 1.0, sumValues(fams, "etcd_server_id", map[string]string{"server_id": leadID}))
	require.Equal(t, 1.0, sumValues(fams, "etcd_server_version", map[string]string{"server_version": EtcdVersion}))

	put := map[string]string{"grpc_service": "etcdserverpb.KV", "grpc_method": "Put", "grpc_type": "unary"}
	putOK := map[string]string{"grpc_method": "Put", "grpc_code": "OK"}
	before := scrape(t, c.url(lead))
	body := `{"key":"bWV0cmljcw==","value":"dmFsdWU="}` // "metrics" = "value"
	status, resp := c.post(lead, "/v3/kv/put", body)
	require.Equal(t, 200, status, resp)
	after := scrape(t, c.url(lead))
	grew := func(name string, labels map[string]string) float64 {
		return sumValues(after, name, labels) - sumValues(before, name, labels)
	}
	require.Greater(t, grew("etcd_server_proposals_applied_total", nil), 0.0)
	require.Greater(t, grew("etcd_server_proposals_committed_total", nil), 0.0)
	require.Equal(t, 1.0, grew("etcd_mvcc_put_total", nil))
	require.Equal(t, float64(len("metrics")+len("value")), grew("etcd_debugging_mvcc_total_put_size_in_bytes", nil))
	require.Equal(t, 1.0, grew("grpc_server_started_total", put))
	require.Equal(t, 1.0, grew("grpc_server_msg_received_total", put))
	require.Equal(t, 1.0, grew("grpc_server_msg_sent_total", put))
	require.Equal(t, 1.0, grew("grpc_server_handled_total", putOK))
	require.Equal(t, 1.0, grew("grpc_server_handling_seconds", put))
	require.Equal(t, float64(len(body)), grew("etcd_network_client_grpc_received_bytes_total", nil))
	require.Equal(t, float64(len(resp)), grew("etcd_network_client_grpc_sent_bytes_total", nil))
	require.Greater(t, grew("etcd_disk_wal_write_bytes_total", nil), 0.0)
	require.Greater(t, grew("etcd_disk_wal_fsync_duration_seconds", nil), 0.0)
	require.Greater(t, grew("etcd_disk_backend_commit_duration_seconds", nil), 0.0)
	// Every member applies the put, and counts it.
	for i := range c.servers {
		require.Eventually(t, func() bool {
			return sumValues(scrape(t, c.url(i)), "etcd_mvcc_put_total", nil) == sumValues(after, "etcd_mvcc_put_total", nil)
		}, 10*time.Second, 10*time.Millisecond, "member %d counts the put", i)
	}

	// A read from the future fails with etcd's code, and still counts as a
	// range, as in etcd.
	before = scrape(t, c.url(lead))
	status, resp = c.post(lead, "/v3/kv/range", `{"key":"bWV0cmljcw==","revision":"1000"}`)
	require.Equal(t, 400, status, resp)
	status, resp = c.post(lead, "/v3/kv/range", `{"key":"bWV0cmljcw==","serializable":true}`)
	require.Equal(t, 200, status, resp)
	after = scrape(t, c.url(lead))
	require.Equal(t, 1.0, grew("grpc_server_handled_total", map[string]string{"grpc_method": "Range", "grpc_code": "OutOfRange"}))
	require.Equal(t, 1.0, grew("grpc_server_handled_total", map[string]string{"grpc_method": "Range", "grpc_code": "OK"}))
	require.Equal(t, 2.0, grew("etcd_mvcc_range_total", nil))

	// A snapshot streamed to a client is timed, and is a server stream on
	// the Maintenance service.
	before = scrape(t, c.url(lead))
	status, resp = c.post(lead, "/v3/maintenance/snapshot", `{}`)
	require.Equal(t, 200, status)
	require.Contains(t, resp, `"blob"`)
	after = scrape(t, c.url(lead))
	require.Equal(t, 1.0, grew("etcd_disk_backend_snapshot_duration_seconds", nil))
	require.Equal(t, 1.0, grew("grpc_server_handled_total", map[string]string{"grpc_method": "Snapshot", "grpc_type": "server_stream", "grpc_code": "OK"}))
	require.Equal(t, float64(len(resp)), grew("etcd_network_client_grpc_sent_bytes_total", nil))

	before = scrape(t, c.url(lead))
	r, err := http.Get(c.url(lead) + "/health")
	require.NoError(t, err)
	r.Body.Close()
	after = scrape(t, c.url(lead))
	require.Equal(t, 1.0, grew("etcd_server_health_success", nil))

	// A watch stream is a bidi stream on the Watch service while it lasts
	// (the dashboard's "Watch streams" panel: started - handled).
	watch := map[string]string{"grpc_method": "Watch", "grpc_type": "bidi_stream"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", c.url(lead)+"/v3/watch",
		strings.NewReader(`{"create_request":{"key":"bWV0cmljcw=="}}`))
	wresp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	created, _ := bufio.NewReader(wresp.Body).ReadString('\n')
	require.Contains(t, created, `"created":true`)
	fams = scrape(t, c.url(lead))
	require.Equal(t, 1.0, sumValues(fams, "etcd_debugging_mvcc_watch_stream_total", nil))
	require.Equal(t, 1.0, sumValues(fams, "etcd_debugging_mvcc_watcher_total", nil))
	require.Equal(t, 1.0, sumValues(fams, "grpc_server_started_total", watch)-sumValues(fams, "grpc_server_handled_total", watch))
	cancel()
	wresp.Body.Close()
	require.Eventually(t, func() bool {
		fams := scrape(t, c.url(lead))
		return sumValues(fams, "etcd_debugging_mvcc_watch_stream_total", nil) == 0 &&
			sumValues(fams, "grpc_server_handled_total", map[string]string{"grpc_method": "Watch", "grpc_code": "Canceled"}) == 1
	}, 10*time.Second, 10*time.Millisecond)
}

// Several servers in one process keep their counts apart: each owns its
// registry.
func TestMetrics_ServersInOneProcessCountApart(t *testing.T) {
	c := startLiveCluster(t, 3, nil)
	lead := c.waitLeader()
	other := (lead + 1) % 3
	before := sumValues(scrape(t, c.url(other)), "grpc_server_started_total", nil)
	status, resp := c.post(lead, "/v3/kv/put", `{"key":"YQ==","value":"Yg=="}`)
	require.Equal(t, 200, status, resp)
	require.Equal(t, before, sumValues(scrape(t, c.url(other)), "grpc_server_started_total", nil))
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"), resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(b)))
	require.NoError(t, err, "parsing /metrics")
	return fams
}

// sumValues adds up the samples of a family whose labels include want: a
// counter's or gauge's value, a histogram's count.
func sumValues(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	var sum float64
	for _, m := range fams[name].GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		default:
			panic(fmt.Sprintf("%s: a sample of an unexpected type", name))
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(want)
}

// hasSeriesWith reports whether the family has a series with every one of
// the labels set.
func hasSeriesWith(f *dto.MetricFamily, labels []string) bool {
	for _, m := range f.GetMetric() {
		all := true
		for _, name := range labels {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == name && l.GetValue() != "" }) {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func labelNames(m *dto.Metric) []string {
	var out []string
	for _, l := range m.GetLabel() {
		out = append(out, l.GetName())
	}
	slices.Sort(out)
	return out
}

// BenchmarkClientAPIMetrics_UnaryCall is what counting one unary call adds
// to it (compare with a put's cost: tens of microseconds of CPU).
func BenchmarkClientAPIMetrics_UnaryCall(b *testing.B) {
	c := newClientAPIMetrics()
	m := c.Method("etcdserverpb.KV", "Put", api.RPCUnary)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		m.Started("")
		m.MessageReceived()
		m.MessageSent()
		c.ReceivedBytes(40)
		c.SentBytes(110)
		m.Handled(wire.OK, time.Since(start))
	}
}
