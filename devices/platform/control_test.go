package platform

import (
	"net/netip"
	"testing"
)

func TestRegisterRoundTrip(t *testing.T) {
	r := Register{Trigger: "home0-trigger0", User: "u", Password: "p", Cameras: []Reported{
		{Addr: netip.MustParseAddrPort("192.168.1.101:5060"), Type: TypeSIP},
		{Addr: netip.MustParseAddrPort("192.168.1.102:554"), Type: TypeRTSP}}}
	got, err := ParseRegister(r.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got.Trigger != r.Trigger || len(got.Cameras) != 2 || got.Cameras[1] != r.Cameras[1] {
		t.Fatalf("seed 002 S1/S3: got %+v", got)
	}
	for _, bad := range []string{"", "REGISTER a b", "HELLO a b c", "REGISTER a b c 1.2.3.4/sip", "REGISTER a b c 1.2.3.4:5/ftp", "REGISTER a b c [::1]:5/sip"} {
		if _, err := ParseRegister([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if n, ok := ParseOK(OK(30)); !ok || n != 30 {
		t.Fatalf("OK 30: %d %v", n, ok)
	}
}

func FuzzParseRegister(f *testing.F) {
	f.Add([]byte("REGISTER t u p 192.168.1.101:5060/sip"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRegister(b)
		if err != nil {
			return
		}
		if _, err := ParseRegister(r.Marshal()); err != nil {
			t.Fatalf("re-parse of %q: %v", r.Marshal(), err)
		}
	})
}

func TestViaHasRport(t *testing.T) {
	for via, want := range map[string]bool{
		"SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;rport=5060;received=198.19.0.2": true,
		"SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;received=198.19.0.2;rport=5060": true,
		"SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;rport;received=198.19.0.2":      false,
		"SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;rport=5060":                     false,
		"SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1":                                false,
		"": false,
	} {
		if got := viaHasRport(via); got != want {
			t.Errorf("RFC 3581 §4: viaHasRport(%q) = %v, want %v", via, got, want)
		}
	}
}
