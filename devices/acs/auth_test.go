package acs

import (
	"net/netip"
	"testing"

	"github.com/boxlab/boxlab/devices/acs/cwmp"
	"github.com/boxlab/boxlab/devices/httpauth"
	"github.com/boxlab/boxlab/sim/scenario"
)

func TestCPEPassword(t *testing.T) {
	a, b := CPEPassword("boxlab", "home0-stb0"), CPEPassword("boxlab", "home1-stb0")
	if len(a) != 24 || a == b || a != CPEPassword("boxlab", "home0-stb0") || a == CPEPassword("other", "home0-stb0") {
		t.Errorf("CPEPassword: %q %q; want 24 hex digits, per user and per secret, deterministic", a, b)
	}
}

func TestOptionsPassword(t *testing.T) {
	o := DefaultOptions()
	o.AuthUsers = map[string]string{"vendor-cpe": "s3cret"}
	tests := []struct {
		name, secret, user, want string
		ok                       bool
	}{
		{"from the table", DefaultSecret, "vendor-cpe", "s3cret", true},
		{"derived from the secret", DefaultSecret, "home0-stb0", CPEPassword(DefaultSecret, "home0-stb0"), true},
		{"table only: unknown user", "", "home0-stb0", "", false},
		{"empty username", DefaultSecret, "", "", false},
	}
	for _, tt := range tests {
		o.AuthSecret = tt.secret
		got, ok := o.password(tt.user)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: password(%q) = %q, %v; want %q, %v", tt.name, tt.user, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIdentity(t *testing.T) {
	id := cwmp.DeviceID{OUI: "B0B1AB", ProductClass: "stb", SerialNumber: "home0-stb0"}
	s := &Server{Options: *DefaultOptions()}
	if !s.identity("anyone", id) {
		t.Error("auth none: every user may inform")
	}
	s.Options.Auth = httpauth.Digest
	for user, want := range map[string]bool{
		"home0-stb0":            true, // the serial number
		"B0B1AB-stb-home0-stb0": true, // GenieACS's device id
		"home1-stb0":            false,
		"":                      false,
	} {
		if got := s.identity(user, id); got != want {
			t.Errorf("identity(%q) = %v; want %v", user, got, want)
		}
	}
}

func TestConnectionRequestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://192.168.1.100:7547/":      "http://192.168.1.100:7547/",
		"http://198.18.0.9:7547/cr?x=1":   "http://198.18.0.9:7547/cr?x=1",
		"https://192.168.1.100:7547/":     "", // no TLS here
		"http://cpe.example:7547/":        "", // a name: the ACS resolves nothing a CPE tells it
		"http://u:p@192.168.1.100:7547/":  "",
		"ftp://192.168.1.100/":            "",
		"":                                "",
		"http://[::1]:7547/":              "http://[::1]:7547/",
		"http://192.168.1.100:7547/\x00":  "",
		"http://192.168.1.100:bad/":       "",
		"http://192.168.1.100:7547/%zz":   "",
		"http://256.168.1.100:7547/":      "",
		"http://192.168.1.100:7547/ok#fr": "http://192.168.1.100:7547/ok#fr",
	} {
		if got := connectionRequestURL(raw); got != want {
			t.Errorf("connectionRequestURL(%q) = %q; want %q", raw, got, want)
		}
	}
}

func TestUseTCP(t *testing.T) {
	public := &device{CRURL: "http://198.18.0.9:7547/", Local: mustAddrPort("198.18.0.9:7547")}
	natted := &device{CRURL: "http://192.168.1.100:7547/", Local: mustAddrPort("192.168.1.100:7547"), NAT: true}
	for _, tt := range []struct {
		transport string
		d         *device
		want      bool
	}{
		{"auto", public, true}, {"auto", natted, false}, {"udp", public, false}, {"tcp", natted, true}, {"tcp", &device{}, false},
	} {
		s := &Server{Options: Options{CRTransport: tt.transport}}
		if got := s.useTCP(tt.d); got != tt.want {
			t.Errorf("%s, NAT %v: useTCP = %v; want %v", tt.transport, tt.d.NAT, got, tt.want)
		}
	}
}

func TestAuthOptionsCheck(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"unknown scheme", func(o *Options) { o.Auth = "ntlm" }, "auth"},
		{"no way to log in", func(o *Options) { o.Auth = httpauth.Digest; o.AuthSecret = "" }, "auth_secret"},
		{"unknown transport", func(o *Options) { o.CRTransport = "xmpp" }, "connection_request"},
		{"nonce ttl", func(o *Options) { o.NonceTTL = 0 }, "nonce_ttl"},
	} {
		o := DefaultOptions()
		tt.edit(o)
		errs := o.Check(&scenario.Scenario{})
		if len(errs) != 1 || errs[0].Field != tt.field {
			t.Errorf("%s: Check = %v; want one error on %s", tt.name, errs, tt.field)
		}
	}
	o := DefaultOptions()
	o.Auth, o.AuthSecret, o.AuthUsers = httpauth.Basic, "", map[string]string{"a": "b"}
	if errs := o.Check(&scenario.Scenario{}); len(errs) != 0 {
		t.Errorf("basic with a table: %v", errs)
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
