package acs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"time"
)

// The ACS's certificates (TR-069 §3.4: the CPE validates the ACS's
// certificate against its CA and the ACS URL's host; it may present a
// certificate of its own). By default a run has its own CA, made in memory
// (ECDSA P-256) when the ACS starts, and a server certificate for the ACS's
// addresses signed by it; a vendor's PKI is loaded from PEM files instead.

// certValidity is how long generated certificates are good for, from an
// hour before they are made (clock skew between the simulated clock and
// wall-clock peers like curl).
const certValidity = 2 * 365 * 24 * time.Hour

// PKI is a certificate authority and the server certificate it signed.
type PKI struct {
	CA     *x509.Certificate // the trust anchor CPEs check the server against
	CAPEM  []byte            // CA in PEM, as written to <node>-ca.pem
	Server tls.Certificate   // the ACS's certificate and key
	caKey  crypto.Signer     // nil for a loaded PKI without the CA's key: Issue fails
}

// NewPKI makes a CA named after name and a server certificate for ips
// (IP subject alternative names: the ACS URL's host is an address) and
// hosts (DNS names), valid from now-1h.
func NewPKI(name string, ips []netip.Addr, hosts []string, now time.Time) (*PKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name + " boxlab run CA", Organization: []string{"boxlab"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certValidity),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("ca certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca certificate: %w", err)
	}
	p := &PKI{CA: ca, CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caKey: caKey}
	p.Server, err = p.issue(name, ips, hosts, x509.ExtKeyUsageServerAuth, now)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	return p, nil
}

// LoadPKI loads a vendor's PKI: the server certificate chain and key
// (PEM) and the CA that signed it (PEM; the first certificate is the trust
// anchor, and every certificate in the file verifies client certificates).
// Such a PKI cannot issue device certificates.
func LoadPKI(certFile, keyFile, caFile string) (*PKI, error) {
	srv, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	ca, err := FirstCert(b)
	if err != nil {
		return nil, fmt.Errorf("ca_file %s: %w", caFile, err)
	}
	return &PKI{CA: ca, CAPEM: b, Server: srv}, nil
}

// FirstCert parses the first CERTIFICATE block of PEM data.
func FirstCert(b []byte) (*x509.Certificate, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if blk.Type == "CERTIFICATE" {
			return x509.ParseCertificate(blk.Bytes)
		}
	}
}

// Pool is a pool of the PKI's CA certificates (all of CAPEM).
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.CAPEM) {
		pool.AddCert(p.CA)
	}
	return pool
}

// Issue makes a client certificate for a device (CommonName: its serial
// number), signed by the CA.
func (p *PKI) Issue(device string, now time.Time) (tls.Certificate, error) {
	return p.issue(device, nil, nil, x509.ExtKeyUsageClientAuth, now)
}

func (p *PKI) issue(cn string, ips []netip.Addr, hosts []string, use x509.ExtKeyUsage, now time.Time) (tls.Certificate, error) {
	if p.caKey == nil {
		return tls.Certificate{}, errors.New("this PKI has no CA key (loaded from files): it cannot issue certificates")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: cn, Organization: []string{"boxlab"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certValidity),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{use}, DNSNames: hosts,
	}
	for _, a := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.Unmap().AsSlice()))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, key.Public(), p.caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate %q: %w", cn, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate %q: %w", cn, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// KeyPEM encodes a certificate's chain and its private key as PEM (for
// curl's --cert and --key, or an exec CPE agent).
func KeyPEM(c tls.Certificate) (certPEM, keyPEM []byte, err error) {
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	k, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
}

// ServerConfig is the TLS configuration of the CWMP listener: TLS 1.2 or
// later (TR-069 §3.4), the server certificate, and client certificates
// checked against the CA as mode asks.
func (p *PKI) ServerConfig(mode ClientCertMode) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{p.Server}}
	switch mode {
	case ClientCertRequest:
		c.ClientAuth, c.ClientCAs = tls.VerifyClientCertIfGiven, p.Pool()
	case ClientCertRequire:
		c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, p.Pool()
	}
	return c
}

// ClientCertMode is whether the ACS asks CPEs for a certificate.
type ClientCertMode string

// Client-certificate modes.
const (
	ClientCertNone    ClientCertMode = "none"    // no certificate asked for (default)
	ClientCertRequest ClientCertMode = "request" // asked for; verified if given
	ClientCertRequire ClientCertMode = "require" // a CA-signed certificate or no session
)

// Valid reports whether m is a known mode.
func (m ClientCertMode) Valid() bool {
	return m == ClientCertNone || m == ClientCertRequest || m == ClientCertRequire
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n.Add(n, big.NewInt(1))
}

// TLSTopic is the Truth topic under which an ACS node posts its *PKI, so
// in-process CPEs (the stb role) trust the run's CA and get their client
// certificates from it; an external program reads <node>-ca.pem instead.
func TLSTopic(node string) string { return "acs-tls/" + node }
