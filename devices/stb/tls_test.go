package stb

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxlab/boxlab/devices"
	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/sim/clock"
	"github.com/boxlab/boxlab/sim/scenario"
)

func TestKeepaliveTLSOptionsCheck(t *testing.T) {
	s := &scenario.Scenario{Topology: scenario.Topology{Servers: []scenario.Server{{Name: "acs"}}}}
	for _, tc := range []struct {
		name  string
		edit  func(o *KeepaliveOptions)
		field string // "" = valid
	}{
		{"http", func(o *KeepaliveOptions) {}, ""},
		{"https, run CA", func(o *KeepaliveOptions) { o.ACSScheme = "https" }, ""},
		{"https, files", func(o *KeepaliveOptions) {
			o.ACSScheme, o.CAFile, o.CertFile, o.KeyFile = "https", "ca.pem", "c.pem", "k.pem"
		}, ""},
		{"https, foreign", func(o *KeepaliveOptions) { o.ACSScheme, o.TLSForeignCA = "https", true }, ""},
		{"ftp", func(o *KeepaliveOptions) { o.ACSScheme = "ftp" }, "acs_scheme"},
		{"ca_file over http", func(o *KeepaliveOptions) { o.CAFile = "ca.pem" }, "acs_scheme"},
		{"foreign over http", func(o *KeepaliveOptions) { o.TLSForeignCA = true }, "acs_scheme"},
		{"cert without key", func(o *KeepaliveOptions) { o.ACSScheme, o.CertFile = "https", "c.pem" }, "cert_file"},
	} {
		o := DefaultKeepaliveOptions()
		o.ACS = "acs"
		tc.edit(o)
		errs := o.Check(s)
		var fields []string
		for _, e := range errs {
			fields = append(fields, e.Field)
		}
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s: Check = %v; want none", tc.name, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%s: Check fields %s; want [%s]", tc.name, strings.Join(fields, ","), tc.field)
		}
	}
}

// TestTLSConfigTrustAnchor checks where the box's trust anchor comes from:
// the run's published PKI, ca_file, or a foreign CA of its own; and that
// without any it fails (the boot session is retried) instead of trusting
// the system roots.
func TestTLSConfigTrustAnchor(t *testing.T) {
	now := time.Now()
	run, err := acs.NewPKI("acs", []netip.Addr{netip.MustParseAddr("10.0.0.2")}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := acs.NewPKI("other", nil, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, other.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(run.Server.Certificate[0])
	verifies := func(c *tls.Config) bool {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: c.RootCAs, DNSName: "10.0.0.2"})
		return err == nil
	}
	for _, tc := range []struct {
		name      string
		published bool
		edit      func(o *KeepaliveOptions)
		err       string
		trusts    bool
	}{
		{"run CA published", true, func(*KeepaliveOptions) {}, "", true},
		{"nothing published yet", false, func(*KeepaliveOptions) {}, "no trust anchor yet", false},
		{"ca_file wins over the run's CA", true, func(o *KeepaliveOptions) { o.CAFile = caFile }, "", false},
		{"missing ca_file", false, func(o *KeepaliveOptions) { o.CAFile = caFile + ".none" }, "ca_file", false},
		{"foreign CA", true, func(o *KeepaliveOptions) { o.TLSForeignCA = true }, "", false},
	} {
		truth := devices.NewTruth()
		if tc.published {
			truth.Add(acs.TLSTopic("acs"), run)
		}
		o := DefaultKeepaliveOptions()
		o.ACS, o.ACSScheme = "acs", "https"
		tc.edit(o)
		l := &kaLife{box: &KeepaliveBox{Options: *o}, env: &devices.Env{Node: "home0-stb0", Clock: clock.New(1),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Truth: truth}}
		c, err := l.tlsConfig()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v; want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.MinVersion != tls.VersionTLS12 {
			t.Errorf("%s: MinVersion %x; want TLS 1.2", tc.name, c.MinVersion)
		}
		if got := verifies(c); got != tc.trusts {
			t.Errorf("%s: trusts the ACS's certificate = %v; want %v", tc.name, got, tc.trusts)
		}
	}
}
