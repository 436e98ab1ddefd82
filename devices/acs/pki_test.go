package acs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var pkiNow = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

func mustPKI(t *testing.T, name string, ips ...string) *PKI {
	t.Helper()
	var as []netip.Addr
	for _, s := range ips {
		as = append(as, netip.MustParseAddr(s))
	}
	p, err := NewPKI(name, as, nil, pkiNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewPKIServerCertificate(t *testing.T) {
	p := mustPKI(t, "acs", "10.0.0.2", "10.0.0.3")
	leaf, err := x509.ParseCertificate(p.Server.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if !p.CA.IsCA || p.CA.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("CA: IsCA %v, key %v; want an ECDSA CA", p.CA.IsCA, p.CA.PublicKeyAlgorithm)
	}
	for _, tc := range []struct {
		host string
		now  time.Time
		ok   bool
	}{
		{"10.0.0.2", pkiNow, true},
		{"10.0.0.3", pkiNow, true},
		{"10.0.0.4", pkiNow, false},                     // not a SAN
		{"acs", pkiNow, false},                          // no DNS names
		{"10.0.0.2", pkiNow.Add(-2 * time.Hour), false}, // before NotBefore
		{"10.0.0.2", pkiNow.Add(certValidity + time.Hour), false},
	} {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: p.Pool(), DNSName: tc.host, CurrentTime: tc.now})
		if (err == nil) != tc.ok {
			t.Errorf("verify for %s at %v: err %v; want ok=%v", tc.host, tc.now, err, tc.ok)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: mustPKI(t, "other").Pool(), DNSName: "10.0.0.2", CurrentTime: pkiNow}); err == nil {
		t.Error("a foreign CA verified the server certificate")
	}
}

