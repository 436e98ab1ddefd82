package acs

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// BenchmarkSessionTLS measures what HTTPS costs the ACS per CWMP
// connection: a fresh connection and one POST answered 204 (a CWMP session
// ends its connection, so every session pays a handshake), over loopback,
// with TLS (ECDSA P-256 from the run's CA; with and without a client
// certificate) against plain HTTP measured in the same run. It reports
// connections/s of each and the ratio to plain.
func BenchmarkSessionTLS(b *testing.B) {
	p, err := NewPKI("bench", []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	dev, err := p.Issue("stb", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("x", 2048) // about an Inform
	serve := func(cfg *tls.Config) (string, func()) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		scheme := "http"
		if cfg != nil {
			l, scheme = tls.NewListener(l, cfg), "https"
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		})}
		go hs.Serve(l)
		return scheme + "://" + l.Addr().String() + "/", func() { hs.Close() }
	}
	run := func(url string, cc *tls.Config, n int) float64 {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: cc}}
		start := time.Now()
		for range n {
			resp, err := c.Post(url, "text/xml", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		return float64(n) / time.Since(start).Seconds()
	}
	plainURL, stop1 := serve(nil)
	defer stop1()
	tlsURL, stop2 := serve(p.ServerConfig(ClientCertNone))
	defer stop2()
	mtlsURL, stop3 := serve(p.ServerConfig(ClientCertRequire))
	defer stop3()
	roots := &tls.Config{RootCAs: p.Pool(), MinVersion: tls.VersionTLS12}
	withCert := &tls.Config{RootCAs: p.Pool(), MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{dev}}
	n := max(b.N, 500)
	run(plainURL, nil, 50) // warm up
	run(tlsURL, roots, 50)
	run(mtlsURL, withCert, 50)
	b.ResetTimer()
	plain := run(plainURL, nil, n)
	tlsRate := run(tlsURL, roots, n)
	mtls := run(mtlsURL, withCert, n)
	b.StopTimer()
	b.ReportMetric(plain, "plain-conn/s")
	b.ReportMetric(tlsRate, "tls-conn/s")
	b.ReportMetric(mtls, "mtls-conn/s")
	b.ReportMetric(tlsRate/plain, "tls-ratio")
	b.ReportMetric(mtls/plain, "mtls-ratio")
	b.ReportMetric(0, "ns/op")
}
