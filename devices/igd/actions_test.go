package igd

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/boxlab/boxlab/nat"
)

// fakeMapper is a nat.PortMapper with a map and a settable clock.
type fakeMapper struct {
	now time.Duration
	m   map[string]nat.PortMapping
	exp map[string]time.Duration
}

func newFake() *fakeMapper {
	return &fakeMapper{m: map[string]nat.PortMapping{}, exp: map[string]time.Duration{}}
}

func fk(proto string, port uint16) string { return fmt.Sprintf("%s/%d", proto, port) }

func (f *fakeMapper) expire() {
	for k, e := range f.exp {
		if e > 0 && e <= f.now {
			delete(f.m, k)
			delete(f.exp, k)
		}
	}
}

func (f *fakeMapper) AddPortMapping(pm nat.PortMapping) (nat.PortMapping, error) {
	f.expire()
	port := pm.External.Port()
	if port == 0 {
		for port = 1024; f.m[fk(pm.Proto, port)].Proto != ""; port++ {
		}
	}
	pm.External = netip.AddrPortFrom(f.ExternalAddr(), port)
	if old, ok := f.m[fk(pm.Proto, port)]; ok && old.Internal != pm.Internal {
		return pm, nat.ErrPortConflict
	}
	f.m[fk(pm.Proto, port)] = pm
	f.exp[fk(pm.Proto, port)] = 0
	if pm.Lifetime > 0 {
		f.exp[fk(pm.Proto, port)] = f.now + pm.Lifetime
	}
	return pm, nil
}

func (f *fakeMapper) DeletePortMapping(proto string, port uint16) error {
	f.expire()
	if _, ok := f.m[fk(proto, port)]; !ok {
		return nat.ErrNoPortMapping
	}
	delete(f.m, fk(proto, port))
	return nil
}

func (f *fakeMapper) PortMappings() []nat.PortMapping {
	f.expire()
	var out []nat.PortMapping
	for k, pm := range f.m {
		if e := f.exp[k]; e > 0 {
			pm.Lifetime = e - f.now
		}
		out = append(out, pm)
	}
	slices.SortFunc(out, func(a, b nat.PortMapping) int { return cmp.Compare(a.External.Port(), b.External.Port()) })
	return out
}

func (f *fakeMapper) ExternalAddr() netip.Addr { return netip.MustParseAddr("20.0.0.2") }

var (
	me    = netip.MustParseAddr("192.168.1.100")
	other = netip.MustParseAddr("192.168.1.101")
)

func testServer(o Options) (*Server, *fakeMapper) {
	o.defaults()
	f := newFake()
	return &Server{cfg: Config{Mapper: f, Options: o}, version: o.Version, log: slog.New(slog.DiscardHandler),
		meta: map[key]meta{}, started: time.Now()}, f
}

func call(s *Server, from netip.Addr, action string, kv ...string) (map[string]string, int) {
	r := Request{Service: fmt.Sprintf("urn:schemas-upnp-org:service:WANIPConnection:%d", s.version), Action: action, Args: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Args[kv[i]] = kv[i+1]
	}
	out, err := s.ipConnAction(r, from)
	if f, ok := err.(*Fault); ok {
		return nil, f.Code
	}
	m := map[string]string{}
	for _, a := range out {
		m[a.name] = a.value
	}
	return m, 0
}

func addArgs(ext, in int, client, lease string) []string {
	return []string{"NewRemoteHost", "", "NewExternalPort", strconv.Itoa(ext), "NewProtocol", "TCP", "NewInternalPort", strconv.Itoa(in),
		"NewInternalClient", client, "NewEnabled", "1", "NewPortMappingDescription", "d", "NewLeaseDuration", lease}
}

