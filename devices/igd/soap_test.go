package igd

import (
	"errors"
	"strings"
	"testing"
)

const addReq = `<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
<s:Body><u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">
<NewRemoteHost></NewRemoteHost><NewExternalPort>5060</NewExternalPort><NewProtocol>UDP</NewProtocol>
<NewInternalPort>5060</NewInternalPort><NewInternalClient>192.168.1.20</NewInternalClient>
<NewEnabled>1</NewEnabled><NewPortMappingDescription>stb &amp; co</NewPortMappingDescription>
<NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>`

func TestParseSOAPReferenceRequest(t *testing.T) {
	r, err := ParseSOAP([]byte(addReq))
	if err != nil {
		t.Fatal(err)
	}
	if r.Service != "urn:schemas-upnp-org:service:WANIPConnection:1" || r.Action != "AddPortMapping" {
		t.Fatalf("service/action %q %q", r.Service, r.Action)
	}
	if r.Args["NewExternalPort"] != "5060" || r.Args["NewRemoteHost"] != "" || r.Args["NewPortMappingDescription"] != "stb & co" {
		t.Fatalf("args %v", r.Args)
	}
}

func TestParseSOAPRefuses(t *testing.T) {
	env := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>%s</s:Body></s:Envelope>`
	for name, body := range map[string]string{
		"XML bomb (DTD with entities)": `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` + strings.Replace(env, "%s", `<u:A xmlns:u="x"><a>&lol2;</a></u:A>`, 1),
		"external entity":              `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + strings.Replace(env, "%s", `<u:A xmlns:u="x"><a>&x;</a></u:A>`, 1),
		"oversized":                    strings.Replace(env, "%s", `<u:A xmlns:u="x"><a>`+strings.Repeat("x", MaxSOAPBody)+`</a></u:A>`, 1),
		"wrong envelope namespace":     `<s:Envelope xmlns:s="urn:other"><s:Body><u:A xmlns:u="x"/></s:Body></s:Envelope>`,
		"no action":                    strings.Replace(env, "%s", ``, 1),
		"two actions":                  strings.Replace(env, "%s", `<u:A xmlns:u="x"/><u:B xmlns:u="x"/>`, 1),
		"nested argument":              strings.Replace(env, "%s", `<u:A xmlns:u="x"><a><b>1</b></a></u:A>`, 1),
		"duplicate argument":           strings.Replace(env, "%s", `<u:A xmlns:u="x"><a>1</a><a>2</a></u:A>`, 1),
		"unclosed":                     `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:A xmlns:u="x">`,
		"deep":                         strings.Replace(env, "%s", `<u:A xmlns:u="x">`+strings.Repeat("<a>", 20)+strings.Repeat("</a>", 20)+`</u:A>`, 1),
		"not XML":                      "POST / HTTP/1.1",
	} {
		if _, err := ParseSOAP([]byte(body)); !errors.Is(err, ErrBadSOAP) {
			t.Errorf("%s: err %v; want ErrBadSOAP", name, err)
		}
	}
}

func FuzzParseSOAP(f *testing.F) {
	f.Add([]byte(addReq))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetExternalIPAddress xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"/></s:Body></s:Envelope>`))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseSOAP(b)
		if err == nil && (r.Action == "" || r.Args == nil) {
			t.Fatalf("accepted without an action: %+v", r)
		}
		if err == nil && len(b) > MaxSOAPBody {
			t.Fatal("accepted an oversized body")
		}
	})
}

func FuzzParseMSearch(f *testing.F) {
	f.Add([]byte("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n\r\n"))
	f.Add([]byte("NOTIFY * HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMSearch(b)
		if err == nil && m.ST == "" {
			t.Fatal("accepted without ST")
		}
	})
}
