package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/raftkv/raftkv/server/v3http"
	"github.com/raftkv/raftkv/server/v3rpc"
)

// Serving. The proxy is one more api.Backend, so it is served exactly as a
// member is (server/client_port.go): etcd's gRPC services by server/v3rpc
// and the JSON gateway by server/v3http, both over the Proxy, on one port —
// gRPC connections told apart from HTTP/1.1 ones by their first bytes, or,
// over TLS, by request. Beside the gateway, the paths etcd's grpc-proxy
// serves: /metrics (a member's, passed through), /proxy/metrics (the
// proxy's own), /health (the cluster's, through the proxy) and
// /proxy/health (the proxy's: it can also open a watch); and /ui, a page
// of the proxy's own figures.

// Serve serves clients on ln until the proxy is closed; tlsCfg, if not
// nil, makes it a TLS port.
func (p *Proxy) Serve(ln net.Listener, tlsCfg *tls.Config) error {
	gs := v3rpc.New(p, v3rpc.Config{
		MaxRequestBytes:      p.cfg.MaxRequestBytes,
		MaxConcurrentStreams: p.cfg.MaxConcurrentStreams,
		ElectionTimeout:      p.cfg.StatusInterval,
	})
	mux := http.NewServeMux()
	v3http.New(p, v3http.Config{MaxRequestBytes: p.cfg.MaxRequestBytes, Done: p.ctx.Done()}).Register(mux)
	p.registerPages(mux)
	handler := v3http.WithCORS(mux)
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
	if !p.track(gs, hs) {
		return errClosed
	}
	if tlsCfg != nil {
		c := tlsCfg.Clone()
		c.NextProtos = []string{"h2", "http/1.1"}
		hs.Handler = v3rpc.GRPCOrHTTP(gs, handler)
		return serveErr(hs.Serve(tls.NewListener(ln, c)))
	}
	split := v3rpc.Split(ln)
	errc := make(chan error, 2)
	go func() { errc <- serveErr(gs.Serve(split.GRPC())) }()
	go func() { errc <- serveErr(hs.Serve(split.HTTP())) }()
	err := <-errc
	split.Close()
	return err
}

// ServeMetrics serves --metrics-addr: the metrics and health paths alone.
func (p *Proxy) ServeMetrics(ln net.Listener, tlsCfg *tls.Config) error {
	mux := http.NewServeMux()
	p.registerMonitoring(mux)
	mux.HandleFunc("/health", p.serveProxyHealth)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog}
	if !p.track(nil, hs) {
		return errClosed
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	return serveErr(hs.Serve(ln))
}

var errClosed = errors.New("proxy: closed")

// discardLog silences net/http's own log (a client that hangs up is not
// news).
var discardLog = log.New(io.Discard, "", 0)

// serveErr is nil for the error a server returns when it was stopped.
func serveErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// track remembers the servers, for Close; false if the proxy is closed.
func (p *Proxy) track(gs *grpc.Server, hs *http.Server) bool {
	p.serversMu.Lock()
	defer p.serversMu.Unlock()
	if p.ctx.Err() != nil {
		return false
	}
	if gs != nil {
		p.grpcServers = append(p.grpcServers, gs)
	}
	p.httpServers = append(p.httpServers, hs)
	return true
}

// stopServing closes every port and ends every client's call and stream,
// and everything the proxy runs in the background.
func (p *Proxy) stopServing() {
	p.serversMu.Lock()
	defer p.serversMu.Unlock()
	p.cancel()
	for _, gs := range p.grpcServers {
		gs.Stop()
	}
	for _, hs := range p.httpServers {
		hs.Close()
	}
}

func (p *Proxy) registerPages(mux *http.ServeMux) {
	p.registerMonitoring(mux)
	mux.HandleFunc("/ui", p.serveUI)
	if p.cfg.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
}

// registerMonitoring adds the paths etcd's grpc-proxy serves for
// monitoring (/health, on the client port, is the gateway's: it asks
// Health too).
func (p *Proxy) registerMonitoring(mux *http.ServeMux) {
	mux.HandleFunc("/metrics", p.serveClusterMetrics)
	mux.Handle("/proxy/metrics", p.metrics.handler())
	mux.HandleFunc("/proxy/health", p.serveProxyHealth)
}

// serveClusterMetrics passes a member's /metrics through, as etcd's
// grpc-proxy does: a monitoring system that scrapes the proxy sees the
// cluster's figures (etcd_debugging_mvcc_watcher_total among them: the
// watches the proxy holds there).
func (p *Proxy) serveClusterMetrics(w http.ResponseWriter, r *http.Request) {
	for _, base := range p.memberURLs() {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, base+"/metrics", nil)
		if err != nil {
			continue
		}
		resp, err := p.httpClient.Do(req)
		if err != nil {
			continue
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "Internal server error", http.StatusInternalServerError)
}

// serveProxyHealth answers whether the cluster answers a linearizable
// read through the proxy (/proxy/health; /health on the metrics address).
func (p *Proxy) serveProxyHealth(w http.ResponseWriter, r *http.Request) {
	h := p.Health(r.Context(), r.URL.Query().Get("serializable") == "true")
	writeHealth(w, h.Healthy, h.Reason)
}

func writeHealth(w http.ResponseWriter, healthy bool, reason string) {
	w.Header().Set("Content-Type", "application/json")
	if !healthy {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintf(w, `{"health":"%v","reason":%q}`, healthy, strings.TrimSpace(reason))
}
