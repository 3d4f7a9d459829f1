package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLS of the proxy and the gateway, from etcd's flag names: --cert, --key,
// --cacert and --insecure-skip-tls-verify for the proxy's connections to
// the members; --cert-file, --key-file and --trusted-ca-file for its own
// port.

// clusterTLS is the TLS the proxy speaks to the members; nil if no flag
// asks for it.
func clusterTLS(cert, key, cacert string, insecureSkip bool) (*tls.Config, error) {
	if cert == "" && key == "" && cacert == "" && !insecureSkip {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecureSkip}
	if (cert == "") != (key == "") {
		return nil, errors.New("--cert and --key go together")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if cacert != "" {
		pool, err := loadPool(cacert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// listenTLS is the TLS of the proxy's own port; nil if it has no
// certificate. As etcd's proxy, it does not ask clients for certificates.
func listenTLS(certFile, keyFile, caFile, minVersion, maxVersion string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		if caFile != "" {
			return nil, errors.New("--trusted-ca-file needs --cert-file and --key-file")
		}
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--cert-file and --key-file go together")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--cert-file/--key-file: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	if caFile != "" {
		if cfg.ClientCAs, err = loadPool(caFile); err != nil {
			return nil, fmt.Errorf("--trusted-ca-file: %w", err)
		}
	}
	if cfg.MinVersion, err = tlsVersion(minVersion); err != nil {
		return nil, fmt.Errorf("tls-min-version is invalid: %w", err)
	}
	if cfg.MaxVersion, err = tlsVersion(maxVersion); err != nil {
		return nil, fmt.Errorf("tls-max-version is invalid: %w", err)
	}
	if cfg.MaxVersion != 0 && cfg.MinVersion > cfg.MaxVersion {
		return nil, fmt.Errorf("min version (%s) is greater than max version (%s)", minVersion, maxVersion)
	}
	return cfg, nil
}

// tlsVersion reads etcd's names of TLS versions ("": Go's default).
func tlsVersion(s string) (uint16, error) {
	switch s {
	case "":
		return 0, nil
	case "TLS1.2":
		return tls.VersionTLS12, nil
	case "TLS1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unexpected TLS version %q (must be one of: TLS1.2, TLS1.3)", s)
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}
