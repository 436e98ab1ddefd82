package acs

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/sim/scenario"
)

// HTTPS on the CWMP port (TR-069 §3.4). With `tls: true` the ACS serves
// CWMP and its operator API over TLS 1.2+ only, on http_port. Its
// certificates come from a per-run CA (NewPKI) unless cert_file/key_file/
// ca_file name a vendor's PKI (LoadPKI). The CA certificate is written to
// <OutDir>/<node>-ca.pem so external programs (an exec CPE agent, curl
// --cacert) can trust it, and posted on the run's Truth board under
// TLSTopic(node) for in-process CPEs. With client_cert request or require
// and a generated CA, a generic client certificate (CommonName
// "<node>-client") is written to <node>-client.pem / <node>-client-key.pem
// for external clients; in-process CPEs get their own from the PKI.
// A failed handshake (a CPE that does not trust the certificate, a missing
// or foreign client certificate) is logged as acs.tls_error and counted
// (tls_fail in acs.stats). Basic authentication over plain HTTP, which
// TR-069 forbids, is allowed but logged once as acs.auth_insecure.

// CAFileName is the name of the file, in the run's output folder, that
// holds an ACS node's CA certificate (PEM).
func CAFileName(node string) string { return node + "-ca.pem" }

// ClientFileNames are the files, in the run's output folder, that hold the
// generic client certificate and key an ACS node issues for external
// clients when it asks for client certificates.
func ClientFileNames(node string) (cert, key string) {
	return node + "-client.pem", node + "-client-key.pem"
}

func (o *Options) checkTLS() []scenario.FieldError {
	var errs []scenario.FieldError
	add := func(f, m string, a ...any) {
		errs = append(errs, scenario.FieldError{Field: f, Msg: fmt.Sprintf(m, a...)})
	}
	if !o.ClientCert.Valid() {
		add("client_cert", "want one of none, request, require; got %q", o.ClientCert)
	}
	files := o.CertFile != "" || o.KeyFile != "" || o.CAFile != ""
	if files && (o.CertFile == "" || o.KeyFile == "" || o.CAFile == "") {
		add("cert_file", "want cert_file, key_file and ca_file together (or none: a per-run CA)")
	}
	if !o.TLS && (files || o.ClientCert != ClientCertNone) {
		add("tls", "cert_file, key_file, ca_file and client_cert need tls: true")
	}
	if o.CertIdentity && o.ClientCert == ClientCertNone {
		add("cert_identity", "needs client_cert request or require (no certificate to check)")
	}
	return errs
}

// listenTLS wraps the CWMP listener in TLS and publishes the CA (o.TLS set).
func (s *Server) listenTLS(l net.Listener) (net.Listener, error) {
	o, env := &s.Options, s.env
	var p *PKI
	var err error
	if o.CertFile != "" {
		p, err = LoadPKI(o.CertFile, o.KeyFile, o.CAFile)
	} else {
		// Loopback too: `boxlab acs` reaches the operator API at 127.0.0.1
		// from inside the server's namespace.
		ips := append(append([]netip.Addr(nil), env.Addrs...), netip.MustParseAddr("127.0.0.1"))
		p, err = NewPKI(env.Node, ips, nil, env.Clock.Start().Add(s.now()))
	}
	if err != nil {
		return nil, fmt.Errorf("acs tls: %w", err)
	}
	if env.OutDir != "" {
		if err := os.WriteFile(filepath.Join(env.OutDir, CAFileName(env.Node)), p.CAPEM, 0o644); err != nil {
			return nil, fmt.Errorf("acs tls: %w", err)
		}
		if o.ClientCert != ClientCertNone && o.CertFile == "" {
			if err := writeClient(p, env.OutDir, env.Node, env.Clock.Start().Add(s.now())); err != nil {
				return nil, err
			}
		}
	}
	if env.Truth != nil {
		env.Truth.Add(TLSTopic(env.Node), p)
	}
	env.Log.Info("acs.tls", "ca", p.CA.Subject.CommonName, "client_cert", string(o.ClientCert), "ca_file", CAFileName(env.Node))
	return tls.NewListener(l, p.ServerConfig(o.ClientCert)), nil
}

// writeClient issues the generic client certificate for external clients
// and writes it and its key to dir.
func writeClient(p *PKI, dir, node string, now time.Time) error {
	c, err := p.Issue(node+"-client", now)
	if err != nil {
		return fmt.Errorf("acs tls: client certificate: %w", err)
	}
	cb, kb, err := KeyPEM(c)
	if err != nil {
		return fmt.Errorf("acs tls: client certificate: %w", err)
	}
	cf, kf := ClientFileNames(node)
	if err := os.WriteFile(filepath.Join(dir, cf), cb, 0o644); err != nil {
		return fmt.Errorf("acs tls: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, kf), kb, 0o600); err != nil {
		return fmt.Errorf("acs tls: %w", err)
	}
	return nil
}

// warnInsecure logs, once per server, that Basic runs over plain HTTP.
func (s *Server) warnInsecure() {
	if s.Options.Auth == httpauth.Basic && !s.Options.TLS {
		s.env.Log.Info("acs.auth_insecure", "detail", "Basic authentication over plain HTTP: TR-069 §3.4.4 allows Basic only over TLS (set tls: true)")
	}
}

// errorLog turns the HTTP server's error lines into events: a failed TLS
// handshake is acs.tls_error (counted), anything else acs.http_error.
func (s *Server) errorLog() *log.Logger {
	return log.New(logWriter(func(b []byte) {
		msg := string(bytes.TrimSpace(b))
		if bytes.Contains(b, []byte("TLS handshake error")) {
			s.mu.Lock()
			s.tlsFails++
			s.mu.Unlock()
			s.env.Log.Info("acs.tls_error", "err", msg)
			return
		}
		s.env.Log.Info("acs.http_error", "err", msg)
	}), "", 0)
}

type logWriter func([]byte)

func (w logWriter) Write(b []byte) (int, error) { w(b); return len(b), nil }

// certIdentity reports whether an Inform may come over r's connection
// (cert_identity): its verified client certificate's CommonName must name
// the device. It returns the reason of a refusal.
func (s *Server) certIdentity(r *http.Request, id cwmp.DeviceID) (string, bool) {
	if !s.Options.CertIdentity {
		return "", true
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "no client certificate", false
	}
	cn := r.TLS.PeerCertificates[0].Subject.CommonName
	if !names(cn, id) {
		return fmt.Sprintf("certificate of %q informs as device %q", cn, id.SerialNumber), false
	}
	return "", true
}

// scheme is the URL scheme of the ACS's HTTP port.
func (s *Server) scheme() string {
	if s.Options.TLS {
		return "https"
	}
	return "http"
}