func TestActionErrorCodes(t *testing.T) {
	for _, c := range []struct {
		name    string
		opts    Options
		from    netip.Addr
		action  string
		args    []string
		want    int
		prepare bool // add 8080 for me first
	}{
		{name: "AddPortMapping ok", action: "AddPortMapping", args: addArgs(8080, 80, me.String(), "60"), want: 0},
		{name: "402 missing NewInternalClient", action: "AddPortMapping", args: []string{"NewRemoteHost", "", "NewExternalPort", "1", "NewProtocol", "TCP", "NewInternalPort", "1"}, want: 402},
		{name: "402 bad protocol", action: "AddPortMapping", args: append(addArgs(8080, 80, me.String(), "0")[:4:4], "NewProtocol", "SCTP", "NewInternalPort", "1", "NewInternalClient", ""), want: 402},
		{name: "402 non-numeric port", action: "AddPortMapping", args: addArgs(8080, 80, "not-an-ip", "0"), want: 402},
		{name: "716 external port 0", action: "AddPortMapping", args: addArgs(0, 80, me.String(), "0"), want: 716},
		{name: "732 internal port 0 (v2)", action: "AddPortMapping", args: addArgs(8080, 0, me.String(), "0"), want: 732},
		{name: "402 internal port 0 (v1)", opts: Options{Version: 1}, action: "AddPortMapping", args: addArgs(8080, 0, me.String(), "0"), want: 402},
		{name: "718 conflict with another host", prepare: true, action: "AddPortMapping", args: addArgs(8080, 80, other.String(), "0"), want: 718},
		{name: "same host re-adds: refresh", prepare: true, action: "AddPortMapping", args: addArgs(8080, 80, me.String(), "0"), want: 0},
		{name: "secure mode v2: 606 for another host", opts: Options{Secure: true}, action: "AddPortMapping", args: addArgs(8080, 80, other.String(), "0"), want: 606},
		{name: "secure mode v1: 718 for another host", opts: Options{Secure: true, Version: 1}, action: "AddPortMapping", args: addArgs(8080, 80, other.String(), "0"), want: 718},
		{name: "725 permanent leases only", opts: Options{PermanentOnly: true, Version: 1}, action: "AddPortMapping", args: addArgs(8080, 80, me.String(), "60"), want: 725},
		{name: "726 remote host wildcard only", opts: Options{RemoteHostWildcardOnly: true}, action: "AddPortMapping", args: append([]string{"NewRemoteHost", "1.2.3.4"}, addArgs(8080, 80, me.String(), "0")[2:]...), want: 726},
		{name: "714 delete what is not there", action: "DeletePortMapping", args: []string{"NewRemoteHost", "", "NewExternalPort", "9", "NewProtocol", "TCP"}, want: 714},
		{name: "delete ok", prepare: true, action: "DeletePortMapping", args: []string{"NewRemoteHost", "", "NewExternalPort", "8080", "NewProtocol", "TCP"}, want: 0},
		{name: "606 delete another host's mapping in secure mode", opts: Options{Secure: true}, prepare: true, from: other, action: "DeletePortMapping", args: []string{"NewRemoteHost", "", "NewExternalPort", "8080", "NewProtocol", "TCP"}, want: 606},
		{name: "713 generic index past the end", action: "GetGenericPortMappingEntry", args: []string{"NewPortMappingIndex", "0"}, want: 713},
		{name: "714 specific entry missing", action: "GetSpecificPortMappingEntry", args: []string{"NewRemoteHost", "", "NewExternalPort", "9", "NewProtocol", "TCP"}, want: 714},
		{name: "733 range start after end", action: "GetListOfPortMappings", args: []string{"NewStartPort", "9", "NewEndPort", "1", "NewProtocol", "TCP", "NewManage", "1", "NewNumberOfPorts", "0"}, want: 733},
		{name: "730 empty range", action: "DeletePortMappingRange", args: []string{"NewStartPort", "1", "NewEndPort", "9", "NewProtocol", "TCP", "NewManage", "1"}, want: 730},
		{name: "401 v2 action on an IGDv1", opts: Options{Version: 1}, action: "AddAnyPortMapping", args: addArgs(8080, 80, me.String(), "0"), want: 401},
		{name: "401 unknown action", action: "Frobnicate", want: 401},
		{name: "501 RequestConnection", action: "RequestConnection", want: 501},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := testServer(c.opts)
			if c.prepare {
				if _, code := call(s, me, "AddPortMapping", addArgs(8080, 80, me.String(), "0")...); code != 0 {
					t.Fatalf("prepare: %d", code)
				}
			}
			from := me
			if c.from.IsValid() {
				from = c.from
			}
			if _, code := call(s, from, c.action, c.args...); code != c.want {
				t.Fatalf("code %d; want %d", code, c.want)
			}
		})
	}
}

