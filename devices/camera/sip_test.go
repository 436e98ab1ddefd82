package camera

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSIPAnswerGoesBackWithRport(t *testing.T) {
	req, err := ParseSIP(SIPRequest("OPTIONS", "sip:cam@192.168.1.101:5060", "SIP/2.0/UDP 198.19.0.2:5060;branch=z9hG4bK1;rport", "c1", 1, ""))
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "OPTIONS" || req.Header("Call-ID") != "c1" {
		t.Fatalf("parsed %+v", req)
	}
	resp, err := ParseSIP(answer(req, "198.19.0.2:5060", "cam", true))
	if err != nil {
		t.Fatal(err)
	}
	if req.Header("From") != "<sip:platform@198.19.0.2>;tag=c1" || req.Header("To") != "<sip:cam@192.168.1.101:5060>" {
		t.Fatalf("RFC 3261 §8.1.1: From %q To %q", req.Header("From"), req.Header("To"))
	}
	if resp.Status != 200 || resp.Header("call-id") != "c1" || resp.Header("cseq") != "1 OPTIONS" || resp.Header("from") != req.Header("from") || resp.Header("to") != "<sip:cam@192.168.1.101:5060>;tag=cam" {
		t.Fatalf("seed 002 S8: answer %+v", resp)
	}
	if via := resp.Header("via"); !strings.Contains(via, "rport=5060") || !strings.Contains(via, "received=198.19.0.2") {
		t.Fatalf("RFC 3581: via %q", via)
	}
}

func TestParseSIPRefuses(t *testing.T) {
	for _, b := range []string{"", "hello\r\n\r\n", "OPTIONS sip:x SIP/2.0\r\nno colon\r\n\r\n", "SIP/2.0 abc OK\r\n\r\n", "OPTIONS sip:x SIP/2.0\r\n"} {
		if _, err := ParseSIP([]byte(b)); err == nil {
			t.Errorf("%q parsed", b)
		}
	}
}

func FuzzParseSIP(f *testing.F) {
	f.Add(SIPRequest("OPTIONS", "sip:a", "v", "c", 1, "x"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseSIP(b) })
}

func TestReplyTo(t *testing.T) {
	src := netip.MustParseAddrPort("198.19.0.2:5060")
	for _, tc := range []struct {
		name  string
		via   string
		rport bool
		want  string
	}{
		{"RFC 3581 §4: rport asked and honoured: the source port", "SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;rport", true, "198.19.0.2:5060"},
		{"RFC 3261 §18.2.2: rport ignored: the Via's port at the source address", "SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;rport", false, "198.19.0.2:5070"},
		{"RFC 3261 §18.2.2: no rport asked: the Via's port", "SIP/2.0/UDP 198.19.0.9:5071;branch=z9hG4bK1", true, "198.19.0.2:5071"},
		{"RFC 3261 §18.2.2: no port in the Via: 5060", "SIP/2.0/UDP example.invalid;branch=z9hG4bK1", true, "198.19.0.2:5060"},
	} {
		req, err := ParseSIP(SIPRequest("OPTIONS", "sip:cam@192.168.1.100", tc.via, "c", 1, ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := replyTo(req, src, tc.rport); got.String() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, got, tc.want)
		}
	}
	req, _ := ParseSIP(SIPRequest("OPTIONS", "sip:cam@192.168.1.100", "SIP/2.0/UDP 198.19.0.2:5070;branch=z9hG4bK1;rport", "c", 1, ""))
	if resp, _ := ParseSIP(answer(req, src.String(), "cam", false)); strings.Contains(resp.Header("via"), "rport=") {
		t.Errorf("a camera that ignores rport does not fill it: %q", resp.Header("via"))
	}
}
