package stb

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/boxlab/boxlab/devices/acs"
)

// HTTPS to the ACS (TR-069 §3.4): with acs_scheme https the box speaks
// TLS 1.2+ to the ACS URL and checks the ACS's certificate against its
// trust anchor and the URL's host (an IP address: the certificate must
// name it). The trust anchor is ca_file when set (how an exec'd box gets
// the run's <acs>-ca.pem), else the CA the acs node of the same run
// publishes (acs.TLSTopic); until it is published the boot session fails
// and is retried. When the ACS asks for a client certificate the box
// presents cert_file/key_file, or one issued to its serial number by the
// run's CA. The variant tls_foreign_ca trusts a CA of the box's own
// instead (a box provisioned for another operator): it must refuse the
// ACS's certificate, every time (stb.tls_refused, reason).

// tlsConfig is the box's TLS client configuration for this life.
func (l *kaLife) tlsConfig() (*tls.Config, error) {
	o, env := &l.box.Options, l.env
	now := env.Clock.Start().Add(env.Clock.Now())
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	var run *acs.PKI
	if env.Truth != nil {
		for _, f := range env.Truth.All(acs.TLSTopic(o.ACS)) {
			if p, ok := f.(*acs.PKI); ok {
				run = p
			}
		}
	}
	switch {
	case o.TLSForeignCA:
		p, err := acs.NewPKI(env.Node+"-foreign", nil, nil, now)
		if err != nil {
			return nil, fmt.Errorf("foreign ca: %w", err)
		}
		c.RootCAs = p.Pool()
	case o.CAFile != "":
		b, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate", o.CAFile)
		}
	case run != nil:
		c.RootCAs = run.Pool()
	default:
		return nil, fmt.Errorf("no trust anchor yet: acs %q has not published its CA (set ca_file)", o.ACS)
	}
	switch {
	case o.CertFile != "":
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	case run != nil:
		// Issued only when the ACS asks for one (a key pair costs time).
		var once sync.Once
		var cert tls.Certificate
		var err error
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			once.Do(func() { cert, err = run.Issue(env.Node, now) })
			if err != nil {
				env.Log.Info("stb.error", "during", "client certificate", "err", err.Error())
				return &tls.Certificate{}, nil // none: the ACS decides
			}
			return &cert, nil
		}
	}
	return c, nil
}

// transport is the box's HTTP transport to the ACS for this life.
func (l *kaLife) transport() (*http.Transport, error) {
	t := &http.Transport{DialContext: l.env.NS.DialContext, MaxIdleConnsPerHost: 1, IdleConnTimeout: 10 * time.Second}
	if l.box.Options.ACSScheme != "https" {
		return t, nil
	}
	c, err := l.tlsConfig()
	if err != nil {
		return nil, err
	}
	t.TLSClientConfig = c
	return t, nil
}

// tlsRefused logs a refused ACS certificate and reports whether err was one.
func (l *kaLife) tlsRefused(err error) bool {
	var ve *tls.CertificateVerificationError
	if !errors.As(err, &ve) {
		return false
	}
	reason := "invalid"
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ie x509.CertificateInvalidError
	switch {
	case errors.As(ve.Err, &ua):
		reason = "unknown_authority"
	case errors.As(ve.Err, &he):
		reason = "wrong_host"
	case errors.As(ve.Err, &ie):
		reason = "invalid"
	}
	l.env.Log.Info("stb.tls_refused", "reason", reason, "err", ve.Err.Error())
	return true
}
