package proxy

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the proxy's own figures, in a registry of its own (two
// proxies in one process count apart). etcd's grpc-proxy names are kept
// where etcd has the figure — with etcd's types, even where a _total is a
// gauge — and raftkv_grpc_proxy_* names the rest: the figures that show
// the coalescing from both sides (how many watches the clients hold, how
// many the proxy holds on the cluster for them).
type metrics struct {
	registry *prometheus.Registry

	eventsCoalescing prometheus.Counter
	cacheHits        prometheus.Gauge
	cacheMisses      prometheus.Gauge

	keepAlivesAsked prometheus.Counter
	keepAlivesSent  prometheus.Counter
}

func newMetrics(p *Proxy) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		eventsCoalescing: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "etcd_grpc_proxy_events_coalescing_total",
			Help: "Total number of events coalescing",
		}),
		cacheHits: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "etcd_grpc_proxy_cache_hits_total",
			Help: "Total number of cache hits",
		}),
		cacheMisses: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "etcd_grpc_proxy_cache_misses_total",
			Help: "Total number of cache misses",
		}),
		keepAlivesAsked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "raftkv_grpc_proxy_lease_keepalives_received_total",
			Help: "Lease renewals clients asked the proxy for.",
		}),
		keepAlivesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "raftkv_grpc_proxy_lease_keepalives_sent_total",
			Help: "Lease renewals the proxy sent to the cluster for them.",
		}),
	}
	m.registry.MustRegister(
		m.eventsCoalescing, m.cacheHits, m.cacheMisses, m.keepAlivesAsked, m.keepAlivesSent,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "etcd_grpc_proxy_watchers_coalescing_total",
			Help: "Total number of current watchers coalescing",
		}, func() float64 { return float64(p.hub.stats().coalescing) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "etcd_grpc_proxy_cache_keys_total",
			Help: "Total number of keys/ranges cached",
		}, func() float64 { return float64(p.cache.size()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "raftkv_grpc_proxy_client_watches",
			Help: "Watches the proxy's clients hold open on it.",
		}, func() float64 { return float64(p.hub.stats().receivers) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "raftkv_grpc_proxy_upstream_watches",
			Help: "Watches the proxy holds open on the cluster for them.",
		}, func() float64 { return float64(p.hub.stats().broadcasts) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "raftkv_grpc_proxy_upstream_lease_streams",
			Help: "Lease keep-alive streams the proxy holds open on the cluster.",
		}, func() float64 { return float64(p.leases.streams()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