func TestLeasesAndListing(t *testing.T) {
	s, f := testServer(Options{})
	if _, code := call(s, me, "AddPortMapping", addArgs(8080, 80, "", "60")...); code != 0 {
		t.Fatal(code)
	}
	out, code := call(s, me, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "8080", "NewProtocol", "TCP")
	if code != 0 || out["NewInternalClient"] != me.String() || out["NewLeaseDuration"] != "60" || out["NewPortMappingDescription"] != "d" {
		t.Fatalf("entry %v code %d (an empty NewInternalClient means the caller, as miniupnpd)", out, code)
	}
	// AddAnyPortMapping on a taken port gets another one
	out, code = call(s, other, "AddAnyPortMapping", addArgs(8080, 80, other.String(), "60")...)
	if code != 0 || out["NewReservedPort"] == "8080" || out["NewReservedPort"] == "" {
		t.Fatalf("AddAnyPortMapping: %v %d", out, code)
	}
	out, code = call(s, me, "GetListOfPortMappings", "NewStartPort", "1", "NewEndPort", "65535", "NewProtocol", "TCP", "NewManage", "1", "NewNumberOfPorts", "0")
	if code != 0 || out["NewPortListing"] == "" {
		t.Fatalf("list %v %d", out, code)
	}
	// a lease of 0 in IGD:2 becomes a week
	call(s, me, "AddPortMapping", addArgs(9090, 90, me.String(), "0")...)
	out, _ = call(s, me, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "9090", "NewProtocol", "TCP")
	if out["NewLeaseDuration"] != "604800" {
		t.Fatalf("IGD:2 lease 0: %v; want 604800", out["NewLeaseDuration"])
	}
	f.now += 61 * time.Second
	if _, code := call(s, me, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "8080", "NewProtocol", "TCP"); code != 714 {
		t.Fatalf("expired lease: %d; want 714", code)
	}
	if _, code := call(s, me, "GetGenericPortMappingEntry", "NewPortMappingIndex", "1"); code != 713 {
		t.Fatalf("index 1 after expiry: %d; want 713", code)
	}
}

func TestSSDPMatches(t *testing.T) {
	s, _ := testServer(Options{})
	d := &ssdp{s: s}
	for st, n := range map[string]int{
		"ssdp:all":        9,
		"upnp:rootdevice": 1,
		"urn:schemas-upnp-org:device:InternetGatewayDevice:1": 1,
		"urn:schemas-upnp-org:device:InternetGatewayDevice:2": 1,
		"urn:schemas-upnp-org:device:InternetGatewayDevice:3": 0,
		"urn:schemas-upnp-org:service:WANIPConnection:1":      1,
		"urn:schemas-upnp-org:service:WANIPConnection:2":      1,
		"urn:schemas-upnp-org:service:WANPPPConnection:1":     0,
	} {
		if got := len(d.matches(st)); got != n {
			t.Errorf("ST %s: %d answers; want %d", st, got, n)
		}
	}
	if m := d.matches("urn:schemas-upnp-org:device:InternetGatewayDevice:1"); m[0][0] != "urn:schemas-upnp-org:device:InternetGatewayDevice:1" {
		t.Errorf("a v1 search is answered with ST v1; got %v", m)
	}
}
