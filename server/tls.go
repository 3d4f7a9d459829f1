package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// serverTLS builds the TLS configuration of a listener from etcd-style
// flags (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth, and
// their --peer-* twins); nil when TLS is not configured.
func serverTLS(f TLSFiles) (*tls.Config, error) {
	if !f.Enabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s / key %s: %w", f.CertFile, f.KeyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	if f.ClientCertAuth {
		pool, err := loadCA(f.TrustedCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// clientTLSConfig builds what a member uses to dial its peers: the trusted
// CA to check them, and its own certificate in case they ask for one.
func clientTLSConfig(f TLSFiles) (*tls.Config, error) {
	if !f.Enabled() && f.TrustedCAFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.TrustedCAFile != "" {
		pool, err := loadCA(f.TrustedCAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if f.Enabled() {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load certificate %s / key %s: %w", f.CertFile, f.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read trusted CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("trusted CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// warnPlainURLs says, in etcd's words, when TLS flags are given for URLs
// that are plain http:// — they do not apply there, and an operator who
// asked for client certificates must not believe they are checked.
func warnPlainURLs(log *slog.Logger, urls []string, f TLSFiles, flagPrefix string) {
	for _, raw := range urls {
		if !strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "unix://") {
			continue
		}
		if f.ClientCertAuth {
			log.Warn("scheme is http or unix while --"+flagPrefix+"client-cert-auth is enabled; ignored client cert auth for this URL", "url", raw)
		}
		if f.Enabled() {
			log.Warn("scheme is http or unix while key and cert files are present; ignoring key and cert files", "url", raw)
		}
	}
}