func TestIssueClientCertificate(t *testing.T) {
	p := mustPKI(t, "acs", "10.0.0.2")
	c, err := p.Issue("home1-stb0", pkiNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf.Subject.CommonName != "home1-stb0" {
		t.Errorf("CN %q", c.Leaf.Subject.CommonName)
	}
	opts := x509.VerifyOptions{Roots: p.Pool(), CurrentTime: pkiNow, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := c.Leaf.Verify(opts); err != nil {
		t.Errorf("client certificate does not verify for client auth: %v", err)
	}
	opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if _, err := c.Leaf.Verify(opts); err == nil {
		t.Error("client certificate verified for server auth")
	}
}

// TestLoadPKI writes a generated PKI as a vendor's files and loads it back.
func TestLoadPKI(t *testing.T) {
	p := mustPKI(t, "acs", "10.0.0.2")
	dir := t.TempDir()
	cert, key, err := KeyPEM(p.Server)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cf, kf, caf := write("srv.pem", cert), write("srv.key", key), write("ca.pem", p.CAPEM)
	l, err := LoadPKI(cf, kf, caf)
	if err != nil {
		t.Fatal(err)
	}
	if !l.CA.Equal(p.CA) {
		t.Error("loaded CA differs")
	}
	if _, err := l.Issue("x", pkiNow); err == nil {
		t.Error("a loaded PKI without the CA key issued a certificate")
	}
	bad := write("bad.pem", []byte("not pem"))
	for _, tc := range []struct{ name, cert, key, ca, want string }{
		{"missing cert", filepath.Join(dir, "none"), kf, caf, "server certificate"},
		{"key mismatch", cf, write("other.key", mustKey(t)), caf, "server certificate"},
		{"missing ca", cf, kf, filepath.Join(dir, "none"), "ca_file"},
		{"ca not pem", cf, kf, bad, "no PEM CERTIFICATE"},
	} {
		if _, err := LoadPKI(tc.cert, tc.key, tc.ca); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v; want %q", tc.name, err, tc.want)
		}
	}
}

func mustKey(t *testing.T) []byte {
	c, err := mustPKI(t, "k").Issue("k", pkiNow)
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := KeyPEM(c)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestServerConfigHandshake runs real TLS handshakes over loopback TCP:
// the client modes and trust anchors a CPE may have.
func TestServerConfigHandshake(t *testing.T) {
	p := mustPKI(t, "acs", "127.0.0.1")
	foreign := mustPKI(t, "foreign")
	dev, err := p.Issue("stb", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	alien, err := foreign.Issue("stb", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		mode  ClientCertMode
		roots *x509.CertPool
		cert  *tls.Certificate
		ok    bool
	}{
		{"no client cert asked", ClientCertNone, p.Pool(), nil, true},
		{"foreign CA refused by the client", ClientCertNone, foreign.Pool(), nil, false},
		{"request, none given", ClientCertRequest, p.Pool(), nil, true},
		{"request, CA-signed", ClientCertRequest, p.Pool(), &dev, true},
		{"request, foreign client cert", ClientCertRequest, p.Pool(), &alien, false},
		{"require, none given", ClientCertRequire, p.Pool(), nil, false},
		{"require, CA-signed", ClientCertRequire, p.Pool(), &dev, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := handshake(t, p.ServerConfig(tc.mode), tc.roots, tc.cert)
			if (err == nil) != tc.ok {
				t.Fatalf("handshake err %v; want ok=%v", err, tc.ok)
			}
			if tc.name == "foreign CA refused by the client" {
				var ve *tls.CertificateVerificationError
				if !errors.As(err, &ve) {
					t.Errorf("err %v; want a certificate verification error", err)
				}
			}
		})
	}
}

// handshake connects a client to a server with cfg and returns the first
// error either side saw (after a round trip, so a refused client
// certificate reaches the client).
func handshake(t *testing.T, cfg *tls.Config, roots *x509.CertPool, cert *tls.Certificate) error {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		if err := c.(*tls.Conn).Handshake(); err != nil {
			srvErr <- err
			return
		}
		_, err = c.Write([]byte("x"))
		srvErr <- err
	}()
	cc := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil { // always sent, even if the server's CA list does not name its issuer
		cc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp4", ln.Addr().String(), cc)
	if err != nil {
		<-srvErr
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	_, rerr := c.Read(make([]byte, 1))
	if serr := <-srvErr; serr != nil {
		return serr
	}
	return rerr
}

func TestCheckTLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"off", Options{ClientCert: ClientCertNone}, ""},
		{"on, generated", Options{TLS: true, ClientCert: ClientCertRequire}, ""},
		{"on, files", Options{TLS: true, CertFile: "a", KeyFile: "b", CAFile: "c", ClientCert: ClientCertNone}, ""},
		{"bad mode", Options{TLS: true, ClientCert: "maybe"}, "client_cert"},
		{"partial files", Options{TLS: true, CertFile: "a", ClientCert: ClientCertNone}, "cert_file"},
		{"files without tls", Options{CertFile: "a", KeyFile: "b", CAFile: "c", ClientCert: ClientCertNone}, "tls"},
		{"client cert without tls", Options{ClientCert: ClientCertRequire}, "tls"},
		{"cert identity", Options{TLS: true, ClientCert: ClientCertRequest, CertIdentity: true}, ""},
		{"cert identity without client certs", Options{TLS: true, ClientCert: ClientCertNone, CertIdentity: true}, "cert_identity"},
	} {
		errs := tc.o.checkTLS()
		got := ""
		if len(errs) > 0 {
			got = errs[0].Field
		}
		if got != tc.want {
			t.Errorf("%s: first error field %q (%v); want %q", tc.name, got, errs, tc.want)
		}
	}
}

// FuzzFirstCert: any bytes as a ca_file give a certificate or an error,
// never a panic.
func FuzzFirstCert(f *testing.F) {
	p, err := NewPKI("fuzz", nil, nil, pkiNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.CAPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := FirstCert(b)
		if (c == nil) == (err == nil) {
			t.Fatalf("FirstCert = %v, %v: want exactly one", c, err)
		}
	})
}
