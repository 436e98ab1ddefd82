package cwmp

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The testdata envelopes reproduce the shapes deployed agents send: the
// soap_env prefix and cwmp-1-2 of easycwmp, SOAP-ENV and CRLF of vendor
// CPEs, GenieACS's soap-env/cwmp-1-0 RPCs, HoldRequests headers, faults
// with SetParameterValuesFault entries.
func TestGoldenEnvelopes(t *testing.T) {
	for _, c := range []struct {
		file, ns, id, method string
		check                func(t *testing.T, m Message)
	}{
		{"inform-easycwmp.xml", "urn:dslforum-org:cwmp-1-2", "1", "Inform", func(t *testing.T, m Message) {
			in := m.(*Inform)
			if in.DeviceID.SerialNumber != "FFFFFF123456" || in.DeviceID.OUI != "FFFFFF" {
				t.Errorf("DeviceId %+v", in.DeviceID)
			}
			if _, ok := in.HasEvent(EventBootstrap); !ok {
				t.Error("TR-069 §3.7.1.5: 0 BOOTSTRAP missing")
			}
			if _, ok := in.HasEvent(EventBoot); !ok {
				t.Error("1 BOOT missing")
			}
			if v, _ := in.Param("InternetGatewayDevice.ManagementServer.UDPConnectionRequestAddress"); v != "192.168.1.100:7547" {
				t.Errorf("UDPConnectionRequestAddress %q", v)
			}
			if in.Params[0].Value.Type != "string" || Root(in.Params[0].Name) != RootTR098 {
				t.Errorf("param %+v", in.Params[0])
			}
		}},
		{"inform-crlf-cwmp10.xml", NS10, "4711", "Inform", func(t *testing.T, m Message) {
			in := m.(*Inform)
			if in.DeviceID.Manufacturer != "Vendor & Co" || in.RetryCount != 2 {
				t.Errorf("%+v", in)
			}
			if _, ok := in.HasEvent(EventConnectionRequest); !ok {
				t.Error("6 CONNECTION REQUEST missing")
			}
			if v, _ := in.Param("Device.ManagementServer.NATDetected"); v != "1" || Root(in.Params[1].Name) != RootTR181 {
				t.Errorf("NATDetected %q", v)
			}
		}},
		{"fault-spv.xml", "urn:dslforum-org:cwmp-1-4", "spv-1", "Fault", func(t *testing.T, m Message) {
			f := m.(*Fault)
			want := &Fault{SOAPCode: "Client", Code: 9003, String: "Invalid arguments",
				ParamFail: []ParamFault{{"Device.ManagementServer.STUNServerPort", 9007, "Invalid parameter value"}}}
			if !reflect.DeepEqual(f, want) {
				t.Errorf("got %+v want %+v", f, want)
			}
		}},
		{"spv-genieacs-style.xml", NS10, "17a3f", "SetParameterValues", func(t *testing.T, m Message) {
			s := m.(*SetParameterValues)
			if len(s.Params) != 3 || s.ParameterKey != "stun-1" || s.Params[1].Value != (Value{"unsignedInt", "3478"}) || s.Params[2].Value.Text != "-1" {
				t.Errorf("%+v", s)
			}
		}},
		{"reboot-holdrequests.xml", "urn:dslforum-org:cwmp-1-1", "r-9", "Reboot", func(t *testing.T, m Message) {
			if m.(*Reboot).CommandKey != "c42" {
				t.Errorf("%+v", m)
			}
		}},
		{"transfer-complete.xml", "urn:dslforum-org:cwmp-1-3", "tc1", "TransferComplete", func(t *testing.T, m Message) {
			tc := m.(*TransferComplete)
			if tc.CommandKey != "c7" || tc.Fault.FaultCode != FaultDownloadFailure {
				t.Errorf("%+v", tc)
			}
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			env, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if env.NS != c.ns || env.ID != c.id || env.Body.Method() != c.method {
				t.Fatalf("got ns %q id %q method %q", env.NS, env.ID, env.Body.Method())
			}
			c.check(t, env.Body)
			// What we encode parses back to the same message.
			again, err := Parse(Encode(env))
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, Encode(env))
			}
			if !reflect.DeepEqual(again, env) {
				t.Errorf("round trip:\n got %+v\nwant %+v", again.Body, env.Body)
			}
		})
	}
}

func TestRoundTripEveryMessage(t *testing.T) {
	ps := []ParameterValue{Param("Device.ManagementServer.STUNServerAddress", "string", "198.18.0.2"), Param("Device.X_Test.Value", "string", "<&>\"'")}
	for _, m := range []Message{
		&Inform{DeviceID: DeviceID{"boxlab", "B0B1AB", "stb", "home0-stb0"}, Events: []Event{{EventBoot, ""}, {EventMReboot, "c3"}},
			MaxEnvelopes: 1, CurrentTime: "2026-11-21T22:00:00Z", Params: ps},
		&InformResponse{MaxEnvelopes: 1},
		&GetRPCMethods{},
		&GetRPCMethodsResponse{Methods: []string{"Inform", "TransferComplete"}},
		&GetParameterValues{Names: []string{"Device.DeviceInfo.UpTime", "Device.ManagementServer."}},
		&GetParameterValuesResponse{Params: ps},
		&SetParameterValues{Params: ps, ParameterKey: "k"},
		&SetParameterValuesResponse{Status: 1},
		&Reboot{CommandKey: "c1"},
		&RebootResponse{},
		&Download{CommandKey: "c2", FileType: "1 Firmware Upgrade Image", URL: "http://198.18.0.2/fw.bin", FileSize: 1 << 20,
			DelaySeconds: 0},
		&DownloadResponse{Status: 1, StartTime: "0001-01-01T00:00:00Z", CompleteTime: "0001-01-01T00:00:00Z"},
		&TransferComplete{CommandKey: "c2", StartTime: "2026-11-21T22:00:00Z", CompleteTime: "2026-11-21T22:00:01Z"},
		&TransferCompleteResponse{},
		NewFault(FaultInvalidName, ParamFault{"Device.Nope", FaultInvalidName, FaultString(FaultInvalidName)}),
	} {
		t.Run(m.Method(), func(t *testing.T) {
			env := &Envelope{ID: "42", Body: m}
			got, err := Parse(Encode(env))
			if err != nil {
				t.Fatalf("%v\n%s", err, Encode(env))
			}
			env.NS = NS10
			if !reflect.DeepEqual(got, env) {
				t.Errorf("got %+v\nwant %+v", got.Body, env.Body)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	const head = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">`
	inform := `<s:Body><cwmp:Inform><DeviceId><SerialNumber>x</SerialNumber></DeviceId></cwmp:Inform></s:Body></s:Envelope>`
	for _, c := range []struct {
		name, in string
		want     error
	}{
		{"empty POST body is not an envelope", "  \r\n", ErrEmpty},
		{"oversized", head + strings.Repeat(" ", MaxEnvelope) + inform, ErrTooLarge},
		{"DTD with entity expansion (billion laughs)", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>` + head + inform, ErrDeclared},
		{"external entity (XXE)", `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + head + inform, ErrDeclared},
		{"undeclared entity", head + `<s:Body><cwmp:Inform><DeviceId><SerialNumber>&xxe;</SerialNumber></DeviceId></cwmp:Inform></s:Body></s:Envelope>`, ErrMalformed},
		{"processing instruction", head + `<?php evil ?>` + inform, ErrDeclared},
		{"not XML", "GET / HTTP/1.1", ErrMalformed},
		{"truncated", (head + inform)[:120], ErrMalformed},
		{"SOAP 1.2 envelope", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">` + inform, ErrNamespace},
		{"unknown cwmp namespace", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-9-9">` + inform, ErrNamespace},
		{"mustUnderstand header not understood", head + `<s:Header><x:Y xmlns:x="urn:x" s:mustUnderstand="1">1</x:Y></s:Header>` + inform, ErrUnderstand},
		{"two body elements", head + `<s:Body><cwmp:Reboot/><cwmp:Reboot/></s:Body></s:Envelope>`, ErrMalformed},
		{"no body", head + `</s:Envelope>`, ErrMalformed},
		{"Inform without serial", head + `<s:Body><cwmp:Inform><DeviceId/></cwmp:Inform></s:Body></s:Envelope>`, ErrInvalid},
		{"non-UTF-8 encoding", `<?xml version="1.0" encoding="ISO-8859-1"?>` + head + inform, ErrMalformed},
		{"too deep", head + `<s:Body><cwmp:Reboot>` + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + `</cwmp:Reboot></s:Body></s:Envelope>`, ErrMalformed},
		{"two roots", head + inform + head + inform, ErrMalformed},
		{"fault without cwmp detail", head + `<s:Body><s:Fault><faultcode>Client</faultcode></s:Fault></s:Body></s:Envelope>`, ErrNamespace},
		{"non-numeric fault code", head + `<s:Body><s:Fault><detail><cwmp:Fault><FaultCode>x</FaultCode></cwmp:Fault></detail></s:Fault></s:Body></s:Envelope>`, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in))
			if !errors.Is(err, c.want) {
				t.Errorf("got %v; want %v", err, c.want)
			}
		})
	}
}

func TestUnsupportedRPC(t *testing.T) {
	env, err := Parse([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><s:Header><cwmp:ID s:mustUnderstand="1">1</cwmp:ID></s:Header><s:Body><cwmp:FactoryReset/></s:Body></s:Envelope>`))
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := env.Body.(*Unsupported); !ok || u.Name != "FactoryReset" {
		t.Fatalf("got %#v", env.Body)
	}
}

func TestFaultCodes(t *testing.T) {
	for code := 9000; code <= 9019; code++ {
		f := NewFault(code)
		if f.String == "" || (f.SOAPCode != "Client" && f.SOAPCode != "Server") {
			t.Errorf("%d: %+v", code, f)
		}
	}
	if NewFault(FaultInvalidName).SOAPCode != "Client" || NewFault(FaultInternal).SOAPCode != "Server" {
		t.Error("TR-069 Table 58: 9005 is a Client fault, 9002 a Server fault")
	}
}
